/**
 * Injected faults, stats and the `/__emulator/*` HTTP twins of the test hooks (DESIGN.md's contract).
 */
import { afterEach, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { generateSigningKey } from '../../src/signing/keys.js'
import { VENDOR_ORG, grant, requestToken, signGrant, startFixture, wencheClaims, type Fixture } from './fixtures.js'

describe('emulator: faults and stats', () => {
  let f: Fixture
  beforeEach(async () => {
    f = await startFixture()
  })
  afterEach(() => f.emu.close())

  it('answers an injected status with Retry-After and an OAuth body, `times` times, then normally', async () => {
    f.emu.injectFault({ endpoint: 'token', kind: 'status', status: 503, retryAfterSeconds: 7, times: 2 })
    for (let i = 0; i < 2; i++) {
      const answer = await requestToken(f.emu, grant(f))
      assert.equal(answer.status, 503)
      assert.equal(answer.headers.get('retry-after'), '7')
      assert.equal(answer.body.error, 'temporarily_unavailable')
      assert.match(String(answer.body.error_description), /\(trace_id: [0-9a-f]{32}\)$/)
    }
    assert.equal((await requestToken(f.emu, grant(f))).status, 200)
    assert.deepEqual(f.emu.stats().token, { requests: 3, issued: 1, rejected: 0 })
  })

  it('answers a status without Retry-After when none is set', async () => {
    f.emu.injectFault({ endpoint: 'token', kind: 'status', status: 500, times: 1 })
    const answer = await requestToken(f.emu, grant(f))
    assert.equal(answer.status, 500)
    assert.equal(answer.headers.get('retry-after'), null)
    assert.equal(answer.body.error, 'server_error')
  })

  it('hangs until the client gives up, and close() still ends it', async () => {
    f.emu.injectFault({ endpoint: 'token', kind: 'hang', times: 1 })
    await assert.rejects(
      fetch(`${f.emu.issuer}token`, { method: 'POST', body: 'x', signal: AbortSignal.timeout(100) }),
      { name: 'TimeoutError' },
    )
    f.emu.injectFault({ endpoint: 'exchange', kind: 'hang', times: 1 })
    const hung = fetch(`${f.emu.altinnUrl}/authentication/api/v1/exchange/maskinporten`)
    hung.catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, 20))
    await f.emu.close()
    await assert.rejects(hung)
  })

  it('resets the connection', async () => {
    f.emu.injectFault({ endpoint: 'token', kind: 'reset', times: 1 })
    await assert.rejects(requestToken(f.emu, grant(f)), TypeError)
    assert.equal((await requestToken(f.emu, grant(f))).status, 200)
  })

  it('answers garbage: 200 and not JSON', async () => {
    f.emu.injectFault({ endpoint: 'exchange', kind: 'garbage', times: 1 })
    const res = await fetch(`${f.emu.altinnUrl}/authentication/api/v1/exchange/maskinporten`)
    assert.equal(res.status, 200)
    const text = await res.text()
    assert.throws(() => JSON.parse(text))
    assert.deepEqual(f.emu.stats().exchange, { requests: 1, issued: 0, rejected: 0 })
  })

  it('delays: a short timeout fails, then the answer is normal; counted in requests only', async () => {
    f.emu.injectFault({ endpoint: 'token', kind: 'delay', delayMs: 60_000, times: 1 })
    await assert.rejects(
      fetch(`${f.emu.issuer}token`, { method: 'POST', body: 'x', signal: AbortSignal.timeout(100) }),
      { name: 'TimeoutError' },
    )
    f.emu.injectFault({ endpoint: 'token', kind: 'delay', delayMs: 20, times: 1 })
    assert.equal((await requestToken(f.emu, grant(f))).status, 200)
    assert.deepEqual(f.emu.stats().token, { requests: 2, issued: 0, rejected: 0 })
  })

  it('serves faults per endpoint, in order, and clearFaults drops them', async () => {
    f.emu.injectFault({ endpoint: 'exchange', kind: 'status', status: 502 })
    f.emu.injectFault({ endpoint: 'token', kind: 'status', status: 429, retryAfterSeconds: 1 })
    f.emu.injectFault({ endpoint: 'token', kind: 'status', status: 500 })
    assert.equal((await requestToken(f.emu, grant(f))).status, 429)
    f.emu.clearFaults()
    assert.equal((await requestToken(f.emu, grant(f))).status, 200)
    assert.equal((await fetch(`${f.emu.altinnUrl}/authentication/api/v1/exchange/maskinporten`)).status, 401)
  })

  it('refuses a malformed fault', () => {
    for (const bad of [
      { endpoint: 'jwk', kind: 'status' },
      { endpoint: 'token', kind: 'explode' },
      { endpoint: 'token', kind: 'status', times: 0 },
      { endpoint: 'token', kind: 'status', status: 99 },
      { endpoint: 'token', kind: 'delay', delayMs: -1 },
    ]) {
      assert.throws(() => f.emu.injectFault(bad as never), { code: 'invalid_config' }, JSON.stringify(bad))
    }
  })

  it('counts rejections, including wrong methods and oversized bodies', async () => {
    await requestToken(f.emu, grant(f, { aud: 'x' }))
    await fetch(`${f.emu.issuer}token`)
    await requestToken(f.emu, grant(f))
    const stats = f.emu.stats()
    assert.deepEqual(stats.token, { requests: 3, issued: 1, rejected: 2 })
    stats.token.requests = 99 // a copy
    assert.equal(f.emu.stats().token.requests, 3)
  })
})

