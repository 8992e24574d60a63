import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { jwtVerify } from 'jose'
import { getAdminToken, getAltinnToken, getMaskinportenToken, getSkdAksjonaerToken, getSkdSkattemeldingToken, getSystemuserToken } from '../../src/flows.js'
import { MaskinportenError } from '../../src/errors/errors.js'
import { adminScopes, skattemeldingScope, skdAksjonaerScope } from '../../src/config/scopes.js'
import { decodeToken } from '../../src/exchange/token.js'
import { VERSION } from '../../src/http/version.js'
import { assertNoSecrets, keyFragments, testConfig, testKey } from '../support/fixtures.js'
import { json, mpError, startFakeServer, type FakeServer } from '../support/fake-server.js'

// Token-shaped strings, so that the masking of JWT-like text is exercised too.
const MP_TOKEN = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify({ scope: 'x', exp: 4102444800 })).toString('base64url')}.c2lnbmF0dXJl`
const ALTINN_TOKEN = `eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.${Buffer.from(JSON.stringify({ 'urn:altinn:orgNumber': '310702641' })).toString('base64url')}.YWx0aW5uc2ln`

let server: FakeServer
let issuer: string

before(async () => {
  server = await startFakeServer()
  issuer = `${server.url}/`
})
after(() => server.close())

function config(overrides = {}) {
  return testConfig({ issuer, altinnUrl: server.url, timeoutMs: 2000, ...overrides })
}

function tokenOk(scope = 'altinn:instances.read altinn:instances.write') {
  server.handle('/token', (_req, res) => json(res, 200, { access_token: MP_TOKEN, token_type: 'Bearer', expires_in: 119, scope }))
}

async function failure(promise: Promise<unknown>): Promise<MaskinportenError> {
  const err = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  )
  assert.ok(err instanceof MaskinportenError, `not a MaskinportenError: ${String(err)}`)
  const causeText = err.cause instanceof Error ? `${err.cause.message}\n${err.cause.stack}` : ''
  // No grant, token or key in anything a user could print.
  const grants = server.seen.map((s) => new URLSearchParams(s.body).get('assertion')).filter((g): g is string => !!g)
  assertNoSecrets([err.message, err.stack, causeText, JSON.stringify(err), inspect(err, { depth: 6 })], [
    ...grants,
    MP_TOKEN,
    ALTINN_TOKEN,
    ...keyFragments(testKey().pkcs8),
  ])
  return err
}

test('token request: POST form with grant_type and a verifiable assertion, Accept JSON, User-Agent', async () => {
  tokenOk(adminScopes())
  server.seen.length = 0
  assert.equal(await getAdminToken(config()), MP_TOKEN)
  const [req] = server.seen
  assert.equal(req!.method, 'POST')
  assert.equal(req!.url, '/token')
  assert.equal(req!.headers['content-type'], 'application/x-www-form-urlencoded')
  assert.equal(req!.headers.accept, 'application/json')
  assert.match(req!.headers['user-agent']!, new RegExp(`^wenche-maskinporten/${VERSION.replace(/\./g, '\\.')} `))
  const form = new URLSearchParams(req!.body)
  assert.deepEqual([...form.keys()].sort(), ['assertion', 'grant_type'])
  assert.equal(form.get('grant_type'), 'urn:ietf:params:oauth:grant-type:jwt-bearer')
  const { payload } = await jwtVerify(form.get('assertion')!, testKey().publicKey, { audience: issuer, issuer: 'test-client-0b3c' })
  assert.equal(payload.scope, adminScopes())
})

test('getAltinnToken: exchanges with the Maskinporten token as Bearer; raw and quoted bodies', async () => {
  tokenOk()
  for (const body of [ALTINN_TOKEN, `"${ALTINN_TOKEN}"`, `  ${ALTINN_TOKEN}\n`, ` "${ALTINN_TOKEN}" `]) {
    server.seen.length = 0
    server.handle('/authentication/api/v1/exchange/maskinporten', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(body))
    assert.equal(await getAltinnToken(config()), ALTINN_TOKEN)
    const exchange = server.seen.find((s) => s.url.startsWith('/authentication'))!
    assert.equal(exchange.method, 'GET')
    assert.equal(exchange.headers.authorization, `Bearer ${MP_TOKEN}`)
  }
})

test('system user and Skatteetaten flows send the right scope and authorization_details', async () => {
  tokenOk()
  server.handle('/authentication/api/v1/exchange/maskinporten', (_req, res) => res.end(ALTINN_TOKEN))
  const flows: Array<[() => Promise<string>, string, string]> = [
    [() => getSystemuserToken(config(), '310702641'), 'altinn:instances.read altinn:instances.write', ALTINN_TOKEN],
    [() => getSkdAksjonaerToken(config(), '974760223'), skdAksjonaerScope(), MP_TOKEN],
    [() => getSkdSkattemeldingToken(config(), '0192:910753614'), skattemeldingScope(), MP_TOKEN],
  ]
  for (const [run, scope, expected] of flows) {
    server.seen.length = 0
    assert.equal(await run(), expected)
    const grant = decodeToken(new URLSearchParams(server.seen[0]!.body).get('assertion')!)
    assert.equal(grant.claims.scope, scope)
    const details = grant.claims.authorization_details as Array<{ systemuser_org: { ID: string } }>
    assert.match(details[0]!.systemuser_org.ID, /^0192:\d{9}$/)
  }
})

test('getMaskinportenToken resolves the whole token response', async () => {
  tokenOk('a b')
  const res = await getMaskinportenToken(config(), 'a b')
  assert.deepEqual(res, { access_token: MP_TOKEN, token_type: 'Bearer', expires_in: 119, scope: 'a b' })
})

const MP_ERRORS: Array<[string, string, string | undefined, RegExp]> = [
  ['invalid_grant', 'Invalid assertion. Client authentication failed.', 'MP-100', /does not know this client id/],
  ['invalid_grant', 'Invalid assertion. Client authentication failed. Invalid JWT claim aud', 'MP-110', /aud must be exactly/],
  ['invalid_grant', 'Invalid assertion. Client authentication failed. The JWT is signed with an invalid certificate.', 'MP-120', /not accepted for this client/],
  ['invalid_grant', 'Invalid assertion. Client authentication failed. Expired key', 'MP-121', /expired \(keys live one year\)/],
  ['invalid_grant', 'Invalid assertion. Client authentication failed. Unknown key identifier (kid) for client', undefined, /kid not registered for this client: upload the public JWK printed by `maskinporten keygen`/],
  ['invalid_grant', 'Invalid assertion. Client authentication failed. Invalid JWT. The client requires pre-registered jwk and no key identifier (kid) provided', undefined, /set kid/],
  ['invalid_grant', 'Invalid assertion. Client authentication failed. Invalid JWT header x5c', 'MP-123', /x5c/],
  ['invalid_grant', 'Invalid assertion. Client authentication failed. Invalid JWT signature', 'MP-124', /does not match the public key registered/],
  ['invalid_grant', 'Invalid assertion. Client authentication failed. JWT is expired', 'MP-130', /clock/],
  ['invalid_grant', 'Invalid assertion. Client authentication failed. Issue time is after now', 'MP-130', /clock/],
  ['invalid_grant', 'Invalid assertion. Invalid parameter value', 'MP-011', /claim or value/],
  ['invalid_grant', 'Grant is used before', 'MP-012', /used once/],
  ['invalid_scope', 'Token request contains invalid scopes for client, altinn:x', 'MP-200', /not granted to this client/],
  ['invalid_scope', 'Token request contains scopes not allowed for maskinporten', 'MP-201', /ID-porten/],
  ['forbidden', 'Consumer 974760223 has not delegated access to the scope x to supplier 310702641', 'MP-251', /delegate the scope/],
  ['invalid_request', 'Unknown authorization details type', 'MP-301', /authorization_details/],
  ['invalid_request', 'Unknown fields in the authorization details', 'MP-302', /authorization_details/],
  ['invalid_altinn_customer_configuration', 'Invalid authorization details values', 'MP-303', /approve the system user/],
]

for (const [oauthError, description, mp, hint] of MP_ERRORS) {
  test(`Maskinporten 400 ${oauthError} ${mp ?? description.slice(-30)}: code, fields and hint`, async () => {
    server.handle('/token', (_req, res) => mpError(res, issuer, oauthError, description, mp))
    const err = await failure(getAltinnToken(config()))
    assert.equal(err.code, 'maskinporten_error')
    assert.equal(err.status, 400)
    assert.equal(err.oauthError, oauthError)
    assert.ok(err.oauthErrorDescription?.startsWith(description))
    assert.equal(err.mpCode, mp)
    assert.equal(err.traceId, '0123456789abcdef0123456789abcdef')
    assert.match(err.message, hint)
    assert.match(err.body!, /trace_id/)
  })
}

test('HTML 502 from a proxy: maskinporten_error with the status and a short message', async () => {
  server.handle('/token', (_req, res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>'))
  const err = await failure(getAdminToken(config()))
  assert.equal(err.code, 'maskinporten_error')
  assert.equal(err.status, 502)
  assert.match(err.message, /502 with an HTML page/)
  assert.match(err.message, /unavailable/)
  assert.equal(err.oauthError, undefined)
})

test('200 that is not JSON, and 200 JSON without access_token: maskinporten_error, status 200', async () => {
  for (const body of ['this is not json', '{"token_type":"Bearer","expires_in":119}', '{"access_token":"","expires_in":119}']) {
    server.handle('/token', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body))
    const err = await failure(getAdminToken(config()))
    assert.equal(err.code, 'maskinporten_error')
    assert.equal(err.status, 200)
    assert.match(err.message, /not a token response/)
  }
})

test('429 with Retry-After and a Date header: retryAfterMs and serverTime are kept', async () => {
  server.handle('/token', (_req, res) => json(res, 429, { error: 'too_many_requests' }, { 'retry-after': '7', date: 'Thu, 26 Nov 2026 12:00:00 GMT' }))
  const err = await failure(getAdminToken(config()))
  assert.equal(err.status, 429)
  assert.equal(err.retryAfterMs, 7000)
  assert.equal(err.serverTime, Date.UTC(2026, 10, 25 + 1, 12))
  assert.match(err.message, /Rate limited/)
})

test('a server that never answers: maskinporten_request_failed after timeoutMs', async () => {
  server.handle('/token', () => {}) // never answers
  const err = await failure(getAdminToken(config({ timeoutMs: 150 })))
  assert.equal(err.code, 'maskinporten_request_failed')
  assert.match(err.message, /No answer from Maskinporten at .* within 150 ms/)
  assert.equal(err.status, undefined)
})

test('a body that stops half-way is bounded by the timeout too', async () => {
  server.handle('/token', (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"access_token":"')
  })
  const err = await failure(getAdminToken(config({ timeoutMs: 150 })))
  assert.equal(err.code, 'maskinporten_request_failed')
})

test('a fractional timeoutMs works like the next whole millisecond', async () => {
  server.handle('/token', () => {})
  const err = await failure(getAdminToken(config({ timeoutMs: 100.5 })))
  assert.equal(err.code, 'maskinporten_request_failed')
  assert.match(err.message, /within 100.5 ms/)
})

test('a caller signal already aborted: no request, maskinporten_request_failed', async () => {
  tokenOk()
  const before = server.seen.length
  const err = await failure(getMaskinportenToken(config(), 'a', { signal: AbortSignal.abort() }))
  assert.match(err.message, /aborted/)
  assert.equal(server.seen.length, before)
})

test('a reset connection: maskinporten_request_failed naming the reason', async () => {
  server.handle('/token', (_req, res) => res.socket?.destroy())
  const err = await failure(getAdminToken(config()))
  assert.equal(err.code, 'maskinporten_request_failed')
  assert.match(err.message, /Could not reach Maskinporten/)
  assert.ok(err.cause instanceof Error)
})

test('a refused port: maskinporten_request_failed, ECONNREFUSED', async () => {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise<void>((resolve) => probe.close(() => resolve()))
  const err = await failure(getAdminToken(config({ issuer: `http://127.0.0.1:${port}/` })))
  assert.equal(err.code, 'maskinporten_request_failed')
  assert.match(err.message, /connection refused \(ECONNREFUSED\)/)
})

