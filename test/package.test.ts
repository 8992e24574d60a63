// The contract of docs/architecture.md, checked on the built package as a user imports it (self-reference through `exports`).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from './support/paths.ts'

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, any>

test('package.json: name, ESM, exports with types, bin, engines, no runtime dependencies', () => {
  assert.equal(pkg.name, 'wenche-maskinporten')
  assert.equal(pkg.type, 'module')
  assert.equal(pkg.exports['.'].types, './dist/index.d.ts')
  assert.equal(pkg.exports['.'].default, './dist/index.js')
  assert.equal(pkg.bin.maskinporten, './dist/cli/bin.cjs')
  assert.equal(pkg.engines.node, '>=20.19') // require() of ESM from CommonJS, unflagged
  assert.equal(pkg.scripts.prepare, 'npm run build')
  for (const script of ['test', 'demo', 'bench']) assert.ok(pkg.scripts[script], `npm run ${script}`)
  assert.deepEqual(Object.keys(pkg.dependencies ?? {}), [])
  assert.match(pkg.devDependencies['@types/node'], /^\^?20\./)
})

test('the built package exports every name of the contract', async (t) => {
  if (!existsSync(join(ROOT, 'dist/index.js'))) {
    assert.fail('dist/ is missing: run `npm run build` (npm install and npm ci do it through prepare)')
  }
  const mod = (await import('wenche-maskinporten')) as Record<string, unknown>
  const functions = [
    'defaultScopes', 'adminScopes', 'skdAksjonaerScope', 'skattemeldingScope', 'buildJwtGrant', 'getAltinnToken',
    'getSystemuserToken', 'getAdminToken', 'getSkdAksjonaerToken', 'getSkdSkattemeldingToken', 'configFromEnv',
    'isValidOrgNummer', 'decodeToken', 'isMaskinportenError', 'startEmulator', 'MaskinportenClient', 'MaskinportenError',
  ]
  for (const name of functions) {
    await t.test(name, () => assert.equal(typeof mod[name], 'function', `${name} is exported`))
  }
  assert.ok(existsSync(join(ROOT, 'dist/index.d.ts')), 'types are shipped')
})

test('package.json: what a consumer gets besides the code', () => {
  assert.equal(pkg.license, 'MIT')
  assert.match(readFileSync(join(ROOT, 'LICENSE'), 'utf8'), /^MIT License\n\nCopyright \(c\) \d{4} wenche-maskinporten contributors\n/)
  assert.ok(pkg.files.includes('LICENSE'))
  // TypeScript's old `moduleResolution: node` ignores `exports`: the subpath's types are mapped for it.
  // Every subpath with types is mapped, to the same declarations its export names.
  const subpaths = Object.entries(pkg.exports as Record<string, { types?: string }>).filter(([name, target]) => name !== '.' && typeof target === 'object')
  assert.deepEqual(pkg.typesVersions, { '*': Object.fromEntries(subpaths.map(([name, target]) => [name.slice(2), [target.types]])) })
  assert.deepEqual(Object.keys(pkg.typesVersions['*']).sort(), ['emulator', 'redis'])
  // No placeholder: a repository field is added when the project has a public URL.
  if (pkg.repository !== undefined) assert.doesNotMatch(JSON.stringify(pkg.repository), /example|placeholder|<|TODO/i)
})

test('the published entry declarations bring Node\'s types along', () => {
  for (const entry of ['dist/index.d.ts', 'dist/emulator/index.d.ts', 'dist/stores/redis/index.d.ts']) {
    const text = readFileSync(join(ROOT, entry), 'utf8')
    assert.ok(text.startsWith('/// <reference types="node" preserve="true" />\n'), entry)
  }
})