describe('emulator: /__emulator/* over HTTP', () => {
  let f: Fixture
  beforeEach(async () => {
    f = await startFixture()
  })
  afterEach(() => f.emu.close())

  const post = (url: string, body: unknown, contentType = 'application/json') =>
    fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) })

  it('registers a client, injects and clears faults, reports stats', async () => {
    const key = await generateSigningKey()
    const clientId = 'registered-over-http'
    const created = await post(`${f.emu.url}/__emulator/clients`, {
      clientId,
      orgNummer: VENDOR_ORG,
      jwks: { keys: [key.publicJwk] },
      scopes: ['altinn:instances.read'],
    })
    assert.equal(created.status, 201)
    const assertion = signGrant(key.privateKey, { alg: 'RS256', kid: key.kid }, wencheClaims(f, { iss: clientId, sub: clientId, scope: 'altinn:instances.read' }))
    assert.equal((await requestToken(f.emu, assertion)).status, 200)

    assert.equal((await post(`${f.emu.url}/__emulator/faults`, { endpoint: 'token', kind: 'status', status: 503, times: 5 })).status, 201)
    assert.equal((await requestToken(f.emu, grant(f))).status, 503)
    assert.equal((await fetch(`${f.emu.url}/__emulator/faults`, { method: 'DELETE' })).status, 200)
    assert.equal((await requestToken(f.emu, grant(f))).status, 200)

    const stats = (await (await fetch(`${f.emu.url}/__emulator/stats`)).json()) as unknown
    assert.deepEqual(stats, {
      token: { requests: 3, issued: 2, rejected: 0 },
      exchange: { requests: 0, issued: 0, rejected: 0 },
      vendor: { requests: 0, issued: 0, rejected: 0, unauthorized: 0 },
    })
  })

  it('answers 400 with the reason to a bad client or fault, 415 to a non-JSON body, 405 to a wrong method', async () => {
    const badClient = await post(`${f.emu.url}/__emulator/clients`, { clientId: 'x', orgNummer: '123456789', jwks: { keys: [] }, scopes: [] })
    assert.equal(badClient.status, 400)
    assert.match(String(((await badClient.json()) as Record<string, unknown>).error_description), /orgNummer/)
    for (const client of [[], { clientId: 'x', orgNummer: '991825827', jwks: { keys: [] }, scopes: [], systemUsers: 'no' }, { clientId: 'x', orgNummer: '991825827', jwks: { keys: [] }, scopes: [], delegations: [null] }, { clientId: 'x', orgNummer: '991825827', jwks: { keys: [7] }, scopes: [] }]) {
      assert.equal((await post(`${f.emu.url}/__emulator/clients`, client)).status, 400, JSON.stringify(client))
    }
    assert.equal((await post(`${f.emu.url}/__emulator/faults`, { endpoint: 'nope', kind: 'hang' })).status, 400)
    assert.equal((await post(`${f.emu.url}/__emulator/faults`, null)).status, 400)
    assert.equal((await post(`${f.emu.url}/__emulator/faults`, '{not json')).status, 400)
    assert.equal((await post(`${f.emu.url}/__emulator/faults`, 'endpoint=token', 'application/x-www-form-urlencoded')).status, 415)
    assert.equal((await fetch(`${f.emu.url}/__emulator/stats`, { method: 'POST' })).status, 405)
    assert.equal((await fetch(`${f.emu.url}/__emulator/clients`)).status, 405)
  })

  it('answers 400 to a client whose RSA key is under 2048 bits, and does not register it', async () => {
    // n = AQAB: a 17-bit modulus, the smallest thing node:crypto reads as an RSA key.
    const tiny = await post(`${f.emu.url}/__emulator/clients`, { clientId: 'tiny', orgNummer: VENDOR_ORG, jwks: { keys: [{ kty: 'RSA', kid: 'tiny', n: 'AQAB', e: 'AQAB' }] }, scopes: ['altinn:instances.read'] })
    assert.equal(tiny.status, 400)
    assert.match(String(((await tiny.json()) as Record<string, unknown>).error_description), /jwks\.keys\[0\] is a 17-bit RSA key; Maskinporten requires at least 2048 bits/)
    const answer = await requestToken(f.emu, grant(f, { iss: 'tiny', sub: 'tiny', scope: 'altinn:instances.read' }, { kid: 'tiny' }))
    assert.equal(answer.body.error_uri, `${f.emu.issuer}errors/MP-100`)
  })
})
