import { mock, test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { inspect, promisify } from 'node:util'
import { MaskinportenClient } from '../../src/client/client.js'
import type { ClientEvent, MaskinportenClientOptions } from '../../src/client/options.js'
import { MemoryTokenStore, type StoredToken, type TokenStore } from '../../src/client/store.js'
import { isMaskinportenError } from '../../src/errors/errors.js'
import { defaultScopes } from '../../src/config/scopes.js'
import { keyParseCount } from '../../src/signing/keys.js'
import { assertNoSecrets, keyFragments, testConfig, testKey } from '../support/fixtures.js'
import { fakeServices, manualClock, settle, slowed, slowStore, status, type Step } from '../support/client-fakes.js'
import { BUILD, ROOT } from '../support/paths.ts'

const ORG = '310702641'
const OTHER_ORG = '991825827'
const DEFAULT_SCOPES_TEXT = defaultScopes()

function setup(script: Step[] = [], options: MaskinportenClientOptions = {}) {
  const services = fakeServices(script)
  const clock = manualClock()
  const events: ClientEvent[] = []
  const client = new MaskinportenClient(testConfig({ fetch: services.fetch }), {
    now: clock.now,
    onEvent: (e) => events.push(e),
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    ...options,
  })
  const count = (type: ClientEvent['type']): number => events.filter((e) => e.type === type).length
  return { services, clock, events, client, count }
}

test('the config is validated and the key parsed once, in the constructor; nothing is sent', async () => {
  assert.throws(() => new MaskinportenClient(testConfig({ clientId: '' })), { code: 'invalid_config' })
  assert.throws(() => new MaskinportenClient(testConfig(), { refreshAhead: 2 }), { code: 'invalid_config' })
  assert.throws(() => new MaskinportenClient(testConfig(), { retry: { deadlineMs: -1 } }), { code: 'invalid_config' })
  const { client, services } = setup()
  const parses = keyParseCount()
  for (const org of [ORG, OTHER_ORG]) await client.getToken({ orgNummer: org, forceRefresh: true })
  assert.equal(keyParseCount(), parses)
  assert.equal(services.grants.length, 2)
  client.close()
})

test('a second call is a cache hit: no grant, no request, the same token', async () => {
  const { client, services, count } = setup()
  const first = await client.getToken({ scope: 'altinn:instances.read' })
  const second = await client.getToken({ scope: 'altinn:instances.read' })
  assert.equal(second.accessToken, first.accessToken)
  assert.equal(services.grants.length, 1)
  assert.equal(count('fetched'), 1)
  assert.equal(count('hit'), 1)
  client.close()
})

test('the scope SET is the key: order, duplicates, lists and white space do not matter', async () => {
  const { client, services } = setup()
  const a = await client.getToken({ scope: 'a:one b:two' })
  const b = await client.getToken({ scope: 'b:two a:one' })
  const c = await client.getToken({ scope: ['b:two', 'a:one', 'a:one'] })
  const d = await client.getToken({ scope: '  a:one   b:two ' })
  assert.equal(services.grants.length, 1)
  assert.equal(new Set([a, b, c, d].map((t) => t.accessToken)).size, 1)
  client.close()
})

test('everything that changes a token is in the key: org, externalRef, resource, consumerOrg, scope', async () => {
  const { client, services } = setup()
  const variants = [
    {},
    { scope: 'altinn:instances.read' },
    { orgNummer: ORG },
    { orgNummer: OTHER_ORG },
    { orgNummer: ORG, externalRef: 'ref-1' },
    { orgNummer: ORG, externalRef: 'ref-2' },
    { resource: 'https://api.example.no' },
    { consumerOrg: OTHER_ORG },
  ]
  const tokens = new Set<string>()
  for (const v of variants) tokens.add((await client.getToken(v)).accessToken)
  for (const v of variants) tokens.add((await client.getToken(v)).accessToken)
  assert.equal(services.grants.length, variants.length)
  assert.equal(tokens.size, variants.length)
  // "0192:"-prefixed and spaced org numbers are the same org.
  await client.getToken({ orgNummer: `0192:${ORG}` })
  assert.equal(services.grants.length, variants.length)
  client.close()
})

test('single flight: 1000 concurrent callers, one grant, one request, one token', async () => {
  const { client, services, count } = setup()
  services.hold()
  const calls = Array.from({ length: 1000 }, () => client.getToken({ orgNummer: ORG }))
  await settle()
  services.open()
  const results = await Promise.all(calls)
  assert.equal(services.grants.length, 1)
  assert.equal(new Set(results.map((r) => r.accessToken)).size, 1)
  assert.equal(count('fetched'), 1)
  client.close()
})

test('single flight: every waiter gets the same error, and the failure is not cached', async () => {
  const invalidScope = status(400, { error: 'invalid_scope', error_description: 'Token request contains invalid scopes for client, x' })
  const { client, services } = setup([invalidScope])
  services.hold()
  const calls = Array.from({ length: 50 }, () => client.getToken({ scope: 'x' }).then(() => undefined, (e: unknown) => e))
  await settle()
  services.open()
  const errors = await Promise.all(calls)
  assert.equal(services.grants.length, 1)
  assert.equal(new Set(errors).size, 1)
  assert.ok(isMaskinportenError(errors[0]))
  assert.equal(errors[0].oauthError, 'invalid_scope')
  const next = await client.getToken({ scope: 'x' })
  assert.ok(next.accessToken)
  assert.equal(services.grants.length, 2)
  client.close()
})

test('expiry from expires_in (an opaque token is fine), never handed out inside the margin', async () => {
  const { client, clock, services } = setup([], { marginMs: 5000, refreshAhead: 1 })
  const t0 = clock.now()
  const first = await client.getToken()
  assert.equal(first.expiresAt, t0 + 119_000)
  assert.equal(first.expiresIn, 119)
  clock.advance(119_000 - 5000 - 1)
  const still = await client.getToken()
  assert.equal(still.accessToken, first.accessToken)
  assert.equal(still.expiresIn, 5)
  assert.equal(services.grants.length, 1)
  clock.advance(1)
  const fresh = await client.getToken()
  assert.notEqual(fresh.accessToken, first.accessToken)
  assert.equal(services.grants.length, 2)
  client.close()
})

test('refresh ahead: past 75 % of the life the caller gets the cached token at once, one refresh runs behind', async () => {
  const { client, clock, services, count } = setup()
  const first = await client.getToken()
  clock.advance(0.75 * 119_000 + 1)
  services.hold()
  const during = await Promise.all([client.getToken(), client.getToken(), client.getToken()])
  assert.deepEqual(during.map((t) => t.accessToken), [first.accessToken, first.accessToken, first.accessToken])
  assert.equal(count('refresh'), 1)
  services.open()
  await settle()
  await settle()
  const after = await client.getToken()
  assert.notEqual(after.accessToken, first.accessToken)
  assert.equal(services.grants.length, 2)
  assert.equal(count('fetched'), 2)
  client.close()
})

test('forceRefresh skips the cache, and concurrent forced callers still share one request', async () => {
  const { client, services } = setup()
  const first = await client.getToken()
  const forced = await Promise.all([client.getToken({ forceRefresh: true }), client.getToken({ forceRefresh: true })])
  assert.equal(services.grants.length, 2)
  assert.notEqual(forced[0].accessToken, first.accessToken)
  assert.equal(forced[0].accessToken, forced[1].accessToken)
  assert.equal((await client.getToken()).accessToken, forced[0].accessToken)
  client.close()
})

test('the Altinn token is cached for its own life (exp - iat), the Maskinporten token for its', async () => {
  const { client, clock, services } = setup()
  services.altinn(1800, 1_000_000) // Altinn's clock far from ours: only the life counts
  const first = await client.altinnToken({ orgNummer: ORG })
  clock.advance(20 * 60_000) // the 2-minute Maskinporten token is long gone; the Altinn token is not
  assert.equal(await client.systemuserToken(ORG), first)
  assert.equal(services.exchanges.length, 1)
  assert.equal(services.grants.length, 1)
  clock.advance(10 * 60_000)
  const next = await client.altinnToken({ orgNummer: ORG })
  assert.notEqual(next, first)
  assert.equal(services.exchanges.length, 2)
  assert.equal(services.grants.length, 2)
  // Altinn and Maskinporten tokens of one scope set and org live in different key spaces.
  const mp = await client.getToken({ orgNummer: ORG })
  assert.notEqual(mp.accessToken, next)
  assert.equal(services.grants.length, 2)
  client.close()
})

test('altinnTokenResult: the Altinn token with its expiry and scope, the same cache entry as altinnToken', async () => {
  const { client, clock, services } = setup()
  const result = await client.altinnTokenResult({ orgNummer: ORG })
  assert.equal(result.tokenType, 'Bearer')
  assert.equal(result.scope, DEFAULT_SCOPES_TEXT, 'the scope of the Maskinporten token it came from')
  assert.equal(result.expiresAt, clock.now() + 1800_000)
  assert.equal(result.expiresIn, 1800)
  assert.doesNotMatch(inspect(result), new RegExp(result.accessToken))
  clock.advance(60_000)
  assert.equal(await client.altinnToken({ orgNummer: ORG }), result.accessToken)
  const again = await client.altinnTokenResult({ orgNummer: ORG })
  assert.equal(again.accessToken, result.accessToken)
  assert.equal(again.expiresIn, 1740)
  assert.equal(services.exchanges.length, 1)
  assert.notEqual((await client.altinnTokenResult({ orgNummer: ORG, forceRefresh: true })).accessToken, result.accessToken)
  assert.equal(services.exchanges.length, 2)
  assert.equal(services.grants.length, 1, 'a forced exchange uses the Maskinporten token still good')
  client.close()
})

test('resource and consumerOrg change the Altinn token: each its own grant, exchange and cache entry', async () => {
  const { client, services } = setup()
  const variants = [{}, { resource: 'https://api.example/' }, { consumerOrg: OTHER_ORG }, { resource: ['https://api.example/'], consumerOrg: OTHER_ORG }]
  const tokens = []
  for (const variant of variants) tokens.push(await client.altinnToken({ orgNummer: ORG, ...variant }))
  assert.equal(new Set(tokens).size, variants.length)
  assert.equal(services.exchanges.length, variants.length)
  assert.deepEqual(
    services.grants.map((g) => [g.claims.resource, g.claims.consumer_org]),
    [[undefined, undefined], [['https://api.example/'], undefined], [undefined, OTHER_ORG], [['https://api.example/'], OTHER_ORG]],
  )
  for (const [i, variant] of variants.entries()) {
    assert.equal(await client.altinnToken({ orgNummer: ORG, ...variant }), tokens[i])
    assert.equal((await client.altinnTokenResult({ orgNummer: ORG, ...variant })).accessToken, tokens[i])
  }
  assert.equal(services.exchanges.length, variants.length, 'all cache hits')
  client.close()
})

test('the seed flows are methods with the seed scopes', async () => {
  const { client, services } = setup()
  await client.adminToken()
  await client.skdAksjonaerToken(ORG)
  await client.skdSkattemeldingToken(ORG)
  assert.deepEqual(
    services.grants.map((g) => g.claims.scope),
    [
      'altinn:authentication/systemregister.write altinn:authentication/systemuser.request.read altinn:authentication/systemuser.request.write',
      'skatteetaten:innrapporteringaksjonaerregisteroppgave',
      'skatteetaten:formueinntekt/skattemelding altinn:instances.read altinn:instances.write',
    ],
  )
  client.close()
})

test('a shared TokenStore: a second client (another pod) gets a hit without a request', async () => {
  const shared = new Map<string, string>()
  const store: TokenStore = {
    async get(key) {
      const text = shared.get(key)
      return text ? (JSON.parse(text) as StoredToken) : undefined
    },
    async set(key, token, ttlMs) {
      assert.ok(ttlMs > 100_000 && ttlMs <= 119_000)
      shared.set(key, JSON.stringify(token))
    },
    async delete(key) {
      shared.delete(key)
    },
  }
  const a = setup([], { store })
  const b = setup([], { store })
  const fromA = await a.client.getToken({ orgNummer: ORG })
  await settle()
  const fromB = await b.client.getToken({ orgNummer: ORG })
  assert.equal(fromB.accessToken, fromA.accessToken)
  assert.equal(b.services.grants.length, 0)
  await b.client.clear() // no clear() on this store: b deletes what b wrote (nothing)
  assert.equal(shared.size, 1)
  await a.client.clear()
  assert.equal(shared.size, 0)
  a.client.close()
  b.client.close()
})

test('a failing store is a miss, never an error for the caller', async () => {
  const broken: TokenStore = {
    get: () => Promise.reject(new Error('redis down')),
    set: () => {
      throw new Error('redis down')
    },
    delete: () => undefined,
  }
  const { client, count } = setup([], { store: broken })
  assert.ok((await client.getToken()).accessToken)
  assert.ok((await client.getToken()).accessToken)
  assert.equal(count('store-error'), 4)
  client.close()
})

test('a throwing onEvent listener does not break anything', async () => {
  const { client } = setup([], { onEvent: () => { throw new Error('listener bug') } })
  assert.ok((await client.getToken()).accessToken)
  assert.ok((await client.getToken()).accessToken)
  client.close()
})

test('no secret in events, nor in JSON, inspect or String of the client and its results', async () => {
  const { client, events, services } = setup()
  const result = await client.getToken({ orgNummer: ORG })
  await client.getToken({ orgNummer: ORG })
  const altinn = await client.altinnToken()
  const secrets = [result.accessToken, altinn, services.grants[0]!.grant, ...services.grants.map((g) => String(g.claims.jti)), ...keyFragments(testKey().pkcs8)]
  const texts = [
    JSON.stringify(events),
    inspect(events, { depth: 10 }),
    JSON.stringify(client),
    inspect(client, { depth: 10, showHidden: true }),
    String(client),
    JSON.stringify(result),
    inspect(result),
    String(result),
    inspect({ nested: { result } }, { depth: 10 }),
  ]
  assertNoSecrets(texts, secrets)
  assert.match(inspect(result), /accessToken: '\[masked, \d+ chars\]'/)
  // The token stays a plain, enumerable property; spreading is the deliberate way to serialise it.
  assert.ok(Object.keys(result).includes('accessToken'))
  assert.equal(JSON.parse(JSON.stringify({ ...result })).accessToken, result.accessToken)
  assert.match(inspect(client), /clientId: 'test-client-0b3c'/)
  client.close()
})

test('close(): a waiting caller gets an error, later calls are refused, and no timer is left to hold the process', async () => {
  const { client, services } = setup([status(503)], { retry: { baseDelayMs: 60_000, maxDelayMs: 60_000, deadlineMs: 600_000 } })
  // Timers that keep the process alive (unref'd ones are not listed).
  const heldBy = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
  const before = heldBy()
  const pending = client.getToken()
  await settle()
  await settle()
  assert.equal(services.grants.length, 1) // now waiting a minute before the retry
  assert.equal(heldBy(), before + 1) // a caller waits on it: that wait keeps the process alive
  client.close()
  assert.equal(heldBy(), before)
  await assert.rejects(pending, { code: 'maskinporten_error', status: 503 })
  await assert.rejects(client.getToken(), { code: 'client_closed' })
  client.close() // idempotent
  assert.equal(heldBy(), before)
})

test('close(): a process waiting minutes for a retry exits by itself once the client is closed', async () => {
  const root = ROOT
  const dir = await mkdtemp(join(tmpdir(), 'client-close-'))
  const script = join(dir, 'close.mjs')
  await writeFile(
    script,
    `import { MaskinportenClient } from ${JSON.stringify(pathToFileURL(join(BUILD, 'src/client/client.js')).href)}
import { testConfig } from ${JSON.stringify(pathToFileURL(join(BUILD, 'test/support/fixtures.js')).href)}
let requests = 0
let waiting = false
const fetch = async () => (requests++, Response.json({ error: 'server_error' }, { status: 503 }))
const client = new MaskinportenClient(testConfig({ fetch }), {
  retry: { baseDelayMs: 600_000, maxDelayMs: 600_000, deadlineMs: 3_600_000 },
  onEvent: (e) => void (e.type === 'retry' && (waiting = true)),
})
const pending = client.getToken().then(() => 'token', (e) => e.code)
while (!waiting) await new Promise((resolve) => setImmediate(resolve)) // now in a 5-10 minute wait a caller awaits
client.close()
console.log(requests, await pending)
`,
  )
  try {
    // Without close() this child would wait ten minutes; the timeout kills it long before and fails the test.
    const { stdout } = await promisify(execFile)(process.execPath, [script], { cwd: root, timeout: 30_000 })
    assert.equal(stdout.trim(), '1 maskinporten_error')
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('close() while a caller waits on an async store: no fetch starts, nothing is stored, the caller gets the close error', async () => {
  const { store, entries } = slowStore(5, 5)
  const { client, services } = setup([], { store })
  const token = client.getToken({ orgNummer: ORG })
  const altinn = client.altinnToken({ orgNummer: ORG })
  client.close()
  await assert.rejects(token, { code: 'client_closed', message: /closed/ })
  await assert.rejects(altinn, { code: 'client_closed', message: /closed/ })
  await new Promise((resolve) => setTimeout(resolve, 20))
  assert.equal(services.grants.length, 0)
  assert.equal(services.exchanges.length, 0)
  assert.equal(entries.size, 0)
})

test('close() just as a fetch finishes: its token is not written, to the client\'s own store or a given one', async () => {
  for (const own of [true, false]) {
    const services = fakeServices()
    const entries = new Map<string, StoredToken>()
    const given: TokenStore = { get: (k) => entries.get(k), set: (k, t) => void entries.set(k, t), delete: (k) => void entries.delete(k) }
    const set = mock.method(MemoryTokenStore.prototype, 'set')
    try {
      // The answer is in: close() runs before the cache gets to store it.
      const client: MaskinportenClient = new MaskinportenClient(testConfig({ fetch: services.fetch }), {
        ...(own ? {} : { store: given }),
        onEvent: (e) => void (e.type === 'fetched' && client.close()),
      })
      assert.ok((await client.getToken({ orgNummer: ORG })).accessToken) // the caller still gets it
      await settle()
      assert.equal(services.grants.length, 1)
      assert.equal(set.mock.callCount(), 0, own ? 'written to the own store after close()' : 'MemoryTokenStore used')
      assert.equal(entries.size, 0, 'written to the given store after close()')
    } finally {
      set.mock.restore()
    }
  }
})

test('clear() with an async store: a token whose write has not landed yet does not come back after it', async () => {
  const { store, entries } = slowStore(5, 30)
  const { client, services } = setup([], { store: { ...store, clear: () => entries.clear() } })
  await client.getToken({ orgNummer: ORG }) // its write lands 30 ms from now
  await client.clear()
  await new Promise((resolve) => setTimeout(resolve, 40))
  assert.equal(entries.size, 0)
  await client.getToken({ orgNummer: ORG })
  assert.equal(services.grants.length, 2)
  client.close()
})

test('single flight with an async store: callers arriving while the token is written share the one request', async () => {
  // A 5 ms store and a 20 ms server, one caller each millisecond for 60 ms.
  for (const [getMs, setMs] of [[5, 5], [30, 1], [1, 30]] as const) {
    const services = fakeServices()
    const { store, stats } = slowStore(getMs, setMs)
    const client = new MaskinportenClient(testConfig({ fetch: slowed(services.fetch, 20) }), { store })
    const calls: Array<Promise<{ accessToken: string }>> = []
    for (let ms = 0; ms < 60; ms++) {
      calls.push(client.getToken({ orgNummer: ORG }))
      await new Promise((resolve) => setTimeout(resolve, 1))
    }
    const results = await Promise.all(calls)
    assert.equal(services.grants.length, 1, `get ${getMs} ms, set ${setMs} ms`)
    assert.equal(new Set(results.map((r) => r.accessToken)).size, 1)
    assert.equal(stats.sets, 1)
    client.close()
  }
})

test('single flight with an async store: 10 000 concurrent callers, one request', async () => {
  const { client, services } = setup([], { store: slowStore(5, 5).store })
  const results = await Promise.all(Array.from({ length: 10_000 }, () => client.getToken({ orgNummer: ORG })))
  assert.equal(services.grants.length, 1)
  assert.equal(new Set(results.map((r) => r.accessToken)).size, 1)
  client.close()
})

test('invalid requests throw invalid_config every time, before anything is sent; the memo never bypasses a check', async () => {
  const { client, services } = setup()
  await client.getToken({ orgNummer: ORG })
  for (const bad of [{ orgNummer: '123456789' }, { orgNummer: Number(ORG) as unknown as string }, { scope: '' }, { externalRef: 'x' }]) {
    await assert.rejects(client.getToken(bad), { code: 'invalid_config' })
    await assert.rejects(client.getToken(bad), { code: 'invalid_config' })
  }
  await assert.rejects(client.altinnToken({ orgNummer: '999888777' }), { code: 'invalid_config' })
  assert.equal(services.grants.length, 1)
  client.close()
})


test('a failing background refresh is reported, never thrown; callers keep the cached token until its margin', async () => {
  const invalidScope = status(400, { error: 'invalid_scope', error_description: 'scope withdrawn' })
  const { client, clock, services, events } = setup([], { retry: { baseDelayMs: 200, maxDelayMs: 200 } })
  const first = await client.getToken()
  services.script.push(invalidScope, invalidScope)
  clock.advance(100_000) // past 75 %, before the margin
  assert.equal((await client.getToken()).accessToken, first.accessToken)
  await settle()
  const failed = events.filter((e) => e.type === 'failed')
  assert.equal(failed.length, 1)
  assert.equal(failed[0]!.type === 'failed' && failed[0]!.background, true)
  assert.equal(services.grants.length, 2)
  // 200 hits in the next 200 ms: the refresh backs off (from the retry base delay) instead of one request per hit.
  for (let ms = 0; ms < 200; ms++) {
    assert.equal((await client.getToken()).accessToken, first.accessToken)
    clock.advance(1)
    await settle()
  }
  assert.equal(services.grants.length, 2) // was 200 requests, one per hit
  // 200 ms after the failure the next hit refreshes again (and fails again: next wait 400 ms).
  assert.equal((await client.getToken()).accessToken, first.accessToken)
  await settle()
  assert.equal(services.grants.length, 3)
  assert.equal(events.filter((e) => e.type === 'failed').length, 2)
  clock.advance(399)
  assert.equal((await client.getToken()).accessToken, first.accessToken)
  await settle()
  assert.equal(services.grants.length, 3)
  client.close()
})

test('refreshes after failures back off, doubling, yet are still tried before the margin; a success ends the backoff', async () => {
  const withdrawn = status(400, { error: 'invalid_scope', error_description: 'scope withdrawn' })
  // A 119 s token, refreshed ahead from 89.25 s, handed out until 114 s: 24.75 s of refreshes in the background.
  const { client, clock, services, events } = setup([], { retry: { baseDelayMs: 1000, maxDelayMs: 1000 } })
  const t0 = clock.now()
  const first = await client.getToken()
  services.script.push(...Array.from({ length: 100 }, () => withdrawn))
  const refreshedAt: number[] = []
  clock.advance(89_250)
  // A hit every 10 ms up to the margin: 2475 hits.
  while (clock.now() < t0 + 114_000) {
    const before = services.grants.length
    assert.equal((await client.getToken()).accessToken, first.accessToken)
    await settle()
    if (services.grants.length > before) refreshedAt.push(clock.now() - t0)
    clock.advance(10)
  }
  // 1 s, 2 s, 4 s, 8 s apart while that leaves time, then half of what is left before the margin (never less than
  // the base delay): 9 requests for 2475 hits, the last 210 ms before the margin.
  assert.deepEqual(refreshedAt, [89_250, 90_250, 92_250, 96_250, 104_250, 109_130, 111_570, 112_790, 113_790])
  assert.equal(events.filter((e) => e.type === 'failed').length, refreshedAt.length)
  // Past the margin a caller waits for a fetch of its own, backoff or not; a success ends the backoff.
  services.script.length = 0
  const fresh = await client.getToken()
  assert.notEqual(fresh.accessToken, first.accessToken)
  assert.equal(services.grants.length, 1 + refreshedAt.length + 1)
  clock.advance(89_250) // the new token's own refresh ahead, at once
  await client.getToken()
  await settle()
  assert.equal(services.grants.length, 1 + refreshedAt.length + 2)
  client.close()
})