test('exchange 401 problem+json and 410: altinn_exchange_error with status and hint', async () => {
  tokenOk()
  const answers: Array<[number, string, string, RegExp]> = [
    [401, 'application/problem+json', JSON.stringify({ type: 'https://tools.ietf.org/html/rfc9110#section-15.5.2', title: 'Unauthorized', status: 401, traceId: '00-abc-01' }), /same environment/],
    [410, 'text/plain', '', /system user/],
    [400, 'text/plain', "Invalid token provider: foo. Trusted token providers are 'Maskinporten', 'Id-porten' and 'AltinnStudio'.", /unknown token provider/],
    [503, 'text/html', '<html>down</html>', /unavailable/],
  ]
  for (const [status, type, body, hint] of answers) {
    server.handle('/authentication/api/v1/exchange/maskinporten', (_req, res) => res.writeHead(status, { 'content-type': type }).end(body))
    const err = await failure(getAltinnToken(config()))
    assert.equal(err.code, 'altinn_exchange_error')
    assert.equal(err.status, status)
    assert.match(err.message, hint)
  }
})

test('exchange 200 with an empty body: altinn_exchange_error', async () => {
  tokenOk()
  server.handle('/authentication/api/v1/exchange/maskinporten', (_req, res) => res.end('""'))
  const err = await failure(getAltinnToken(config()))
  assert.equal(err.code, 'altinn_exchange_error')
  assert.equal(err.status, 200)
})

