// MaskinportenClient against the emulator over loopback HTTP: counts from the emulator's stats and the client's
// events, never wall-clock.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { MaskinportenClient } from '../../src/client/client.js'
import type { StoredToken, TokenStore } from '../../src/client/store.js'
import type { ClientEvent, MaskinportenClientOptions } from '../../src/client/options.js'
import type { MaskinportenConfig } from '../../src/config/config.js'
import { startEmulator, type Emulator, type EmulatorClient } from '../../src/emulator/index.js'
import { generateSigningKey, type GeneratedKey } from '../../src/signing/keys.js'
import { decodeToken } from '../../src/exchange/token.js'

const VENDOR = '991825827'
const CUSTOMER = '310702641'
const OTHER = '974760223'
const SCOPES = ['altinn:instances.read', 'altinn:instances.write', 'skatteetaten:innrapporteringaksjonaerregisteroppgave']

const key: GeneratedKey = await generateSigningKey()
const closers: Array<() => unknown> = []
after(async () => {
  for (const close of closers.reverse()) await close()
})

async function emulator(options: { clockOffsetSeconds?: number; tokenLifetimeSeconds?: number } = {}) {
  const registration: EmulatorClient = {
    clientId: randomUUID(),
    orgNummer: VENDOR,
    jwks: { keys: [{ ...key.publicJwk }] },
    scopes: SCOPES,
    systemUsers: [{ orgNummer: CUSTOMER }, { orgNummer: OTHER, externalRef: 'kunde-42' }],
    ...(options.tokenLifetimeSeconds ? { tokenLifetimeSeconds: options.tokenLifetimeSeconds } : {}),
  }
  const emu: Emulator = await startEmulator({ port: 0, clients: [registration], clockOffsetSeconds: options.clockOffsetSeconds ?? 0 })
  closers.push(() => emu.close())
  return { emu, clientId: registration.clientId }
}

/** A client on an emulator, with its events, the jti of every grant it sent, and a clock that moves when told. */
function clientOn(emu: Emulator, clientId: string, options: MaskinportenClientOptions = {}, config: Partial<MaskinportenConfig> = {}) {
  const events: ClientEvent[] = []
  const jtis: string[] = []
  let shift = 0
  const fetch: typeof globalThis.fetch = (input, init) => {
    const assertion = new URLSearchParams(typeof init?.body === 'string' ? init.body : '').get('assertion')
    if (assertion) jtis.push(String(decodeToken(assertion).claims.jti))
    return globalThis.fetch(input, init)
  }
  const client = new MaskinportenClient(
    { clientId, kid: key.kid, privateKey: key.privateKey, issuer: emu.issuer, altinnUrl: emu.altinnUrl, fetch, ...config },
    { now: () => Date.now() + shift, onEvent: (e) => events.push(e), retry: { baseDelayMs: 5, maxDelayMs: 20 }, ...options },
  )
  closers.push(() => client.close())
  const of = <T extends ClientEvent['type']>(type: T) => events.filter((e): e is Extract<ClientEvent, { type: T }> => e.type === type)
  return { client, events, jtis, of, advance: (ms: number) => void (shift += ms) }
}

test('10 000 concurrent callers: one request, one token for all', async () => {
  const { emu, clientId } = await emulator()
  const { client } = clientOn(emu, clientId)
  const results = await Promise.all(Array.from({ length: 10_000 }, () => client.getToken({ orgNummer: CUSTOMER })))
  assert.equal(new Set(results.map((r) => r.accessToken)).size, 1)
  assert.deepEqual(emu.stats().token, { requests: 1, issued: 1, rejected: 0 })
})

test('10 000 concurrent callers with an async (shared) store: still one request', async () => {
  const { emu, clientId } = await emulator()
  const entries = new Map<string, StoredToken>()
  const later = <T>(value: () => T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value()), 5))
  const store: TokenStore = {
    get: (key) => {
      const value = entries.get(key)
      return later(() => value)
    },
    set: (key, token) => later(() => void entries.set(key, token)),
    delete: (key) => later(() => void entries.delete(key)),
  }
  const { client } = clientOn(emu, clientId, { store })
  const results = await Promise.all(Array.from({ length: 10_000 }, () => client.getToken({ orgNummer: CUSTOMER })))
  assert.equal(new Set(results.map((r) => r.accessToken)).size, 1)
  // Callers arriving while the token is written to the store share it too.
  const late = await Promise.all(Array.from({ length: 1_000 }, () => client.getToken({ orgNummer: CUSTOMER })))
  assert.equal(new Set(late.map((r) => r.accessToken)).size, 1)
  assert.deepEqual(emu.stats().token, { requests: 1, issued: 1, rejected: 0 })
})

