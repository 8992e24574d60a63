import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, test } from 'node:test'
import type { StoredToken } from '../../src/cache.ts'
import { MaskinportenClient } from '../../src/client.ts'
import { cacheDir, FileTokenStore } from '../../src/cli/file-store.ts'
import { testConfig } from '../support/fixtures.ts'
import { fakeServices, manualClock } from '../support/client-fakes.ts'
import { tempDir } from './run-cli.ts'

const { dir: root, cleanup } = tempDir()
after(cleanup)

const NOW = 1_700_000_000_000
const token = (expiresAt: number, accessToken = 'tok'): StoredToken => ({
  accessToken,
  tokenType: 'Bearer',
  scope: 'a b',
  obtainedAt: expiresAt - 119_000,
  expiresAt,
})

test('cache dir: XDG_CACHE_HOME, else ~/.cache', () => {
  assert.equal(cacheDir({ XDG_CACHE_HOME: '/x' }), '/x/wenche-maskinporten')
  assert.equal(cacheDir({ HOME: '/home/u' }), '/home/u/.cache/wenche-maskinporten')
})

test('set and get: 0700 directory, a 0600 file named by the SHA-256 of the key, holding neither key nor name', () => {
  const dir = join(root, 'a', 'wenche-maskinporten')
  const store = new FileTokenStore(dir, () => NOW)
  const key = '["maskinporten","https://test.maskinporten.no/","client","a b",null,null,null,null]'
  store.set(key, token(NOW + 119_000))
  assert.equal(statSync(dir).mode & 0o777, 0o700)
  const files = readdirSync(dir)
  assert.deepEqual(files, [`token-${createHash('sha256').update(key).digest('hex')}.json`], 'no temporary file left')
  assert.equal(statSync(join(dir, files[0]!)).mode & 0o777, 0o600)
  assert.doesNotMatch(readFileSync(join(dir, files[0]!), 'utf8'), /maskinporten|client/)

  assert.deepEqual(store.get(key), token(NOW + 119_000))
  assert.equal(store.get('another key'), undefined)
  store.set(key, token(NOW + 119_000, 'newer'))
  assert.equal(store.get(key)?.accessToken, 'newer', 'a write replaces the file')
  store.delete(key)
  assert.deepEqual(readdirSync(dir), [])
})

test('an expired token, a broken file and a file of another shape are misses, and removed', () => {
  const dir = join(root, 'b')
  let now = NOW
  const store = new FileTokenStore(dir, () => now)
  store.set('k', token(NOW + 60_000))
  now = NOW + 60_000
  assert.equal(store.get('k'), undefined)
  assert.deepEqual(readdirSync(dir), [])

  store.set('broken', token(NOW + 600_000))
  store.set('old shape', token(NOW + 600_000))
  const [a, b] = readdirSync(dir)
  writeFileSync(join(dir, a!), '{not json')
  writeFileSync(join(dir, b!), JSON.stringify({ access_token: 't', token_type: 'Bearer', expires_at: NOW + 600_000 }))
  assert.equal(store.get('broken'), undefined)
  assert.equal(store.get('old shape'), undefined)
  assert.deepEqual(readdirSync(dir), [])
})

test('an existing cache directory open to others is tightened', () => {
  const dir = join(root, 'c')
  mkdirSync(dir, { mode: 0o755 })
  chmodSync(dir, 0o755)
  new FileTokenStore(dir).set('k', token(Date.now() + 60_000))
  assert.equal(statSync(dir).mode & 0o777, 0o700)
})

test('removeAll removes every token and leftover temporary file, and counts the tokens; clear does the same', () => {
  const dir = join(root, 'd')
  const store = new FileTokenStore(dir)
  store.set('x', token(Date.now() + 60_000))
  store.set('y', token(Date.now() + 60_000))
  writeFileSync(join(dir, 'token-z.json.1.ab.tmp'), '')
  writeFileSync(join(dir, 'unrelated.txt'), '')
  assert.equal(store.removeAll(), 2)
  assert.deepEqual(readdirSync(dir), ['unrelated.txt'])
  store.set('x', token(Date.now() + 60_000))
  store.clear()
  assert.deepEqual(readdirSync(dir), ['unrelated.txt'])
  assert.equal(new FileTokenStore(join(root, 'never-made')).removeAll(), 0)
})

test('as the client\'s store: a second client (a second run) reuses the token while more than the margin is left', async () => {
  const dir = join(root, 'e')
  const services = fakeServices()
  const clock = manualClock()
  const run = async (): Promise<string> => {
    const client = new MaskinportenClient(testConfig({ fetch: services.fetch }), {
      store: new FileTokenStore(dir, clock.now),
      marginMs: 30_000,
      refreshAhead: 1,
      now: clock.now,
    })
    try {
      return (await client.getToken({ scope: 'a:b' })).accessToken
    } finally {
      client.close()
    }
  }
  const first = await run()
  clock.advance(119_000 - 30_000 - 1)
  assert.equal(await run(), first)
  assert.equal(services.grants.length, 1)
  clock.advance(1)
  assert.notEqual(await run(), first, 'no more than the margin left: a new token')
  assert.equal(services.grants.length, 2)
  assert.equal(readdirSync(dir).length, 1, 'the new token replaced the old')
})
