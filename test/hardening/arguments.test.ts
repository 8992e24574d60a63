// Careless callers: every bad argument is invalid_config (never a TypeError), nothing coerced, no key text echoed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { mkdtempSync, rmSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MaskinportenClient } from '../../src/client/client.js'
import { MemoryTokenStore } from '../../src/client/store.js'
import type { ClientEvent } from '../../src/client/options.js'
import { configFromEnv, resolveConfig } from '../../src/config/config.js'
import { isMaskinportenError, MaskinportenError } from '../../src/errors/errors.js'
import { getMaskinportenToken, getAltinnToken, getSystemuserToken } from '../../src/flows.js'
import { buildJwtGrant } from '../../src/signing/grant.js'
import { generateSigningKey, jwkThumbprint, publicJwk } from '../../src/signing/keys.js'
import { parseDotenv, readDotenv, MAX_DOTENV_BYTES } from '../../src/cli/dotenv.js'
import { cacheDir, FileTokenStore } from '../../src/cli/file-store.js'
import { assertNoSecrets, keyFragments, testConfig, testKey } from '../support/fixtures.js'
import { fakeServices, manualClock, networkError } from '../support/client-fakes.js'

const pem = (): string => testKey().pkcs8
const secrets = (): string[] => [...keyFragments(pem())]

/** Runs `fn`, expects a MaskinportenError of `code` whose every face is short and holds no key fragment. */
async function refused(fn: () => unknown, code = 'invalid_config'): Promise<MaskinportenError> {
  let err: unknown
  try {
    await fn()
  } catch (e) {
    err = e
  }
  assert.ok(isMaskinportenError(err), `expected a MaskinportenError, got ${inspect(err)}`)
  assert.equal(err.code, code, err.message)
  assert.ok(err.message.length < 1000, `a ${err.message.length}-character message`)
  assertNoSecrets([err.message, err.stack, JSON.stringify(err), inspect(err, { depth: 6 })], secrets())
  return err
}

test('key text in timeoutMs, maxEntries, bits and a JWK kty is never echoed; a 1 MB value gives a short message', async () => {
  const big = 'x'.repeat(1024 * 1024)
  await refused(() => resolveConfig(testConfig({ timeoutMs: pem() as never })))
  await refused(() => resolveConfig(testConfig({ timeoutMs: big as never })))
  await refused(() => new MemoryTokenStore(pem() as never))
  await refused(() => new MaskinportenClient(testConfig(), { maxEntries: pem() as never }))
  await refused(() => generateSigningKey({ bits: pem() as never }))
  const jwk = { ...testKey().privateKey.export({ format: 'jwk' }), kty: pem() }
  await refused(() => resolveConfig({ clientId: 'c', kid: 'k', privateKey: jwk as never }), 'jwt_sign_failed')
})

test('URL credentials in issuer or altinnUrl are refused and never printed', async () => {
  for (const field of ['issuer', 'altinnUrl'] as const) {
    const err = await refused(() => resolveConfig(testConfig({ [field]: 'http://user:SECRET-PASSWORD@127.0.0.1:9/' })))
    assertNoSecrets([err.message, JSON.stringify(err)], ['SECRET-PASSWORD'])
    assert.match(err.message, /credentials/)
  }
})

test('TypeError nowhere: non-iterable resource, BigInt anywhere, null options, Symbol and null-prototype values, a non-function now', async () => {
  const services = fakeServices()
  const client = new MaskinportenClient(testConfig({ fetch: services.fetch }))
  await refused(() => client.getToken({ resource: 5 as never }))
  await refused(() => client.getToken({ resource: {} as never }))
  await refused(() => client.getToken({ scope: 10n as never }))
  await refused(() => client.getToken({ orgNummer: 10n as never }))
  await refused(() => client.getToken(null as never))
  await refused(() => client.altinnTokenResult(null as never))
  await refused(() => client.getToken({ forceRefresh: 'yes' as never }))
  await refused(() => client.systemuserToken(Symbol('x') as never))
  await refused(() => client.getToken(Object.defineProperty({}, 'scope', { get: () => { throw new TypeError('boom') } })))
  client.close()
  await refused(() => new MaskinportenClient(testConfig(), null as never))
  await refused(() => new MaskinportenClient(null as never))
  await refused(() => new MaskinportenClient(testConfig(), { retry: null as never }))
  await refused(() => new MaskinportenClient(testConfig(), { retry: { deadlineMs: 10n as never } }))
  await refused(() => new MaskinportenClient(testConfig(), { now: 5 as never }))
  await refused(() => new MaskinportenClient(testConfig(), { store: null as never }))
  for (const bad of [Symbol('m'), Object.create(null), 10n]) {
    await refused(() => new MaskinportenClient(testConfig(), { marginMs: bad as never }))
    await refused(() => new MaskinportenClient(testConfig(), { refreshAhead: bad as never }))
  }
  await refused(() => resolveConfig(testConfig({ timeoutMs: 10n as never })))
  await refused(() => getMaskinportenToken(testConfig(), 'a', null as never))
  await refused(() => getMaskinportenToken(testConfig(), 'a', { resource: 7 as never }))
  await refused(() => getMaskinportenToken(testConfig(), 'a', { signal: 'stop' as never }))
  await refused(() => getAltinnToken(testConfig(), 5 as never))
  await refused(() => getSystemuserToken(testConfig(), 310702641 as never))
  await refused(() => configFromEnv(null as never))
  await refused(() => configFromEnv({ MASKINPORTEN_CLIENT_ID: 5 as never }))
  await refused(() => generateSigningKey(null as never))
  await refused(() => publicJwk('not a key' as never))
  await refused(() => jwkThumbprint(null as never))
})

