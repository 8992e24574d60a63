/**
 * Regressions from an adversarial run against the emulator, each test named after what broke: a replayed grant
 * accepted once the replay memory filled, `exp < iat` accepted, tab/newline scope separators, a JWT-shaped path
 * segment echoed by the exchange, request bodies drained on GET routes, and a slow body holding a socket for 300 s.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { assertRejected, grant, requestToken, startFixture } from './fixtures.js'

const AUTH = 'Invalid assertion. Client authentication failed.'

/** Sends raw bytes and collects the answer until the server closes the socket. */
function rawUntilClose(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request))
    let data = ''
    socket.on('data', (chunk) => (data += chunk.toString('latin1')))
    socket.on('error', reject)
    socket.on('close', () => resolve(data))
  })
}

describe('emulator edges (regressions)', () => {
  it('a used, unexpired grant was accepted again once the replay memory filled: now 503 with Retry-After, never forgotten', async () => {
    const f = await startFixture({ emulator: { maxRememberedGrants: 3 } })
    try {
      const used = [grant(f), grant(f), grant(f)]
      for (const g of used) assert.equal((await requestToken(f.emu, g)).status, 200)
      const fresh = await requestToken(f.emu, grant(f))
      assert.equal(fresh.status, 503)
      assert.equal(fresh.body.error, 'temporarily_unavailable')
      const retryAfter = Number(fresh.headers.get('retry-after'))
      assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 130, String(retryAfter))
      // Every used grant is still known: a replay is still MP-012.
      for (const g of used) assertRejected(await requestToken(f.emu, g), f.emu.issuer, { error: 'invalid_grant', mp: '012', starts: 'Grant is used before' })
    } finally {
      await f.emu.close()
    }
  })

  it('a grant with exp < iat was accepted: now MP-130', async () => {
    const f = await startFixture()
    try {
      const now = Math.floor(Date.now() / 1000)
      const answer = await requestToken(f.emu, grant(f, { iat: now + 8, exp: now + 5 }))
      assertRejected(answer, f.emu.issuer, { error: 'invalid_grant', mp: '130', starts: `${AUTH} JWT is expired` })
    } finally {
      await f.emu.close()
    }
  })

  it('scopes separated by \\n or \\t were accepted: now MP-200 (RFC 6749 §3.3, spaces only)', async () => {
    const f = await startFixture()
    try {
      for (const sep of ['\n', '\t', '\r\n']) {
        const answer = await requestToken(f.emu, grant(f, { scope: `altinn:instances.read${sep}altinn:instances.write` }))
        assertRejected(answer, f.emu.issuer, { error: 'invalid_scope', mp: '200', starts: 'Token request contains invalid scopes for client, altinn:instances.read\\' })
        assert.ok(!String(answer.body.error_description).includes(sep), 'the separator is escaped, not echoed')
      }
      assert.equal((await requestToken(f.emu, grant(f, { scope: 'altinn:instances.read  altinn:instances.write' }))).status, 200)
    } finally {
      await f.emu.close()
    }
  })

  it("the exchange's 400 echoed a JWT-shaped path segment unmasked: now masked", async () => {
    const f = await startFixture()
    try {
      const jwtLike = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdG9rZW4ifQ.c2lnbmF0dXJlLWhlcmU'
      const res = await fetch(`${f.emu.altinnUrl}/authentication/api/v1/exchange/${jwtLike}`, { headers: { authorization: 'Bearer x' } })
      assert.equal(res.status, 400)
      const body = await res.text()
      assert.ok(!body.includes('eyJzdWIiOiJzZWNyZXQtdG9rZW4ifQ'), body)
      assert.match(body, /^Invalid token provider: \[jwt masked\]\./)
    } finally {
      await f.emu.close()
    }
  })

  it('GET routes drained request bodies of any size: now refused with 400 and the connection closed', async () => {
    const f = await startFixture()
    try {
      for (const path of ['/jwk', '/.well-known/oauth-authorization-server', '/authentication/api/v1/exchange/maskinporten', '/__emulator/stats']) {
        const answer = await rawUntilClose(f.emu.url, `GET ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello`)
        assert.match(answer, /^HTTP\/1\.1 400/, path)
        assert.match(answer, /A GET request carries no body/)
        const chunked = await rawUntilClose(f.emu.url, `GET ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`)
        assert.match(chunked, /^HTTP\/1\.1 400/, path)
      }
      assert.equal((await fetch(`${f.emu.issuer}jwk`)).status, 200)
    } finally {
      await f.emu.close()
    }
  })

  it('a slow body held a socket for 300 s: now the request times out (408) and the socket is closed', { timeout: 30_000 }, async () => {
    const f = await startFixture({ emulator: { requestTimeoutMs: 500 } })
    try {
      // Headers promise 100 bytes; 3 come, then nothing.
      const request = 'POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nabc'
      const answer = await rawUntilClose(f.emu.url, request)
      assert.match(answer, /^HTTP\/1\.1 408/)
      // The same for headers that never end.
      const headers = await rawUntilClose(f.emu.url, 'GET /jwk HTTP/1.1\r\nHost: x\r\n')
      assert.match(headers, /^HTTP\/1\.1 408/)
      assert.equal((await requestToken(f.emu, grant(f))).status, 200)
    } finally {
      await f.emu.close()
    }
  })

  it('refuses a bad maxRememberedGrants or requestTimeoutMs at start', async () => {
    await assert.rejects(startFixture({ emulator: { maxRememberedGrants: 0 } }), { code: 'invalid_config', message: /maxRememberedGrants/ })
    await assert.rejects(startFixture({ emulator: { requestTimeoutMs: 10 } }), { code: 'invalid_config', message: /requestTimeoutMs/ })
  })
})
