// Hostile token stores: stalling, throwing, answering garbage. Callers still get a fresh token, within the bound,
// and the store's failure is an event.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MaskinportenClient } from '../../src/client/client.js'
import type { ClientEvent, MaskinportenClientOptions } from '../../src/client/options.js'
import type { TokenStore } from '../../src/client/store.js'
import { defaultScopes } from '../../src/config/scopes.js'
import { testConfig } from '../support/fixtures.js'
import { fakeServices, jwtLike, manualClock } from '../support/client-fakes.js'

const never = (): Promise<never> => new Promise(() => {})

function setup(store: TokenStore, options: MaskinportenClientOptions = {}) {
  const services = fakeServices()
  const clock = manualClock()
  const events: ClientEvent[] = []
  const client = new MaskinportenClient(testConfig({ fetch: services.fetch }), {
    store,
    now: clock.now,
    onEvent: (e) => events.push(e),
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    storeTimeoutMs: 20,
    ...options,
  })
  const storeErrors = () => events.filter((e): e is Extract<ClientEvent, { type: 'store-error' }> => e.type === 'store-error')
  return { client, services, clock, events, storeErrors }
}

test('a store whose get() never settles: getToken gets a fresh token once storeTimeoutMs has passed, and a timeout event', async () => {
  const { client, services, storeErrors } = setup({ get: never, set: () => {}, delete: () => {} })
  const token = await client.getToken()
  assert.match(token.accessToken, /^opaque-token-/)
  assert.equal(services.grants.length, 1)
  assert.deepEqual(
    storeErrors().map((e) => [e.operation, e.reason]),
    [['get', 'timeout']],
  )
  client.close()
})

test('the default store timeout bounds a stalled store too (1 s, not forever)', async () => {
  const services = fakeServices()
  const client = new MaskinportenClient(testConfig({ fetch: services.fetch }), { store: { get: never, set: never, delete: never } })
  assert.match((await client.getToken()).accessToken, /^opaque-token-/)
  client.close()
})

test('a store whose set(), delete() and clear() never settle: clear() still returns, and so does the next call', async () => {
  for (const withClear of [true, false]) {
    const store: TokenStore = { get: () => undefined, set: never, delete: never, ...(withClear ? { clear: never } : {}) }
    const { client, storeErrors } = setup(store)
    await client.getToken()
    await client.clear()
    await client.getToken()
    const ops = storeErrors().map((e) => `${e.operation}:${e.reason}`)
    assert.ok(ops.includes('set:timeout'), ops.join())
    assert.ok(ops.includes(withClear ? 'clear:timeout' : 'delete:timeout'), ops.join())
    client.close()
  }
})

test('a store that throws, rejects, or hands back a thenable whose then() throws is a miss and an event', async () => {
  const stores: TokenStore[] = [
    { get: () => { throw new Error('down') }, set: () => { throw new Error('down') }, delete: () => {} },
    { get: () => Promise.reject(new Error('down')), set: () => Promise.reject(new Error('down')), delete: () => {} },
    { get: () => ({ then: () => { throw new Error('down') } }) as never, set: () => {}, delete: () => {} },
  ]
  for (const store of stores) {
    const { client, storeErrors } = setup(store)
    assert.match((await client.getToken()).accessToken, /^opaque-token-/)
    assert.ok(storeErrors().some((e) => e.operation === 'get' && e.reason === 'failed'))
    client.close()
  }
})

test("null from a store (node-redis' miss) is a miss, not a TypeError, and no event", async () => {
  for (const get of [() => null, async () => null]) {
    const { client, storeErrors, services } = setup({ get, set: () => {}, delete: () => {} })
    assert.match((await client.getToken()).accessToken, /^opaque-token-/)
    assert.match((await client.getToken()).accessToken, /^opaque-token-/)
    assert.equal(services.grants.length, 2)
    assert.equal(storeErrors().length, 0)
    client.close()
  }
})