test('buildJwtGrant called directly: a non-iterable resource, a non-function now, a throwing getter are invalid_config', async () => {
  const getter = Object.defineProperty({}, 'orgNummer', { get: () => { throw new Error(pem()) }, enumerable: true })
  for (const opts of [{ resource: 5 }, { resource: { length: 1 } }, { now: 'soon' }, { now: 10n }, getter]) {
    await refused(() => buildJwtGrant(testConfig(), 'a:b', opts as never))
  }
})

test('a non-function now is refused up front, not reported later as maskinporten_request_failed', async () => {
  const err = await refused(() => new MaskinportenClient(testConfig(), { now: 'Date.now' as never }))
  assert.match(err.message, /now must be a function/)
})

test('marginMs: 10n, true, [], "", Infinity, -1 and NaN are refused, not coerced', async () => {
  for (const bad of [10n, true, [], '', Number.POSITIVE_INFINITY, -1, Number.NaN, '5000']) {
    await refused(() => new MaskinportenClient(testConfig(), { marginMs: bad as never }))
  }
  for (const bad of [10n, true, [], '', Number.POSITIVE_INFINITY, 0, -1]) {
    await refused(() => new MaskinportenClient(testConfig(), { storeTimeoutMs: bad as never }))
  }
})

test('a closed client says client_closed, still a MaskinportenError', async () => {
  const client = new MaskinportenClient(testConfig({ fetch: fakeServices().fetch }))
  client.close()
  const err = await refused(() => client.getToken(), 'client_closed')
  assert.ok(err instanceof MaskinportenError)
  await refused(() => client.altinnToken(), 'client_closed')
})

test('one retry budget per call: with maxAttempts 4 and the token endpoint down, an Altinn token costs 4 requests, retries named "token", one failed event', async () => {
  const services = fakeServices([], networkError())
  const events: ClientEvent[] = []
  const client = new MaskinportenClient(testConfig({ fetch: services.fetch }), {
    now: manualClock().now,
    onEvent: (e) => events.push(e),
    retry: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 4 },
  })
  await refused(() => client.altinnToken(), 'maskinporten_request_failed')
  assert.equal(services.grants.length, 4)
  assert.equal(services.exchanges.length, 0)
  const retries = events.filter((e) => e.type === 'retry')
  assert.equal(retries.length, 3)
  assert.ok(retries.every((e) => e.type === 'retry' && e.endpoint === 'token'))
  assert.equal(events.filter((e) => e.type === 'failed').length, 1)
  client.close()
})

test('.env: an unclosed quote in a large file is parsed in one pass and named by its line; over 1 MiB is refused', () => {
  const text = `A=1\nB="${'x'.repeat(300 * 1024)}\n${'y=\n'.repeat(20_000)}`
  assert.throws(() => parseDotenv(text, '.env'), { code: 'invalid_config', message: /\.env line 2 opens a " quote that is never closed/ })
  assert.throws(() => parseDotenv('A=1\n'.repeat(MAX_DOTENV_BYTES / 4 + 1)), { code: 'invalid_config', message: /over/ })
  // Multi-line values and line numbers after them still read as before.
  assert.deepEqual(parseDotenv('A="one\ntwo"\nB=\'x\'\n\nC=3 # c'), { A: 'one\ntwo', B: 'x', C: '3' })
  assert.throws(() => parseDotenv('A="one\ntwo"\nnot a line'), { message: /line 3 is not NAME=value/ })
})

test('.env that is a FIFO (or any non-regular file) is refused at once, not waited on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dotenv-fifo-'))
  try {
    execFileSync('mkfifo', [join(dir, '.env')])
    assert.throws(() => readDotenv(dir), { code: 'invalid_config', message: /not a regular file/ })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('XDG_CACHE_HOME relative is ignored (XDG spec); /proc/self is refused without spinning', () => {
  assert.equal(cacheDir({ XDG_CACHE_HOME: 'relative/cache', HOME: '/home/u' }), '/home/u/.cache/wenche-maskinporten')
  assert.equal(cacheDir({ XDG_CACHE_HOME: '/abs/cache', HOME: '/home/u' }), '/abs/cache/wenche-maskinporten')
  const warnings: string[] = []
  const store = new FileTokenStore(cacheDir({ XDG_CACHE_HOME: '/proc/self' }), { warn: (line) => warnings.push(line) })
  const now = Date.now()
  store.set('k', { accessToken: 'a.b.c', tokenType: 'Bearer', scope: 's', obtainedAt: now, expiresAt: now + 60_000 })
  assert.equal(store.get('k'), undefined)
  assert.equal(warnings.length, 1)
  assert.match(warnings[0]!, /not using the token cache/)
})

test('the cache directory is made a level at a time under a fresh root', () => {
  const root = mkdtempSync(join(tmpdir(), 'xdg-'))
  try {
    const store = new FileTokenStore(join(root, 'a', 'b', 'wenche-maskinporten'))
    const now = Date.now()
    store.set('k', { accessToken: 'a.b.c', tokenType: 'Bearer', scope: 's', obtainedAt: now, expiresAt: now + 60_000 })
    assert.equal(store.get('k')?.accessToken, 'a.b.c')
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test('a key file that is a FIFO is refused at once, not waited on', () => {
  const dir = mkdtempSync(join(tmpdir(), 'key-fifo-'))
  try {
    execFileSync('mkfifo', [join(dir, 'key.pem')])
    assert.throws(() => configFromEnv({ MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_KID: 'k', MASKINPORTEN_PRIVAT_NOKKEL: join(dir, 'key.pem') }), {
      code: 'invalid_config',
      message: /is not a regular file/,
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
