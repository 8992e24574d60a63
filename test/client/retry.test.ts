import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MaskinportenClient } from '../../src/client/client.js'
import type { ClientEvent, MaskinportenClientOptions } from '../../src/client/options.js'
import { MaskinportenError } from '../../src/errors/errors.js'
import { backoffDelay, isTransient, learnedClockOffset, retryPolicy } from '../../src/client/retry.js'
import { testConfig } from '../support/fixtures.js'
import { fakeServices, garbage, manualClock, networkError, ok, skewed, slowStore, status, type Step } from '../support/client-fakes.js'

function setup(script: Step[] = [], options: MaskinportenClientOptions = {}, fallback?: Step) {
  const services = fakeServices(script, fallback)
  const clock = manualClock()
  const events: ClientEvent[] = []
  const client = new MaskinportenClient(testConfig({ fetch: services.fetch }), {
    now: clock.now,
    onEvent: (e) => events.push(e),
    retry: { baseDelayMs: 1, maxDelayMs: 4, maxRetryAfterMs: 20 },
    ...options,
  })
  const of = <T extends ClientEvent['type']>(type: T) => events.filter((e): e is Extract<ClientEvent, { type: T }> => e.type === type)
  return { services, clock, events, client, of }
}

const jtis = (grants: Array<{ claims: Record<string, unknown> }>): Set<unknown> => new Set(grants.map((g) => g.claims.jti))

const invalidGrant = status(400, {
  error: 'invalid_grant',
  error_description: 'Invalid assertion. Client authentication failed. Unknown key identifier (kid) for client (trace_id: 0123456789abcdef0123456789abcdef)',
})