test('exchange that hangs or resets: altinn_exchange_failed', async () => {
  tokenOk()
  server.handle('/authentication/api/v1/exchange/maskinporten', () => {})
  assert.equal((await failure(getAltinnToken(config({ timeoutMs: 150 })))).code, 'altinn_exchange_failed')
  server.handle('/authentication/api/v1/exchange/maskinporten', (_req, res) => res.socket?.destroy())
  assert.equal((await failure(getAltinnToken(config()))).code, 'altinn_exchange_failed')
})

test('a token echoed in an error body is masked', async () => {
  tokenOk()
  server.handle('/authentication/api/v1/exchange/maskinporten', (_req, res) => res.writeHead(401).end(`bad token ${MP_TOKEN}`))
  const err = await failure(getAltinnToken(config()))
  assert.match(err.body!, /\[jwt masked\]/)
})

test('config.fetch is used for every request', async () => {
  tokenOk()
  server.handle('/authentication/api/v1/exchange/maskinporten', (_req, res) => res.end(ALTINN_TOKEN))
  const urls: string[] = []
  const fetch: typeof globalThis.fetch = (input, init) => {
    urls.push(String(input))
    return globalThis.fetch(input, init)
  }
  assert.equal(await getAltinnToken(config({ fetch })), ALTINN_TOKEN)
  assert.deepEqual(urls, [`${server.url}/token`, `${server.url}/authentication/api/v1/exchange/maskinporten`])
})

