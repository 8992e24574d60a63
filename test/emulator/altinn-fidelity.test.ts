/**
 * Altinn's token exchange as its service source has it (docs/protocol.md §8): the order of its checks, the 410 body,
 * `urn:altinn:org` for service-owner scopes, the certificate-backed signing key and the openid-configuration.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, createPublicKey, X509Certificate } from 'node:crypto'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { selfSignedCertificate } from '../../src/emulator/altinn/certificate.js'
import { generateSigningKey } from '../../src/signing/keys.js'
import { VENDOR_ORG, grant, requestToken, startFixture, type Fixture } from './fixtures.js'

const OPENID = '/authentication/api/v1/openid/.well-known/openid-configuration'

describe('emulator fidelity: Altinn exchange', () => {
  let f: Fixture
  const exchange = (provider = 'maskinporten', query = '') => `${f.emu.altinnUrl}/authentication/api/v1/exchange/${provider}${query}`

  before(async () => {
    f = await startFixture({
      client: { scopes: ['altinn:instances.read', 'altinn:instances.write', 'altinn:serviceowner/instances.read'] },
    })
  })
  after(() => f.emu.close())

  async function mpToken(scope = 'altinn:instances.read altinn:instances.write'): Promise<string> {
    const answer = await requestToken(f.emu, grant(f, { scope }))
    assert.equal(answer.status, 200, answer.text)
    return String(answer.body.access_token)
  }

  async function altinnClaims(res: Response): Promise<Record<string, unknown>> {
    assert.equal(res.status, 200)
    const config = (await (await fetch(`${f.emu.altinnUrl}${OPENID}`)).json()) as { jwks_uri: string; issuer: string }
    const { payload } = await jwtVerify(await res.text(), createRemoteJWKSet(new URL(config.jwks_uri)), { issuer: config.issuer })
    return payload
  }

  it('order of checks: no bearer is 401 even with an unknown provider', async () => {
    const res = await fetch(exchange('nope'))
    assert.equal(res.status, 401)
    assert.equal(((await res.json()) as { title: string }).title, 'Unauthorized')
  })

  it('order of checks: a bearer (even a bad one) with an unknown provider is 400', async () => {
    const res = await fetch(exchange('nope'), { headers: { authorization: 'Bearer not-a-token' } })
    assert.equal(res.status, 400)
    assert.match(await res.text(), /^Invalid token provider: nope\. Trusted token providers are/)
  })

  it('order of checks: token validation before the enterprise-user header (401, not 410)', async () => {
    const res = await fetch(exchange(), { headers: { authorization: 'Bearer eyJ.bad.token', 'x-altinn-enterpriseuser-authentication': 'x' } })
    assert.equal(res.status, 401)
  })

  it('the 410 body for enterprise users, after a valid token', async () => {
    const res = await fetch(exchange(), { headers: { authorization: `Bearer ${await mpToken()}`, 'x-altinn-enterpriseuser-authentication': 'x' } })
    assert.equal(res.status, 410)
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/)
    const body = (await res.json()) as Record<string, unknown>
    assert.equal(body.title, 'Virksomhetsbruker is no longer available')
    assert.equal(body.type, 'https://docs.altinn.studio')
    assert.equal(body.status, 410)
    assert.match(String(body.detail), /system users.*ID-porten/)
  })

  it('urn:altinn:org only for altinn:serviceowner scopes: digdir, and ttd with ?test=true', async () => {
    const plain = await altinnClaims(await fetch(exchange(), { headers: { authorization: `Bearer ${await mpToken()}` } }))
    assert.equal('urn:altinn:org' in plain, false)
    const owner = await altinnClaims(
      await fetch(exchange(), { headers: { authorization: `Bearer ${await mpToken('altinn:serviceowner/instances.read')}` } }),
    )
    assert.equal(owner['urn:altinn:org'], 'digdir')
    assert.equal(owner['urn:altinn:orgNumber'], VENDOR_ORG)
    const test = await altinnClaims(
      await fetch(exchange('maskinporten', '?test=true'), { headers: { authorization: `Bearer ${await mpToken('altinn:serviceowner/instances.read')}` } }),
    )
    assert.equal(test['urn:altinn:org'], 'ttd')
  })

  it('a service-owner token from an org not in the serviceOwners map is refused', async () => {
    const g = await startFixture({ emulator: { serviceOwners: {} }, client: { scopes: ['altinn:serviceowner/instances.read'] } })
    try {
      const answer = await requestToken(g.emu, grant(g, { scope: 'altinn:serviceowner/instances.read' }))
      const res = await fetch(`${g.emu.altinnUrl}/authentication/api/v1/exchange/maskinporten`, {
        headers: { authorization: `Bearer ${String(answer.body.access_token)}` },
      })
      assert.equal(res.status, 401)
    } finally {
      await g.emu.close()
    }
  })

  it("signing key: kid is the certificate's upper-case hex SHA-1 thumbprint, x5t the same in base64url, x5c in the JWKS, no alg", async () => {
    const res = await fetch(exchange(), { headers: { authorization: `Bearer ${await mpToken()}` } })
    const token = await res.text()
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as Record<string, string>
    const config = (await (await fetch(`${f.emu.altinnUrl}${OPENID}`)).json()) as { jwks_uri: string }
    const { keys } = (await (await fetch(config.jwks_uri)).json()) as { keys: Array<Record<string, unknown>> }
    assert.equal(keys.length, 1)
    const key = keys[0]!
    assert.equal('alg' in key, false)
    assert.deepEqual(Object.keys(key).sort(), ['e', 'kid', 'kty', 'n', 'use', 'x5c', 'x5t'])
    const der = Buffer.from((key.x5c as string[])[0]!, 'base64')
    const cert = new X509Certificate(der)
    const sha1 = createHash('sha1').update(der).digest()
    assert.equal(key.kid, sha1.toString('hex').toUpperCase())
    assert.equal(key.x5t, sha1.toString('base64url'))
    assert.equal(cert.fingerprint.replaceAll(':', ''), key.kid)
    assert.equal(header.kid, key.kid)
    assert.equal(header.x5t, key.x5t)
    // The certificate holds the key that verifies the tokens.
    const jwk = cert.publicKey.export({ format: 'jwk' })
    assert.equal(jwk.n, key.n)
    assert.ok(cert.verify(cert.publicKey), 'self-signed')
  })

  it('the fuller openid-configuration', async () => {
    const config = (await (await fetch(`${f.emu.altinnUrl}${OPENID}`)).json()) as Record<string, unknown>
    const issuer = `${f.emu.altinnUrl}/authentication/api/v1/openid/`
    assert.equal(config.issuer, issuer)
    assert.equal(config.jwks_uri, `${issuer}.well-known/openid-configuration/jwks`)
    for (const member of ['authorization_endpoint', 'token_endpoint', 'end_session_endpoint']) {
      assert.ok(String(config[member]).startsWith(`${f.emu.altinnUrl}/authentication/api/v1/`), member)
    }
    assert.deepEqual(config.response_types_supported, ['token'])
    assert.deepEqual(config.subject_types_supported, ['pairwise'])
  })
})

describe('emulator: self-signed certificate', () => {
  it('is DER that node:crypto parses, valid now, self-signed, for the given key', async () => {
    const generated = await generateSigningKey()
    const key = { privateKey: generated.privateKey, publicKey: createPublicKey(generated.privateKey) }
    const now = new Date('2026-12-01T10:00:00Z')
    const cert = selfSignedCertificate(key.privateKey, key.publicKey, 'test æøå', now, 30)
    const parsed = new X509Certificate(cert.der)
    assert.equal(parsed.subject, 'CN=test æøå')
    assert.equal(parsed.issuer, 'CN=test æøå')
    assert.ok(parsed.verify(key.publicKey))
    assert.ok(new Date(parsed.validFrom) < now && new Date(parsed.validTo) > now)
    assert.equal(new Date(parsed.validTo).getTime() - now.getTime(), 30 * 86_400_000)
    assert.equal(parsed.checkPrivateKey(key.privateKey), true)
    // GeneralizedTime from 2050 on.
    const late = new X509Certificate(selfSignedCertificate(key.privateKey, key.publicKey, 'late', new Date('2049-12-30T00:00:00Z'), 10).der)
    assert.equal(new Date(late.validTo).toISOString(), '2050-01-09T00:00:00.000Z')
  })
})
