// MaskinportenClient.fetch: the cached token as Bearer, one fresh token and one more try on 401 (counted on both
// servers), the body bounded in size and time, no redirect followed, nothing secret in its errors.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { MaskinportenClient } from '../../src/client/client.ts'
import { startEmulator, type Emulator } from '../../src/emulator/index.ts'
import { publicJwk } from '../../src/signing/keys.ts'
import { assertNoSecrets, testKey } from '../support/fixtures.ts'
import { json, startFakeServer, type FakeServer } from '../support/fake-server.ts'
import { rejection } from './setup.ts'

const SCOPE = 'skatteetaten:innrapporteringaksjonaerregisteroppgave'

describe('MaskinportenClient.fetch', () => {
  let emu: Emulator
  let api: FakeServer
  let client: MaskinportenClient

  before(async () => {
    const key = testKey()
    emu = await startEmulator({ clients: [{ clientId: 'fetch-client', orgNummer: '991825827', jwks: { keys: [publicJwk(key.privateKey, 'k1')] }, scopes: [SCOPE] }] })
    api = await startFakeServer()
    client = new MaskinportenClient({ clientId: 'fetch-client', kid: 'k1', privateKeyPem: key.pkcs8, issuer: emu.issuer, timeoutMs: 2_000 })
  })
  after(async () => {
    client.close()
    await api.close()
    await emu.close()
  })

  it('sends the cached token as Bearer: two calls, one token', async () => {
    api.handle('/ok', (_req, res) => json(res, 200, { fine: true }))
    const before = emu.stats().token.issued
    const a = await client.fetch(`${api.url}/ok`, {}, { scope: SCOPE })
    const b = await client.fetch(`${api.url}/ok`, {}, { scope: SCOPE })
    assert.equal(a.status, 200)
    assert.deepEqual(await b.json(), { fine: true })
    assert.equal(emu.stats().token.issued - before, 1)
    const seen = api.seen.filter((s) => s.url === '/ok')
    assert.equal(seen.length, 2)
    assert.match(seen[0]!.headers.authorization ?? '', /^Bearer eyJ/)
    assert.equal(seen[0]!.headers.authorization, seen[1]!.headers.authorization)
  })

  it('on a 401 fetches a fresh token once and tries again', async () => {
    let calls = 0
    const tokens: string[] = []
    api.handle('/refuse-once', (req, res) => {
      calls++
      tokens.push(req.headers.authorization ?? '')
      if (calls === 1) res.writeHead(401).end()
      else json(res, 200, { second: true })
    })
    const issued = emu.stats().token.issued
    const res = await client.fetch(`${api.url}/refuse-once`, { method: 'POST', body: '{}' }, { scope: SCOPE })
    assert.equal(res.status, 200)
    assert.equal(res.retriedAfter401, true)
    assert.equal(calls, 2)
    assert.equal(emu.stats().token.issued - issued, 1, 'one fresh token')
    assert.notEqual(tokens[0], tokens[1])
  })

  it('a second 401 is returned, not retried again', async () => {
    let calls = 0
    api.handle('/refuse', (_req, res) => {
      calls++
      res.writeHead(401).end()
    })
    const res = await client.fetch(`${api.url}/refuse`, {}, { scope: SCOPE })
    assert.equal(res.status, 401)
    assert.equal(calls, 2)
  })

  it('refuses a body over maxBodyBytes, with or without content-length', async () => {
    api.handle('/big', (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(5000)))
    api.handle('/chunked', (_req, res) => {
      res.writeHead(200)
      for (let i = 0; i < 10; i++) res.write('y'.repeat(1000))
      res.end()
    })
    for (const path of ['/big', '/chunked']) {
      const err = await rejection(client.fetch(`${api.url}${path}`, { maxBodyBytes: 1000 }, { scope: SCOPE }))
      assert.equal(err.code, 'api_request_failed')
      assert.match(err.message, /over 1000 bytes/)
    }
  })

  it('bounds the time, and masks query values in its messages', async () => {
    api.handle('/slow', () => undefined) // never answers
    const err = await rejection(client.fetch(`${api.url}/slow?token=s3cr3tpagetoken`, { timeoutMs: 100 }, { scope: SCOPE }))
    assert.equal(err.code, 'api_request_failed')
    assert.match(err.message, /within 100 ms/)
    assert.doesNotMatch(err.message, /s3cr3tpagetoken/)
  })

  it('does not follow redirects (the token stays with the host asked)', async () => {
    let followed = 0
    api.handle('/moved', (_req, res) => res.writeHead(302, { location: `${api.url}/elsewhere` }).end())
    api.handle('/elsewhere', (_req, res) => {
      followed++
      res.writeHead(200).end()
    })
    const res = await client.fetch(`${api.url}/moved`, {}, { scope: SCOPE })
    assert.equal(res.status, 302)
    assert.equal(followed, 0)
  })

  it('refuses an authorization header, credentials in the URL, and a bad method before sending', async () => {
    const count = api.seen.length
    for (const [url, init] of [
      [`${api.url}/ok`, { headers: { Authorization: 'Bearer x' } }],
      [`http://user:pw@127.0.0.1:1/ok`, {}],
      [`${api.url}/ok`, { method: 'TRACE' }],
      ['not a url', {}],
      [`${api.url}/ok`, { headers: { 'x-count': 3 } }],
    ] as const) {
      const err = await rejection(client.fetch(url, init as never, { scope: SCOPE }))
      assert.equal(err.code, 'invalid_config')
    }
    assert.equal(api.seen.length, count)
  })

  it('never shows the token: errors, the response, JSON of both', async () => {
    api.handle('/echo', (req, res) => json(res, 500, { echoed: req.headers.authorization }))
    const res = await client.fetch(`${api.url}/echo`, {}, { scope: SCOPE })
    const token = (await client.getToken({ scope: SCOPE })).accessToken
    assertNoSecrets([JSON.stringify(res), String(res)], [token])
    const err = await rejection(client.fetch(`${api.url}/slow`, { timeoutMs: 50 }, { scope: SCOPE }))
    assertNoSecrets([err.message, JSON.stringify(err), String(err.cause)], [token])
  })

  it('the answer\'s headers are a real Headers, made once when read; a header value that is no string is refused', async () => {
    api.handle('/headers', (_req, res) => {
      res.setHeader('X-Multi', ['a', 'b'])
      json(res, 200, { ok: true })
    })
    const res = await client.fetch(`${api.url}/headers`, {}, { scope: SCOPE })
    assert.ok(res.headers instanceof Headers)
    assert.equal(res.headers, res.headers, 'made once')
    assert.equal(res.headers.get('x-multi'), 'a, b')
    assert.equal(res.headers.get('Content-Type'), 'application/json')
    const err = await rejection(client.fetch(`${api.url}/headers`, { headers: { 'x-secretish': { token: 'abc' } } } as never, { scope: SCOPE }))
    assert.equal(err.code, 'invalid_config')
    assert.match(err.message, /"x-secretish" is object/)
    // A caller's fetch: its own Headers are handed out as they are.
    let given: Headers | undefined
    const fetch: typeof globalThis.fetch = async (input, init) => {
      const answer = await globalThis.fetch(input, init)
      given = answer.headers
      return answer
    }
    const viaFetch = await client.fetch(`${api.url}/headers`, { fetch }, { scope: SCOPE })
    assert.equal(viaFetch.headers, given)
  })
})