test('cache isolation per key, and the scope set (not its order) as the key', async () => {
  const { emu, clientId } = await emulator()
  const { client } = clientOn(emu, clientId)
  const a = await client.getToken({ scope: 'altinn:instances.read altinn:instances.write', orgNummer: CUSTOMER })
  const b = await client.getToken({ scope: 'altinn:instances.write altinn:instances.read', orgNummer: CUSTOMER })
  const c = await client.getToken({ scope: ['altinn:instances.write', 'altinn:instances.read'], orgNummer: `0192:${CUSTOMER}` })
  assert.equal(b.accessToken, a.accessToken)
  assert.equal(c.accessToken, a.accessToken)
  assert.equal(emu.stats().token.requests, 1)
  const other = await client.getToken({ orgNummer: OTHER, externalRef: 'kunde-42' })
  const plain = await client.getToken()
  const aksjonaer = await client.skdAksjonaerToken(CUSTOMER)
  assert.equal(new Set([a.accessToken, other.accessToken, plain.accessToken, aksjonaer]).size, 4)
  assert.equal(emu.stats().token.requests, 4)
  const orgOf = (jwt: string) => JSON.stringify(decodeToken(jwt).claims.authorization_details ?? null)
  assert.match(orgOf(a.accessToken), new RegExp(`0192:${CUSTOMER}`))
  assert.match(orgOf(other.accessToken), new RegExp(`0192:${OTHER}`))
  assert.equal(orgOf(plain.accessToken), 'null')
  for (const opts of [{ orgNummer: CUSTOMER }, { orgNummer: OTHER, externalRef: 'kunde-42' }, {}]) await client.getToken(opts)
  assert.equal(emu.stats().token.requests, 4)
})

test('refresh ahead (injected clock): callers get the cached token at once while one refresh runs', async () => {
  // A 6 s token (expires_in 5) keeps the clock moves within the ±10 s Maskinporten allows for iat.
  const { emu, clientId } = await emulator({ tokenLifetimeSeconds: 6 })
  const { client, of, advance } = clientOn(emu, clientId, { marginMs: 500 })
  const first = await client.getToken()
  assert.equal(first.expiresIn, 5)
  advance(3_000) // 60 %: a plain hit
  assert.equal((await client.getToken()).accessToken, first.accessToken)
  assert.equal(of('refresh').length, 0)
  advance(1_000) // 80 %: still this token, and one refresh in the background
  const during = await Promise.all([client.getToken(), client.getToken(), client.getToken()])
  assert.deepEqual(new Set(during.map((t) => t.accessToken)), new Set([first.accessToken]))
  assert.equal(of('refresh').length, 1)
  await new Promise<void>((resolve) => {
    const check = (): void => void (of('fetched').length === 2 ? resolve() : setTimeout(check, 5))
    check()
  })
  const fetched = of('fetched')
  assert.equal(fetched[1]!.background, true)
  const next = await client.getToken()
  assert.notEqual(next.accessToken, first.accessToken)
  assert.equal(emu.stats().token.requests, 2)
  advance(5_000) // past the new token's margin: the caller waits for a fetch
  const waited = await client.getToken()
  assert.notEqual(waited.accessToken, next.accessToken)
  assert.equal(emu.stats().token.requests, 3)
})

for (const [kind, extra] of [
  ['status', { status: 503 }],
  ['status', { status: 500 }],
  ['status', { status: 429 }],
  ['reset', {}],
  ['garbage', {}],
  ['hang', {}],
  ['delay', { delayMs: 1_000 }],
] as const) {
  test(`fault "${kind}"${'status' in extra ? ` ${extra.status}` : ''} twice: healed on the third attempt, a new jti each time`, async () => {
    const { emu, clientId } = await emulator()
    // hang and delay are cut by the per-request timeout.
    const { client, jtis, of } = clientOn(emu, clientId, {}, { timeoutMs: 300 })
    emu.injectFault({ endpoint: 'token', kind, times: 2, ...extra })
    const token = await client.getToken({ orgNummer: CUSTOMER })
    assert.ok(token.accessToken)
    assert.deepEqual(emu.stats().token, { requests: 3, issued: 1, rejected: 0 })
    assert.equal(jtis.length, 3)
    assert.equal(new Set(jtis).size, 3)
    assert.deepEqual(of('retry').map((e) => e.attempt), [1, 2])
  })
}

test('a fault at the Altinn exchange is retried with the cached Maskinporten token', async () => {
  const { emu, clientId } = await emulator()
  const { client } = clientOn(emu, clientId)
  emu.injectFault({ endpoint: 'exchange', kind: 'status', status: 502, times: 1 })
  emu.injectFault({ endpoint: 'exchange', kind: 'reset', times: 1 })
  assert.ok(await client.systemuserToken(CUSTOMER))
  assert.equal(emu.stats().token.requests, 1)
  assert.deepEqual(emu.stats().exchange, { requests: 3, issued: 1, rejected: 0 })
})

