/**
 * The emulator as a server: wrong methods, unknown paths, oversized and malformed requests answered with 4xx, no
 * crash, no hung socket; its clock; close() with sockets still open.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { request } from 'node:http'
import { startEmulator, type EmulatorClient, type EmulatorJwk } from '../../src/emulator/index.js'
import { generateKeyPairSync } from 'node:crypto'
import { ReplayMemory } from '../../src/emulator/maskinporten/replay.js'
import { issuerPaths, underIssuer } from '../../src/emulator/issuer.js'
import { VENDOR_ORG } from './fixtures.js'
import { assertRejected, grant, postToken, requestToken, startFixture, type Fixture } from './fixtures.js'

/** Sends raw bytes and returns what came back before the server closed the socket. */
function raw(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes))
    let text = ''
    socket.on('data', (d) => (text += d.toString()))
    socket.on('close', () => resolve(text))
    socket.on('error', reject)
  })
}

describe('emulator: robustness', () => {
  let f: Fixture
  before(async () => {
    f = await startFixture()
  })
  after(() => f.emu.close())

  it('answers 405 to a wrong method, with Allow', async () => {
    const get = await fetch(`${f.emu.issuer}token`)
    assert.equal(get.status, 405)
    assert.equal(get.headers.get('allow'), 'POST')
    const post = await fetch(`${f.emu.issuer}jwk`, { method: 'POST', body: 'x' })
    assert.equal(post.status, 405)
    assert.equal(post.headers.get('allow'), 'GET')
    const del = await fetch(`${f.emu.altinnUrl}/authentication/api/v1/exchange/maskinporten`, { method: 'DELETE' })
    assert.equal(del.status, 405)
  })

  it('answers 404 to an unknown path, and to near misses', async () => {
    for (const path of ['nope', 'token/', 'jwk/extra', 'authentication/api/v1/exchange/', 'authentication/api/v1/exchange/a/b', '__emulator/nope']) {
      const res = await fetch(`${f.emu.issuer}${path}`)
      assert.equal(res.status, 404, path)
      await res.arrayBuffer()
    }
  })

  it('refuses a body over 64 KB with 413, by Content-Length and when streamed', async () => {
    const big = `grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=${'a'.repeat(70_000)}`
    const answer = await postToken(f.emu, big)
    assert.equal(answer.status, 413)
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = request(`${f.emu.issuer}token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      req.on('response', (res) => (res.resume(), resolve(res.statusCode ?? 0)))
      req.on('error', reject)
      for (let i = 0; i < 20; i++) req.write('a'.repeat(4096))
      req.end()
    })
    assert.equal(streamed, 413)
    const control = await fetch(`${f.emu.url}/__emulator/clients`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ' '.repeat(70_000) })
    assert.equal(control.status, 413)
  })

  it('accepts a body of just under 64 KB (and rejects its grant)', async () => {
    const answer = await postToken(f.emu, `grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=${'a'.repeat(60_000)}`)
    assert.equal(answer.status, 400)
  })

  it('answers 400 to malformed HTTP and keeps serving', async () => {
    assert.match(await raw(f.emu.url, 'GARBAGE\r\n\r\n'), /^HTTP\/1\.1 400/)
    assert.match(await raw(f.emu.url, 'GET /jwk HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n'), /^HTTP\/1\.1 400/)
    assert.match(await raw(f.emu.url, '\x00\x01\x02\x03\r\n\r\n'), /^HTTP\/1\.1 400/)
    assert.equal((await requestToken(f.emu, grant(f))).status, 200)
  })

  it('survives malformed paths, query strings and form bodies', async () => {
    const bearer = { authorization: 'Bearer x' }
    assert.equal((await fetch(`${f.emu.altinnUrl}/authentication/api/v1/exchange/%E0%A4%A`, { headers: bearer })).status, 400)
    assert.equal((await fetch(`${f.emu.issuer}jwk?%%%`)).status, 200)
    const answer = await postToken(f.emu, '%%%&&&==assertion=%ZZ')
    assert.equal(answer.status, 400)
    assert.equal(answer.body.error, 'invalid_request')
    assert.equal((await requestToken(f.emu, grant(f))).status, 200)
  })

  it('keeps serving after a client disappears mid-request', async () => {
    await raw(f.emu.url, 'POST /token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nabc')
    assert.equal((await requestToken(f.emu, grant(f))).status, 200)
  })
})

describe('emulator: clock', () => {
  it('runs clockOffsetSeconds from the machine: time checks, tokens and the Date header follow it', async () => {
    const ahead = await startFixture({ clockOffsetSeconds: 3600 })
    const behind = await startFixture({ clockOffsetSeconds: -30 })
    try {
      // The machine's grant is an hour old for the emulator ahead, and 30 s in the future for the one behind.
      assertRejected(await requestToken(ahead.emu, grant(ahead)), ahead.emu.issuer, { error: 'invalid_grant', mp: '130', starts: 'Invalid assertion. Client authentication failed. JWT is expired' })
      assertRejected(await requestToken(behind.emu, grant(behind)), behind.emu.issuer, { error: 'invalid_grant', mp: '130', starts: 'Invalid assertion. Client authentication failed. Issue time is after now' })
      const res = await fetch(`${ahead.emu.issuer}jwk`)
      const skew = Date.parse(res.headers.get('date')!) - Date.now()
      assert.ok(skew > 3500_000 && skew < 3700_000, `Date header ${skew} ms from the machine`)
      // A grant made on the emulator's clock passes, and the token's times are on that clock.
      const iat = Math.floor(Date.now() / 1000) + 3600
      const answer = await requestToken(ahead.emu, grant(ahead, { iat, exp: iat + 100 }))
      assert.equal(answer.status, 200, answer.text)
      const claims = JSON.parse(Buffer.from(String(answer.body.access_token).split('.')[1]!, 'base64url').toString()) as { iat: number }
      assert.ok(Math.abs(claims.iat - iat) <= 2)
    } finally {
      await Promise.all([ahead.emu.close(), behind.emu.close()])
    }
  })
})

describe('emulator: start and close', () => {
  it('closes with a keep-alive socket and a request in flight', async () => {
    const emu = await startEmulator()
    const socket = connect(Number(new URL(emu.url).port), '127.0.0.1')
    await new Promise((resolve) => socket.once('connect', resolve))
    socket.write('POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n')
    const closed = new Promise((resolve) => socket.once('close', resolve))
    socket.on('error', () => {}) // a reset is what close() does to it
    await emu.close()
    await closed
    await emu.close() // twice is fine
  })

  it('warns on stderr when bound beyond loopback, and not on loopback', async () => {
    const written: string[] = []
    const original = process.stderr.write.bind(process.stderr)
    process.stderr.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof process.stderr.write
    try {
      await (await startEmulator({ host: '127.0.0.1' })).close()
      assert.equal(written.length, 0)
      const open = await startEmulator({ host: '0.0.0.0' })
      await open.close()
      assert.match(written.join(''), /not a loopback address.*never register production keys/s)
      assert.equal(open.url.startsWith('http://0.0.0.0:'), true)
    } finally {
      process.stderr.write = original
    }
  })

  it('takes an issuer and an Altinn URL for clients that reach it under another name', async () => {
    const emu = await startEmulator({ issuer: 'http://emulator.test:8099/', altinnUrl: 'http://altinn.test/' })
    try {
      assert.equal(emu.issuer, 'http://emulator.test:8099/')
      assert.equal(emu.altinnUrl, 'http://altinn.test')
      const meta = (await (await fetch(`${emu.url}/.well-known/oauth-authorization-server`)).json()) as Record<string, string>
      assert.equal(meta.issuer, 'http://emulator.test:8099/')
      assert.equal(meta.token_endpoint, 'http://emulator.test:8099/token')
      const config = (await (await fetch(`${emu.url}/authentication/api/v1/openid/.well-known/openid-configuration`)).json()) as Record<string, string>
      assert.equal(config.issuer, 'http://altinn.test/authentication/api/v1/openid/')
    } finally {
      await emu.close()
    }
    await assert.rejects(startEmulator({ issuer: 'not a url' }), { code: 'invalid_config' })
  })

  it('joins its URLs to an issuer without a trailing slash with one slash, and serves them under its path', async () => {
    const issuer = 'http://127.0.0.1:9/sky'
    const emu = await startEmulator({ issuer })
    try {
      for (const path of ['/.well-known/oauth-authorization-server', '/sky/.well-known/oauth-authorization-server']) {
        const res = await fetch(`${emu.url}${path}`)
        assert.equal(res.status, 200, path)
        const meta = (await res.json()) as Record<string, string>
        assert.equal(meta.issuer, issuer)
        assert.equal(meta.token_endpoint, 'http://127.0.0.1:9/sky/token')
        assert.equal(meta.jwks_uri, 'http://127.0.0.1:9/sky/jwk')
      }
      assert.equal((await fetch(`${emu.url}/sky/jwk`)).status, 200)
      for (const path of ['/sky/token', '/token']) {
        const answer = await postToken({ issuer: `${emu.url}${path.slice(0, -'token'.length)}` }, { grant_type: 'password' })
        assert.equal(answer.status, 400, path)
        assert.equal(answer.body.error, 'invalid_request')
        assert.match(String(answer.body.error_uri), /^http:\/\/127\.0\.0\.1:9\/sky\/errors\/MP-\d{3}$/)
      }
      // Only the issuer's own endpoints live under its path.
      assert.equal((await fetch(`${emu.url}/sky/__emulator/stats`)).status, 404)
      assert.equal((await fetch(`${emu.url}/skytoken`, { method: 'POST' })).status, 404)
    } finally {
      await emu.close()
    }
  })

  it('puts exactly one slash between the issuer and its endpoints', () => {
    assert.equal(underIssuer('https://maskinporten.no/', 'jwk'), 'https://maskinporten.no/jwk')
    assert.equal(underIssuer('https://test.sky.maskinporten.no', 'token'), 'https://test.sky.maskinporten.no/token')
    assert.equal(underIssuer('http://h/sky', 'errors/MP-011'), 'http://h/sky/errors/MP-011')
    assert.deepEqual(issuerPaths('https://maskinporten.no/'), new Map())
    assert.deepEqual(issuerPaths('https://test.sky.maskinporten.no'), new Map())
    assert.deepEqual([...issuerPaths('http://h/sky').keys()], ['/sky/token', '/sky/jwk', '/sky/.well-known/oauth-authorization-server', '/sky/.well-known/openid-configuration'])
    assert.deepEqual(issuerPaths('http://h/?q'), new Map())
  })

  it('refuses RSA keys under 2048 bits, at start and when registered', async () => {
    const jwkOf = (bits: number) => ({ ...generateKeyPairSync('rsa', { modulusLength: bits }).publicKey.export({ format: 'jwk' }), kid: `k${bits}` }) as EmulatorJwk
    const client = (keys: EmulatorJwk[]): EmulatorClient => ({ clientId: 'small', orgNummer: VENDOR_ORG, jwks: { keys }, scopes: ['altinn:instances.read'] })
    await assert.rejects(startEmulator({ clients: [client([jwkOf(1024)])] }), { code: 'invalid_config', message: /jwks\.keys\[0\] is a 1024-bit RSA key; Maskinporten requires at least 2048 bits/ })
    const emu = await startEmulator()
    try {
      assert.throws(() => emu.registerClient(client([jwkOf(2048), jwkOf(2047)])), { code: 'invalid_config', message: /jwks\.keys\[1\] is a 2047-bit RSA key/ })
      emu.registerClient(client([jwkOf(2048)]))
    } finally {
      await emu.close()
    }
  })

  it('refuses bad options and bad clients at start', async () => {
    await assert.rejects(startEmulator({ port: -1 }), { code: 'invalid_config' })
    await assert.rejects(startEmulator({ clockOffsetSeconds: Number.NaN }), { code: 'invalid_config' })
    const bad = { clientId: 'c', orgNummer: '123456789', jwks: { keys: [] }, scopes: [] }
    await assert.rejects(startEmulator({ clients: [bad] }), { code: 'invalid_config', message: /orgNummer/ })
  })

  it('refuses a private JWK and a client without kid', async () => {
    const f = await startFixture()
    try {
      const priv = f.key.export({ format: 'jwk' })
      assert.throws(() => f.emu.registerClient({ ...f.client, jwks: { keys: [{ ...priv, kty: 'RSA', kid: 'k' }] } }), /private key/)
      assert.throws(() => f.emu.registerClient({ ...f.client, jwks: { keys: [{ kty: 'RSA', kid: '' }] } }), /kid/)
    } finally {
      await f.emu.close()
    }
  })
})

describe('emulator: replay memory', () => {
  it('forgets a grant at its exp and stays within its bound', () => {
    const memory = new ReplayMemory(100)
    assert.equal(memory.use('a', 1000, 900), true)
    assert.equal(memory.use('a', 1000, 950), false)
    assert.equal(memory.use('a', 1100, 1000), true) // expired: may be remembered anew
    for (let i = 0; i < 99; i++) assert.equal(memory.use(`k${i}`, 1500 + i, 1000), true)
    assert.equal(memory.size, 100)
    // Full of live grants: a new one waits until the first expires; none is forgotten.
    assert.equal(memory.use('new', 2000, 1000), 100)
    for (let i = 0; i < 99; i++) assert.equal(memory.use(`k${i}`, 1500 + i, 1000), false)
    assert.equal(memory.use('a', 1100, 1050), false)
    // Once some expire, room is made from them alone.
    assert.equal(memory.use('new', 2000, 1502), true)
    assert.equal(memory.use('k3', 1503, 1502), false)
    assert.ok(memory.size <= 100)
  })
})
