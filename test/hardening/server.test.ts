// Hostile servers on a raw socket: what the library reads is bounded in size, time and trust, and every failure is
// a MaskinportenError with the right code, holding none of what was sent.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { createGzip } from 'node:zlib'
import type { Socket } from 'node:net'
import { MaskinportenClient } from '../../src/client/client.js'
import type { ClientEvent } from '../../src/client/options.js'
import { getAltinnToken, getMaskinportenToken } from '../../src/flows.js'
import { isMaskinportenError, type MaskinportenError } from '../../src/errors/errors.js'
import { assertNoSecrets, keyFragments, testConfig, testKey } from '../support/fixtures.js'
import { answer, rawServer, rssGrowthMb } from './raw-server.js'

let server: Awaited<ReturnType<typeof rawServer>>
before(async () => {
  server = await rawServer()
})
after(() => server.close())

const config = (overrides = {}) => testConfig({ issuer: `${server.url}/`, altinnUrl: server.url, timeoutMs: 5_000, ...overrides })
const RSS_LIMIT_MB = 50
const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')
const jwt = (claims: Record<string, unknown>): string => `${part({ alg: 'RS256' })}.${part(claims)}.c2lnbmF0dXJl`
const MP_TOKEN = jwt({ scope: 'a', n: 'maskinporten-token-secret' })

/** The error of `promise`, checked to be a MaskinportenError that shows no grant, token or key anywhere. */
async function failure(promise: Promise<unknown>, extraSecrets: string[] = []): Promise<MaskinportenError> {
  const err = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  )
  assert.ok(isMaskinportenError(err), `not a MaskinportenError: ${inspect(err)}`)
  const grants = server.requests.map((r) => new URLSearchParams(r.body).get('assertion')).filter((g): g is string => !!g)
  const cause = err.cause instanceof Error ? `${err.cause.message}\n${err.cause.stack}\n${inspect(err.cause, { depth: 6 })}` : ''
  assertNoSecrets([err.message, err.stack, cause, JSON.stringify(err), inspect(err, { depth: 8, showHidden: true })], [
    ...grants,
    MP_TOKEN,
    ...extraSecrets,
    ...keyFragments(testKey().pkcs8),
  ])
  return err
}

function tokenAnswer(socket: Socket, fields: Record<string, unknown>, headers: Record<string, string> = {}): void {
  answer(socket, 200, JSON.stringify(fields), { 'content-type': 'application/json', ...headers })
}

test('an endless 200 body: read up to 1 MiB and given up, maskinporten_error, not retried, RSS bounded', async (t) => {
  server.handle((socket) => {
    socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n')
    const chunk = `${(64 * 1024).toString(16)}\r\n${'x'.repeat(64 * 1024)}\r\n`
    const pump = (): void => {
      while (!socket.destroyed && socket.write(chunk));
      if (!socket.destroyed) socket.once('drain', pump)
    }
    pump()
  })
  const before = server.requests.length
  const client = new MaskinportenClient(config(), { retry: { baseDelayMs: 1, maxDelayMs: 1, maxAttempts: 4 } })
  let err: MaskinportenError | undefined
  const grown = await rssGrowthMb(async () => {
    err = await failure(client.getToken())
  })
  client.close()
  assert.equal(err!.code, 'maskinporten_error')
  assert.equal(err!.status, 200)
  assert.match(err!.message, /over 1048576 bytes/)
  assert.equal(server.requests.length - before, 1, 'an oversized answer is not asked for again')
  t.diagnostic(`RSS grew ${grown.toFixed(1)} MB over its baseline`)
  assert.ok(grown < RSS_LIMIT_MB, `RSS grew ${grown.toFixed(1)} MB`)
})