for (const [name, step] of [
  ['503', status(503)],
  ['500', status(500)],
  ['502 HTML from a proxy', () => new Response('<html>bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } })],
  ['429', status(429, { error: 'slow_down' })],
  ['a connection reset', networkError('ECONNRESET')],
  ['a refused connection', networkError('ECONNREFUSED')],
  ['a 200 that is not a token', garbage],
  ['MP-012 grant used before', status(400, { error: 'invalid_grant', error_description: 'Grant is used before', error_uri: 'https://x/errors/MP-012' })],
] as const) {
  test(`${name} is retried with a new grant (new jti) and heals`, async () => {
    const { client, services, of } = setup([step, step])
    const token = await client.getToken()
    assert.ok(token.accessToken)
    assert.equal(services.grants.length, 3)
    assert.equal(jtis(services.grants).size, 3)
    assert.deepEqual(of('retry').map((e) => e.attempt), [1, 2])
    assert.equal(of('fetched')[0]!.attempt, 3)
    client.close()
  })
}

for (const [name, step] of [
  ['invalid_grant (unknown kid)', invalidGrant],
  ['invalid_scope', status(400, { error: 'invalid_scope', error_description: 'Token request contains invalid scopes for client, x' })],
  ['401', status(401, { error: 'invalid_client' })],
  ['403 missing delegation', status(403, { error: 'forbidden', error_description: 'Consumer 310702641 has not delegated access' })],
] as const) {
  test(`${name} is not retried: one request, the error as it came, not cached`, async () => {
    const { client, services, of } = setup([step])
    await assert.rejects(client.getToken(), (err: unknown) => err instanceof MaskinportenError && err.code === 'maskinporten_error')
    assert.equal(services.grants.length, 1)
    assert.equal(of('retry').length, 0)
    assert.equal(of('failed').length, 1)
    await client.getToken()
    assert.equal(services.grants.length, 2)
    client.close()
  })
}

test('Retry-After is honoured, up to maxRetryAfterMs', async () => {
  const { client, of } = setup([
    status(429, { error: 'slow_down' }, { 'retry-after': '0' }),
    status(503, {}, { 'retry-after': '3600' }),
  ], { retry: { baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 30 } })
  await client.getToken()
  const delays = of('retry').map((e) => e.delayMs)
  assert.equal(delays.length, 2)
  assert.ok(delays[0]! <= 1)
  assert.equal(delays[1], 30)
  client.close()
})

test('a permanent failure: the last error within the deadline, to every waiter; never cached', async () => {
  // Counts only, never wall time: a 1 s deadline with waits of at most 5 ms leaves room for a second attempt however
  // busy the machine (it ends at the deadline, not at an attempt limit).
  const { client, services, of } = setup([], { retry: { baseDelayMs: 2, maxDelayMs: 5, deadlineMs: 1000 } }, status(503))
  const waiters = await Promise.all(Array.from({ length: 20 }, () => client.getToken().then(() => undefined, (e: unknown) => e)))
  assert.equal(new Set(waiters).size, 1)
  assert.ok(waiters[0] instanceof MaskinportenError)
  assert.equal(waiters[0].status, 503)
  const failed = of('failed')
  assert.equal(failed.length, 1)
  assert.equal(failed[0]!.attempt, services.grants.length)
  assert.ok(services.grants.length >= 2)
  assert.equal(of('retry').length, services.grants.length - 1)
  assert.ok(of('retry').every((e) => e.delayMs <= 5))
  assert.equal(jtis(services.grants).size, services.grants.length)
  services.script.push(ok())
  const before = services.grants.length
  await client.getToken()
  assert.equal(services.grants.length, before + 1)
  client.close()
})

test('maxAttempts bounds the attempts', async () => {
  const { client, services } = setup([], { retry: { baseDelayMs: 1, maxAttempts: 3 } }, networkError())
  await assert.rejects(client.getToken(), { code: 'maskinporten_request_failed' })
  assert.equal(services.grants.length, 3)
  client.close()
})

for (const skewS of [60, -60, 540, -540]) {
  test(`a clock ${skewS} s off: learned from the Date header, a corrected grant at once, the offset kept`, async () => {
    const script: Step[] = []
    const { client, clock, services, of } = setup(script)
    const serverNow = (): number => clock.now() + skewS * 1000
    // The server refuses grants whose iat is more than 10 s from its clock, as Maskinporten does.
    const judge: Step = (seen) => {
      const iat = Number(seen!.claims.iat) * 1000
      return Math.abs(iat - serverNow()) > 10_000 ? skewed(serverNow(), skewS > 0 ? 'JWT is expired' : 'Issue time is after now')(seen) : ok()(seen)
    }
    script.push(judge, judge, judge)
    await client.getToken()
    assert.equal(services.grants.length, 2)
    const skew = of('skew-corrected')
    assert.equal(skew.length, 1)
    assert.ok(Math.abs(client.clockOffsetMs - skewS * 1000) <= 1000, String(client.clockOffsetMs))
    assert.equal(of('retry')[0]!.reason, 'clock-skew')
    assert.equal(of('retry')[0]!.delayMs, 0)
    // The next fetch uses the offset straight away.
    await client.getToken({ scope: 'other:scope' })
    assert.equal(services.grants.length, 3)
    assert.equal(of('skew-corrected').length, 1)
    client.close()
  })
}

test('MP-130 with a Date header that agrees with our clock is not a clock problem: not retried', async () => {
  const clock = manualClock()
  const { client, services } = setup([skewed(clock.now())], { now: clock.now })
  await assert.rejects(client.getToken(), { mpCode: 'MP-130' })
  assert.equal(services.grants.length, 1)
  assert.equal(client.clockOffsetMs, 0)
  client.close()
})

test('backoffDelay: exponential, capped, jittered in the upper half, at least the capped Retry-After', () => {
  const policy = retryPolicy({ baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 })
  assert.equal(backoffDelay(policy, 1, undefined, 0), 50)
  assert.equal(backoffDelay(policy, 1, undefined, 0.999999), 100)
  assert.equal(backoffDelay(policy, 3, undefined, 0.999999), 400)
  assert.equal(backoffDelay(policy, 30, undefined, 0.999999), 1000)
  assert.equal(backoffDelay(policy, 30, undefined, 0), 500)
  const busy = new MaskinportenError('maskinporten_error', 'busy', { status: 429, retryAfterMs: 3000 })
  assert.equal(backoffDelay(policy, 1, busy, 0), 3000)
  const rude = new MaskinportenError('maskinporten_error', 'busy', { status: 503, retryAfterMs: 86_400_000 })
  assert.equal(backoffDelay(policy, 1, rude, 0), 5000)
})

test('isTransient: the table', () => {
  const e = (code: 'maskinporten_error' | 'maskinporten_request_failed' | 'altinn_exchange_error' | 'altinn_exchange_failed' | 'invalid_config', status?: number, mpCode?: string) =>
    new MaskinportenError(code, 'x', { status, mpCode })
  assert.equal(isTransient(e('maskinporten_request_failed')), true)
  assert.equal(isTransient(e('altinn_exchange_failed')), true)
  for (const s of [500, 502, 503, 504, 429, 408, 200]) assert.equal(isTransient(e('maskinporten_error', s)), true, String(s))
  for (const s of [400, 401, 403, 404]) assert.equal(isTransient(e('maskinporten_error', s)), false, String(s))
  assert.equal(isTransient(e('maskinporten_error', 400, 'MP-012')), true)
  assert.equal(isTransient(e('altinn_exchange_error', 503)), true)
  assert.equal(isTransient(e('altinn_exchange_error', 401)), false)
  assert.equal(isTransient(e('invalid_config')), false)
  assert.equal(isTransient(new Error('x')), false)
})

test('learnedClockOffset: the middle of the request and of the Date header second; no news within 1 s', () => {
  const mp130 = (serverTime: number) =>
    new MaskinportenError('maskinporten_error', 'x', { status: 400, mpCode: 'MP-130', oauthError: 'invalid_grant', serverTime })
  assert.equal(learnedClockOffset(mp130(61_000), 0, 2000, 0), 60_500)
  assert.equal(learnedClockOffset(mp130(-60_000), 0, 0, 0), -59_500)
  assert.equal(learnedClockOffset(mp130(1000), 0, 0, 0), 1500)
  assert.equal(learnedClockOffset(mp130(0), 0, 0, 0), undefined)
  assert.equal(learnedClockOffset(mp130(60_000), 0, 0, 60_300), undefined)
  const other = new MaskinportenError('maskinporten_error', 'x', { status: 400, mpCode: 'MP-124', serverTime: 60_000 })
  assert.equal(learnedClockOffset(other, 0, 0, 0), undefined)
  const noDate = new MaskinportenError('maskinporten_error', 'x', { status: 400, mpCode: 'MP-130' })
  assert.equal(learnedClockOffset(noDate, 0, 0, 0), undefined)
})

test('the Altinn exchange is retried on 5xx and resets, reusing the cached Maskinporten token', async () => {
  const services = fakeServices()
  let exchangeFaults = 2
  const fetch: typeof globalThis.fetch = async (input, init) => {
    if (String(input).includes('/exchange/') && exchangeFaults-- > 0) {
      return exchangeFaults === 1 ? new Response('busy', { status: 503 }) : Promise.reject(new TypeError('fetch failed'))
    }
    return services.fetch(input, init)
  }
  const events: ClientEvent[] = []
  const client = new MaskinportenClient(testConfig({ fetch }), { onEvent: (e) => events.push(e), retry: { baseDelayMs: 1, maxDelayMs: 2 } })
  assert.ok(await client.altinnToken())
  assert.equal(services.grants.length, 1)
  assert.equal(services.exchanges.length, 1)
  assert.deepEqual(events.filter((e) => e.type === 'retry').map((e) => e.type === 'retry' && e.endpoint), ['exchange', 'exchange'])
  client.close()
})

test('altinnToken: a Maskinporten fetch inside the exchange gets only what is left of the deadline, not a new one', async () => {
  // Maskinporten: one token, then 503 with Retry-After (capped at 800 ms). Altinn: the first exchange takes 200 ms,
  // during which the Maskinporten token reaches its margin, and answers 503.
  const clock = manualClock()
  const services = fakeServices([ok()], status(503, { error: 'server_error' }, { 'retry-after': '1' }))
  let exchanges = 0
  const fetch: typeof globalThis.fetch = async (input, init) => {
    if (!String(input).includes('/exchange/')) return services.fetch(input, init)
    exchanges++
    await new Promise((resolve) => setTimeout(resolve, 200))
    clock.advance(115_000)
    return new Response('busy', { status: 503 })
  }
  const client = new MaskinportenClient(testConfig({ fetch }), {
    now: clock.now,
    retry: { deadlineMs: 1000, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 800 },
  })
  await assert.rejects(client.altinnToken(), { code: 'maskinporten_error', status: 503 })
  // The second Maskinporten fetch has < 800 ms left: no room for an 800 ms wait, so one request and it gives up.
  // With a deadline of its own (1000 ms) it would wait and ask again.
  assert.equal(exchanges, 1)
  assert.equal(services.grants.length, 2)
  client.close()
})

test('a 401 from the Altinn exchange drops the cached Maskinporten token and, within the same call, exchanges a fresh one', async () => {
  const services = fakeServices()
  let refuse = 1
  const fetch: typeof globalThis.fetch = async (input, init) => {
    if (String(input).includes('/exchange/') && refuse-- > 0) return new Response('{"error":"invalid token"}', { status: 401 })
    return services.fetch(input, init)
  }
  const client = new MaskinportenClient(testConfig({ fetch }), { retry: { baseDelayMs: 1, maxDelayMs: 2 } })
  const mp = await client.getToken()
  assert.ok(await client.altinnToken()) // the 401 is cured inside this call
  assert.equal(services.grants.length, 2) // a new Maskinporten token for the exchange
  assert.notEqual((await client.getToken()).accessToken, mp.accessToken)
  assert.equal(services.grants.length, 2)
  client.close()
})

test('a second 401 from the Altinn exchange, with the fresh Maskinporten token too, is the answer: thrown, not looped', async () => {
  const services = fakeServices()
  let exchanges = 0
  const fetch: typeof globalThis.fetch = async (input, init) => {
    if (String(input).includes('/exchange/')) {
      exchanges++
      return new Response('{"error":"invalid token"}', { status: 401 })
    }
    return services.fetch(input, init)
  }
  const client = new MaskinportenClient(testConfig({ fetch }), { retry: { baseDelayMs: 1, maxDelayMs: 2 } })
  await assert.rejects(client.altinnToken(), { code: 'altinn_exchange_error', status: 401 })
  assert.equal(exchanges, 2)
  assert.equal(services.grants.length, 2)
  client.close()
})

for (const [getMs, setMs] of [[5, 30], [0, 0], [30, 5]] as const) {
  test(`a 401 from the Altinn exchange drops the refused Maskinporten token from an async store (get ${getMs} ms, set ${setMs} ms), even before its write lands`, async () => {
    const services = fakeServices()
    const { store, entries } = slowStore(getMs, setMs)
    // The exchange refuses the first Maskinporten token, every time it is shown, and takes any other.
    let refused: string | undefined
    const fetch: typeof globalThis.fetch = async (input, init) => {
      if (String(input).includes('/exchange/')) {
        const bearer = new Headers(init?.headers).get('authorization')?.replace(/^Bearer /, '')
        refused ??= bearer
        if (bearer === refused) return new Response('{"error":"invalid token"}', { status: 401 })
      }
      return services.fetch(input, init)
    }
    const client = new MaskinportenClient(testConfig({ fetch }), { store, retry: { baseDelayMs: 1, maxDelayMs: 2 } })
    // The 401 is cured within the call: a fresh Maskinporten token, exchanged.
    assert.ok(await client.altinnToken())
    assert.equal(services.grants.length, 2)
    // Whenever the refused token's write lands, it does not stay in the store.
    await new Promise((resolve) => setTimeout(resolve, setMs + getMs + 10))
    assert.ok(![...entries.values()].some((e) => e.accessToken === refused), 'the refused token is still stored')
    assert.ok(await client.altinnToken())
    assert.equal(services.grants.length, 2) // the fresh one is the cached one now
    assert.notEqual((await client.getToken()).accessToken, refused)
    assert.equal(services.grants.length, 2)
    client.close()
  })
}