test('an abort signal from the caller ends the request', async () => {
  server.handle('/token', () => {})
  const controller = new AbortController()
  const pending = getMaskinportenToken(config(), 'a', { signal: controller.signal })
  setTimeout(() => controller.abort(), 20)
  const err = await failure(pending)
  assert.equal(err.code, 'maskinporten_request_failed')
  assert.match(err.message, /aborted/)
})

test('a port that the global fetch refuses to use is named as such', async () => {
  const err = await failure(getAdminToken(config({ issuer: 'http://127.0.0.1:9/', fetch: globalThis.fetch })))
  assert.equal(err.code, 'maskinporten_request_failed')
  assert.match(err.message, /refuses to connect to this port/)
  // The default sender (node:http) has no such list: the port is simply closed.
  const direct = await failure(getAdminToken(config({ issuer: 'http://127.0.0.1:9/' })))
  assert.match(direct.message, /connection refused \(ECONNREFUSED\)/)
})

test('a grant echoed in error_description is masked in the message, the field and the body', async () => {
  server.handle('/token', (req, res) => {
    const grant = new URLSearchParams(req.body).get('assertion')!
    mpError(res, issuer, 'invalid_grant', `Invalid assertion. Bad grant ${grant} and its payload ${grant.split('.')[1]}`, 'MP-011')
  })
  const err = await failure(getAdminToken(config())) // failure() asserts the grant appears nowhere
  assert.match(err.oauthErrorDescription!, /\[jwt masked\]/)
  assert.match(err.message, /\[jwt masked\]/)
})