test('garbage from a store is never handed out: each shape is a miss, a fresh token and a store-error event', async () => {
  const clock = manualClock()
  const t = clock.now()
  const good = { accessToken: jwtLike({}), tokenType: 'Bearer', scope: defaultScopes(), obtainedAt: t, expiresAt: t + 119_000 }
  const shapes: Record<string, unknown> = {
    'a number as accessToken': { ...good, accessToken: 5 },
    'a raw JSON string': JSON.stringify(good),
    'a number': 42,
    'an array': [good],
    'expiresAt NaN': { ...good, expiresAt: Number.NaN },
    'expiresAt a string': { ...good, expiresAt: String(t + 119_000) },
    'expiresAt missing': { ...good, expiresAt: undefined },
    'expiresAt Infinity': { ...good, expiresAt: Number.POSITIVE_INFINITY },
    'a ten-year life': { ...good, expiresAt: t + 10 * 365 * 24 * 3600_000 },
    'another scope set': { ...good, scope: 'altinn:other.scope' },
    'a newline in the token': { ...good, accessToken: `${good.accessToken}\nx` },
    'a control character in the token': { ...good, accessToken: `a.b\u0007.c` },
    'a 1 MB token': { ...good, accessToken: `a.${'b'.repeat(1024 * 1024)}.c` },
    'obtained a year from now': { ...good, obtainedAt: t + 365 * 24 * 3600_000, expiresAt: t + 365 * 24 * 3600_000 + 119_000 },
    'a symbol': Symbol('x'),
    'a boolean': true,
  }
  for (const [name, answer] of Object.entries(shapes)) {
    for (const async of [false, true]) {
      const store: TokenStore = { get: () => (async ? Promise.resolve(answer as never) : (answer as never)), set: () => {}, delete: () => {} }
      const { client, storeErrors } = setup(store, { now: clock.now })
      const token = await client.getToken()
      assert.match(token.accessToken, /^opaque-token-/, name)
      assert.ok(Number.isFinite(token.expiresAt) && token.expiresAt === t + 119_000, name)
      assert.deepEqual(storeErrors().map((e) => [e.operation, e.reason]), [['get', 'invalid']], name)
      client.close()
    }
  }
  // The good one is a hit, proving the check is not simply refusing everything.
  const { client, services, storeErrors } = setup({ get: () => good, set: () => {}, delete: () => {} }, { now: clock.now })
  assert.equal((await client.getToken()).accessToken, good.accessToken)
  assert.equal(services.grants.length, 0)
  assert.equal(storeErrors().length, 0)
  client.close()
})

test('a 10 s token under the 5 s margin: over 30 s of calls every 100 ms, no caller waits for a fetch after the first', async () => {
  const services = fakeServices([], (grant) =>
    Response.json({ access_token: `t${grant?.claims.jti as string}.x.y`.replace(/[^A-Za-z0-9_.-]/g, ''), token_type: 'Bearer', expires_in: 10, scope: grant?.claims.scope }),
  )
  const clock = manualClock()
  const events: ClientEvent[] = []
  const client = new MaskinportenClient(testConfig({ fetch: services.fetch }), { now: clock.now, onEvent: (e) => events.push(e) })
  await client.getToken()
  let waited = 0
  for (let ms = 0; ms < 30_000; ms += 100) {
    clock.advance(100)
    const before = events.filter((e) => e.type === 'fetched' && !e.background).length
    const token = await client.getToken()
    assert.ok(token.expiresAt - clock.now() > 5_000, `handed out inside the margin at ${ms} ms`)
    if (events.filter((e) => e.type === 'fetched' && !e.background).length > before) waited++
    // Let a background refresh land (the fake answers at once; no wall clock moves the injected one).
    await new Promise((resolve) => setImmediate(resolve))
  }
  assert.equal(waited, 0)
  const refreshes = events.filter((e) => e.type === 'fetched' && e.background).length
  assert.ok(refreshes >= 5, `only ${refreshes} background refreshes`)
  client.close()
})

test('a stalled store does not hang altinnTokenResult after an exchange 401 (the refused token is forgotten within the bound)', async () => {
  const services = fakeServices()
  let refuse = 1
  const fetch: typeof globalThis.fetch = async (input, init) => {
    if (String(input).includes('/exchange/') && refuse-- > 0) return new Response('{"error":"invalid token"}', { status: 401 })
    return services.fetch(input, init)
  }
  const events: ClientEvent[] = []
  const client = new MaskinportenClient(testConfig({ fetch }), {
    store: { get: never, set: never, delete: never },
    storeTimeoutMs: 20,
    onEvent: (e) => events.push(e),
  })
  const result = await client.altinnTokenResult()
  assert.ok(result.accessToken)
  assert.equal(services.grants.length, 2) // the refused Maskinporten token, and a fresh one in the same call
  assert.ok(events.some((e) => e.type === 'store-error' && e.operation === 'delete' && e.reason === 'timeout') || events.some((e) => e.type === 'store-error' && e.operation === 'get'))
  await client.clear()
  client.close()
})