test('a gzip bomb (100 MB of zeros in ~100 KB): inflation stops at 1 MiB, maskinporten_error, not a network error', async (t) => {
  const gzip = createGzip({ level: 9 })
  const parts: Buffer[] = []
  gzip.on('data', (b: Buffer) => parts.push(b))
  const done = new Promise((resolve) => gzip.on('end', resolve))
  const zeros = Buffer.alloc(1024 * 1024)
  for (let i = 0; i < 100; i++) gzip.write(zeros)
  gzip.end()
  await done
  const bomb = Buffer.concat(parts)
  server.handle((socket) => answer(socket, 200, bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' }))
  let err: MaskinportenError | undefined
  const grown = await rssGrowthMb(async () => {
    err = await failure(getMaskinportenToken(config(), 'a'))
  })
  assert.equal(err!.code, 'maskinporten_error')
  assert.match(err!.message, /over 1048576 bytes/)
  t.diagnostic(`RSS grew ${grown.toFixed(1)} MB over its baseline`)
  assert.ok(grown < RSS_LIMIT_MB, `RSS grew ${grown.toFixed(1)} MB`)
})

test('a huge token (512 KB) and tokens with control characters or white space are refused at the boundary', async () => {
  const huge = `${'a'.repeat(512 * 1024)}.b.c`
  for (const token of [huge, `${MP_TOKEN}\n`, `${MP_TOKEN}\u0007x`, `Bearer ${MP_TOKEN}`, `${MP_TOKEN}\r\nx-evil: 1`]) {
    server.handle((socket) => tokenAnswer(socket, { access_token: token, token_type: 'Bearer', expires_in: 119 }))
    const err = await failure(getAltinnToken(config()), [huge.slice(0, 4096)])
    assert.equal(err.code, 'maskinporten_error')
    assert.equal(err.status, 200)
    assert.match(err.message, /not a header-safe token/)
  }
})

test('absurd lifetimes are refused as bad answers, not cached for ever nor an "Invalid time value"', async () => {
  for (const expiresIn of [1e300, 1e13, 86_401, '99999999999']) {
    server.handle((socket) => tokenAnswer(socket, { access_token: MP_TOKEN, token_type: 'Bearer', expires_in: expiresIn }))
    const before = server.requests.length
    const client = new MaskinportenClient(config(), { retry: { baseDelayMs: 1, maxDelayMs: 1 } })
    const err = await failure(client.getToken())
    client.close()
    assert.equal(err.code, 'maskinporten_error')
    assert.match(err.message, /more than a day/)
    assert.equal(server.requests.length - before, 1, 'not retried')
  }
})

test("an Altinn token whose exp is before its iat, or 31 years after, is refused; so is a token living less than the margin", async () => {
  const now = Math.floor(Date.now() / 1000)
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ iat: now, exp: now - 60 }, /exp is not after its iat/],
    [{ iat: now, exp: now + 31 * 365 * 86_400 }, /more than a day/],
    [{ iat: now, exp: now + 3 }, /no longer than marginMs/],
  ]
  for (const [claims, message] of cases) {
    server.handle((socket, req) => {
      if (req.path.includes('/exchange/')) answer(socket, 200, jwt(claims), { 'content-type': 'text/plain' })
      else tokenAnswer(socket, { access_token: MP_TOKEN, token_type: 'Bearer', expires_in: 119 })
    })
    const client = new MaskinportenClient(config(), { retry: { baseDelayMs: 1, maxDelayMs: 1 } })
    const err = await failure(client.altinnToken())
    client.close()
    assert.equal(err.code, 'altinn_exchange_error')
    assert.match(err.message, message)
  }
})

test('a Maskinporten token living no longer than marginMs is an error naming the setting, not a loop', async () => {
  server.handle((socket) => tokenAnswer(socket, { access_token: MP_TOKEN, token_type: 'Bearer', expires_in: 4 }))
  const before = server.requests.length
  const client = new MaskinportenClient(config())
  const err = await failure(client.getToken())
  client.close()
  assert.match(err.message, /no longer than marginMs \(5000 ms\)/)
  assert.equal(server.requests.length - before, 1)
})

test("a Date header of year 9999 on an MP-130 does not move the client's clock", async () => {
  for (const date of ['Fri, 31 Dec 9999 23:59:59 GMT', 'Thu, 01 Jan 1970 00:00:00 GMT', 'garbage', new Date(Date.now() + 3_600_000).toUTCString()]) {
    server.handle((socket) =>
      answer(
        socket,
        400,
        JSON.stringify({ error: 'invalid_grant', error_description: 'Invalid assertion. Client authentication failed. JWT is expired (trace_id: 0123456789abcdef0123456789abcdef)', error_uri: `${server.url}/errors/MP-130` }),
        { 'content-type': 'application/json', date },
      ),
    )
    const events: ClientEvent[] = []
    const client = new MaskinportenClient(config(), { onEvent: (e) => events.push(e) })
    const err = await failure(client.getToken())
    assert.equal(err.mpCode, 'MP-130')
    assert.equal(client.clockOffsetMs, 0, date)
    assert.equal(events.filter((e) => e.type === 'skew-corrected').length, 0)
    client.close()
  }
})

test('redirects are not followed: the answer is an error naming the redirect, and nothing is sent to its target', async () => {
  for (const status of [301, 302, 307, 308]) {
    server.handle((socket) => answer(socket, status, '', { location: `${server.url}/elsewhere` }))
    const before = server.requests.length
    const err = await failure(getMaskinportenToken(config(), 'a'))
    assert.equal(err.code, 'maskinporten_error')
    assert.equal(err.status, status)
    assert.match(err.message, /redirect/i)
    assert.equal(server.requests.length - before, 1)
    assert.ok(!server.requests.some((r) => r.path === '/elsewhere'))
  }
})

test('a 50 MB answer that is not a token is read to 1 MiB once, not downloaded seven times', async (t) => {
  const body = Buffer.alloc(50 * 1024 * 1024, 0x3c)
  server.handle((socket) => answer(socket, 503, body, { 'content-type': 'text/html' }))
  const before = server.requests.length
  const client = new MaskinportenClient(config(), { retry: { baseDelayMs: 1, maxDelayMs: 1 } })
  let err: MaskinportenError | undefined
  const grown = await rssGrowthMb(async () => {
    err = await failure(client.getToken())
  })
  t.diagnostic(`RSS grew ${grown.toFixed(1)} MB over its baseline`)
  client.close()
  assert.equal(err!.status, 503)
  assert.equal(server.requests.length - before, 1)
})

test('an access token in the exchange header that fetch would refuse never reaches a cause: refused before sending', async () => {
  const bad = `${MP_TOKEN}\nx`
  server.handle((socket) => tokenAnswer(socket, { access_token: bad, token_type: 'Bearer', expires_in: 119 }))
  const before = server.requests.length
  const err = await failure(getAltinnToken(config()), [bad])
  assert.doesNotMatch(JSON.stringify(err), /Bearer/)
  assert.ok(!server.requests.slice(before).some((r) => r.path.includes('/exchange/')))
})
