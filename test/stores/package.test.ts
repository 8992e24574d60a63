// `wenche-maskinporten/redis` as a user imports it: a subpath of its own, never loaded by the package root, with
// no runtime dependency (not even on a Redis client: the user's own is taken by shape).
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { test } from 'node:test'
import { ROOT } from '../support/paths.ts'

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, any>

/** Every file of dist/ that `entry` imports, directly or not (relative imports only; there are no others). */
function importGraph(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen
  seen.add(entry)
  const text = readFileSync(entry, 'utf8')
  for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
    importGraph(resolve(dirname(entry), m[1] ?? m[2]!), seen)
  }
  return seen
}

test('wenche-maskinporten/redis: its own export with types; the root does not load it; no dependency on a Redis client', async () => {
  assert.deepEqual(pkg.exports['./redis'], { types: './dist/stores/redis/index.d.ts', default: './dist/stores/redis/index.js' })
  assert.ok(existsSync(join(ROOT, 'dist/stores/redis/index.d.ts')))
  const mod = (await import('wenche-maskinporten/redis')) as Record<string, unknown>
  assert.equal(typeof mod.RedisTokenStore, 'function')
  const fromRoot = [...importGraph(join(ROOT, 'dist/index.js'))]
  assert.deepEqual(fromRoot.filter((f) => f.includes(`${join('dist', 'stores')}`)), [], 'the root never imports the Redis store')
  const fromRedis = [...importGraph(join(ROOT, 'dist/stores/redis/index.js'))]
  for (const file of fromRedis) assert.doesNotMatch(readFileSync(file, 'utf8'), /^(import|export)[^\n]*['"](redis|ioredis|@redis\/[^'"]+)['"]/m)
  assert.deepEqual(Object.keys(pkg.dependencies ?? {}), [])
  assert.equal(pkg.peerDependencies, undefined, 'not even a peer: the client is taken by shape')
})