test('an opaque token in a 200 that is not a token response is not kept', async () => {
  const opaque = 'opaque-SECRET-token-1234567890'
  for (const body of [{ access_token: opaque }, { access_token: opaque, expires_in: 'soon' }, { access_token: opaque, refresh_token: opaque, expires_in: -1 }]) {
    server.handle('/token', (_req, res) => json(res, 200, body))
    const err = await failure(getAdminToken(config()))
    assert.equal(err.status, 200)
    assertNoSecrets([err.message, err.body, JSON.stringify(err), inspect(err)], [opaque])
    assert.match(err.body!, /^\[\d+ characters: a JSON object with access_token.*values not kept\]$/)
  }
})

test('expires_in as a numeric string is read as a number', async () => {
  server.handle('/token', (_req, res) => json(res, 200, { access_token: MP_TOKEN, token_type: 'Bearer', expires_in: '119' }))
  assert.equal((await getMaskinportenToken(config(), 'a')).expires_in, 119)
})

test('an opaque Maskinporten token echoed by the exchange is masked; a bad 200 body is not kept', async () => {
  const opaque = 'opaque-maskinporten-token-0987654321'
  server.handle('/token', (_req, res) => json(res, 200, { access_token: opaque, token_type: 'Bearer', expires_in: 119 }))
  server.handle('/authentication/api/v1/exchange/maskinporten', (_req, res) => res.writeHead(401).end(`token ${opaque} not accepted`))
  let err = await failure(getAltinnToken(config()))
  assertNoSecrets([err.message, err.body, JSON.stringify(err)], [opaque])
  server.handle('/authentication/api/v1/exchange/maskinporten', (_req, res) => res.end(`two parts ${opaque}`))
  err = await failure(getAltinnToken(config()))
  assertNoSecrets([err.message, err.body, JSON.stringify(err)], [opaque])
})

test('tokens escaped inside JSON cannot slip past: problem details, error_description, non-object JSON', async () => {
  const escape = (text: string) => text.replace(/e/g, '\\u0065').replace(/\+/g, '\\u002B')
  const opaque = 'opaque+token+with+plus+signs+0123456789'
  server.handle('/token', (_req, res) => json(res, 200, { access_token: opaque, token_type: 'Bearer', expires_in: 119 }))
  server.handle('/authentication/api/v1/exchange/maskinporten', (_req, res) =>
    res.writeHead(401, { 'content-type': 'application/problem+json' })
      .end(`{"title":"Unauthorized","detail":"Token ${escape(opaque)} and ${escape(MP_TOKEN)} rejected","status":401}`),
  )
  let err = await failure(getAltinnToken(config()))
  assertNoSecrets([err.message, err.body, JSON.stringify(err), JSON.stringify(JSON.parse(err.body!))], [opaque, MP_TOKEN])
  assert.match(err.message, /401: Unauthorized: Token \[secret masked\] and \[jwt masked\] rejected/)

  for (const body of [`"${escape(MP_TOKEN)}"`, `["${escape(MP_TOKEN)}"]`, `{"error":"invalid_grant","error_description":"bad ${escape(MP_TOKEN)}"}`]) {
    server.handle('/token', (_req, res) => res.writeHead(400, { 'content-type': 'application/json' }).end(body))
    err = await failure(getAdminToken(config()))
    const parsed = JSON.stringify(JSON.parse(err.body!))
    assertNoSecrets([err.message, err.body, parsed, JSON.stringify(err)], [MP_TOKEN])
  }
})

test('a 200 from the exchange that is not a JWT is not taken as the Altinn token', async () => {
  tokenOk()
  for (const body of ['{"token":"ALTINN-SECRET-VALUE-1234"}', 'ALTINN-SECRET-VALUE-1234', 'a.b']) {
    server.handle('/authentication/api/v1/exchange/maskinporten', (_req, res) => res.end(body))
    const err = await failure(getAltinnToken(config()))
    assert.equal(err.code, 'altinn_exchange_error')
    assertNoSecrets([err.message, err.body, JSON.stringify(err)], ['ALTINN-SECRET-VALUE-1234'])
  }
})