test('Retry-After is honoured', async () => {
  const { emu, clientId } = await emulator()
  const { client, of } = clientOn(emu, clientId)
  emu.injectFault({ endpoint: 'token', kind: 'status', status: 429, retryAfterSeconds: 1, times: 1 })
  await client.getToken()
  assert.equal(of('retry')[0]!.delayMs, 1000) // not the 5-20 ms backoff
  assert.equal(emu.stats().token.requests, 2)
})

test('a permanent failure: the last error to every waiter within the deadline, and not cached', async () => {
  const { emu, clientId } = await emulator()
  // Counts only, never wall time: a 1 s deadline with waits of at most 20 ms leaves room for a second attempt.
  const { client, of } = clientOn(emu, clientId, { retry: { baseDelayMs: 5, maxDelayMs: 20, deadlineMs: 1000 } })
  emu.injectFault({ endpoint: 'token', kind: 'status', status: 503, times: 1_000_000 })
  const outcomes = await Promise.all(Array.from({ length: 100 }, () => client.getToken().then(() => 'token', (e: unknown) => e)))
  assert.equal(new Set(outcomes).size, 1)
  assert.equal((outcomes[0] as { code: string }).code, 'maskinporten_error')
  assert.equal((outcomes[0] as { status: number }).status, 503)
  const failed = of('failed')
  assert.equal(failed.length, 1)
  assert.equal(failed[0]!.attempt, emu.stats().token.requests)
  assert.ok(emu.stats().token.requests >= 2)
  emu.clearFaults()
  assert.ok((await client.getToken()).accessToken)
  assert.equal(emu.stats().token.issued, 1)
})

test('invalid_grant (a kid the client does not have) is not retried', async () => {
  const { emu, clientId } = await emulator()
  const { client, of } = clientOn(emu, clientId, {}, { kid: 'not-registered' })
  await assert.rejects(client.getToken(), { code: 'maskinporten_error', oauthError: 'invalid_grant' })
  assert.deepEqual(emu.stats().token, { requests: 1, issued: 0, rejected: 1 })
  assert.equal(of('retry').length, 0)
})

for (const skew of [60, -60]) {
  test(`a clock ${skew} s off Maskinporten's: corrected from the Date header, and the offset kept`, async () => {
    const { emu, clientId } = await emulator({ clockOffsetSeconds: skew })
    const { client, of } = clientOn(emu, clientId)
    assert.ok((await client.getToken()).accessToken)
    assert.deepEqual(emu.stats().token, { requests: 2, issued: 1, rejected: 1 })
    assert.equal(of('skew-corrected').length, 1)
    assert.ok(Math.abs(client.clockOffsetMs - skew * 1000) <= 1000, `offset ${client.clockOffsetMs}`)
    await client.getToken({ orgNummer: CUSTOMER })
    assert.deepEqual(emu.stats().token, { requests: 3, issued: 2, rejected: 1 })
  })
}

test('the Altinn token is cached for its own life (30 minutes), not the Maskinporten token\'s 2', async () => {
  const { emu, clientId } = await emulator()
  const { client, of, advance } = clientOn(emu, clientId)
  const first = await client.altinnToken({ orgNummer: CUSTOMER })
  const exchanged = of('fetched').find((e) => e.endpoint === 'exchange')!
  const mp = of('fetched').find((e) => e.endpoint === 'token')!
  assert.ok(Math.abs(exchanged.expiresAt - mp.expiresAt - (1800 - 119) * 1000) < 2000)
  advance(20 * 60_000)
  assert.equal(await client.systemuserToken(CUSTOMER), first)
  assert.deepEqual([emu.stats().token.requests, emu.stats().exchange.requests], [1, 1])
  advance(11 * 60_000) // past its life: not handed out, a new Maskinporten token is asked for
  // Our clock jumped 31 minutes ahead of the emulator's: more than the ±10 minutes a Date header is believed for,
  // so the client does not follow it (a forged Date must not move its clock by years) and says what is wrong.
  await assert.rejects(client.altinnToken({ orgNummer: CUSTOMER }), { code: 'maskinporten_error', mpCode: 'MP-130' })
  assert.equal(of('skew-corrected').length, 0)
  assert.equal(emu.stats().token.requests, 2)
  advance(-25 * 60_000) // 6 minutes ahead: within the bound, learned and corrected
  const next = await client.altinnToken({ orgNummer: CUSTOMER, forceRefresh: true })
  assert.notEqual(next, first)
  assert.equal(emu.stats().exchange.issued, 2)
  assert.equal(of('skew-corrected').length, 1)
})
