/**
 * Altinn's token exchange on the emulator (docs/protocol.md §5): the claim mapping, the answer formats, the refusals,
 * and the Altinn token verified against its own jwks_uri with jose.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose'
import { checkMaskinportenToken } from '../../src/emulator/altinn/exchange.js'
import { makeSigningKey, signToken } from '../../src/emulator/tokens.js'
import { CUSTOMER_ORG, DELEGATING_ORG, SYSTEM_USER_ID, VENDOR_ORG, grant, requestToken, startFixture, type Fixture } from './fixtures.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe('emulator: Altinn token exchange', () => {
  let f: Fixture
  let exchangeUrl: string

  before(async () => {
    f = await startFixture()
    exchangeUrl = `${f.emu.altinnUrl}/authentication/api/v1/exchange/maskinporten`
  })
  after(() => f.emu.close())

  async function maskinportenToken(claims: Record<string, unknown> = {}): Promise<string> {
    const answer = await requestToken(f.emu, grant(f, claims))
    assert.equal(answer.status, 200, answer.text)
    return String(answer.body.access_token)
  }

  async function verifyAltinn(token: string): Promise<JWTPayload> {
    const config = (await (
      await fetch(`${f.emu.altinnUrl}/authentication/api/v1/openid/.well-known/openid-configuration`)
    ).json()) as { issuer: string; jwks_uri: string }
    assert.equal(config.issuer, `${f.emu.altinnUrl}/authentication/api/v1/openid/`)
    const jwks = createRemoteJWKSet(new URL(config.jwks_uri))
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: config.issuer, algorithms: ['RS256'] })
    assert.deepEqual(Object.keys(protectedHeader).sort(), ['alg', 'kid', 'typ', 'x5t'])
    assert.equal(protectedHeader.typ, 'JWT')
    return payload
  }

  it('exchanges a Maskinporten token: raw JWT, the claim mapping, 1800 s', async () => {
    const mp = await maskinportenToken()
    const res = await fetch(exchangeUrl, { headers: { authorization: `Bearer ${mp}` } })
    assert.equal(res.status, 200)
    const text = await res.text()
    assert.match(text, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/)
    const claims = await verifyAltinn(text)
    assert.equal(claims['urn:altinn:orgNumber'], VENDOR_ORG)
    assert.equal(claims['urn:altinn:authenticatemethod'], 'maskinporten')
    assert.equal(claims['urn:altinn:authlevel'], 3)
    assert.equal(claims.scope, 'altinn:instances.read altinn:instances.write')
    assert.equal(claims.client_id, f.clientId)
    assert.equal(claims.token_type, 'Bearer')
    assert.deepEqual(claims.consumer, { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR_ORG}` })
    for (const dropped of ['aud', 'client_amr']) assert.equal(claims[dropped], undefined)
    assert.match(String(claims.jti), UUID)
    assert.match(String(claims.sid), UUID)
    assert.equal(claims.nbf, claims.iat)
    assert.equal(claims.exp! - claims.iat!, 1800)
  })

  it('answers a JSON string with Accept: application/json', async () => {
    const res = await fetch(exchangeUrl, {
      headers: { authorization: `Bearer ${await maskinportenToken()}`, accept: 'application/json' },
    })
    const text = await res.text()
    assert.ok(text.startsWith('"eyJ') && text.endsWith('"'))
    await verifyAltinn(JSON.parse(text) as string)
  })

  it('turns a single-entry authorization_details into one object (Altinn quirk)', async () => {
    const details = [{ type: 'urn:altinn:systemuser', systemuser_org: { authority: 'iso6523-actorid-upis', ID: `0192:${CUSTOMER_ORG}` } }]
    const res = await fetch(exchangeUrl, { headers: { authorization: `Bearer ${await maskinportenToken({ authorization_details: details })}` } })
    const claims = await verifyAltinn(await res.text())
    const detail = claims.authorization_details as Record<string, unknown>
    assert.ok(!Array.isArray(detail))
    assert.deepEqual(detail.systemuser_id, [SYSTEM_USER_ID])
    assert.equal(claims['urn:altinn:orgNumber'], VENDOR_ORG)
  })

  it('maps a delegated token to the customer', async () => {
    const mp = await maskinportenToken({ consumer_org: DELEGATING_ORG, scope: 'altinn:instances.read' })
    const res = await fetch(exchangeUrl, { headers: { authorization: `Bearer ${mp}` } })
    const claims = await verifyAltinn(await res.text())
    assert.equal(claims['urn:altinn:orgNumber'], DELEGATING_ORG)
    assert.deepEqual(claims.supplier, { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR_ORG}` })
  })

  it('matches the provider case-insensitively', async () => {
    const res = await fetch(exchangeUrl.replace('maskinporten', 'MaskinPorten'), {
      headers: { authorization: `Bearer ${await maskinportenToken()}` },
    })
    assert.equal(res.status, 200)
  })

  it('refuses an unknown provider with 400 and Altinn\'s text', async () => {
    const res = await fetch(exchangeUrl.replace('maskinporten', 'google'), {
      headers: { authorization: `Bearer ${await maskinportenToken()}` },
    })
    assert.equal(res.status, 400)
    assert.equal(
      await res.text(),
      "Invalid token provider: google. Trusted token providers are 'Maskinporten', 'Id-porten' and 'AltinnStudio'.",
    )
  })

  it('answers 410 to the enterprise-user header', async () => {
    const res = await fetch(exchangeUrl, {
      headers: { authorization: `Bearer ${await maskinportenToken()}`, 'X-Altinn-EnterpriseUser-Authentication': 'x' },
    })
    assert.equal(res.status, 410)
  })

  const unauthorized: Array<[string, () => Promise<Record<string, string>>]> = [
    ['no Authorization header', async () => ({})],
    ['a Basic Authorization', async () => ({ authorization: 'Basic dXNlcjpwYXNz' })],
    ['not a JWT', async () => ({ authorization: 'Bearer nonsense' })],
    ['a grant instead of a token', async () => ({ authorization: `Bearer ${grant(f)}` })],
    ['a token with its signature changed', async () => {
      const [h, p, s] = (await maskinportenToken()).split('.') as [string, string, string]
      return { authorization: `Bearer ${h}.${p}.${s.slice(0, -4)}AAAA` }
    }],
  ]
  for (const [name, headers] of unauthorized) {
    it(`answers 401 problem+json to ${name}`, async () => {
      const res = await fetch(exchangeUrl, { headers: await headers() })
      assert.equal(res.status, 401)
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/)
      const body = (await res.json()) as Record<string, unknown>
      assert.equal(body.title, 'Unauthorized')
      assert.equal(body.status, 401)
      assert.match(String(body.traceId), /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/)
    })
  }

  it('answers 401 for id-porten: only its own Maskinporten tokens verify', async () => {
    const res = await fetch(exchangeUrl.replace('maskinporten', 'id-porten'), {
      headers: { authorization: `Bearer ${await maskinportenToken()}` },
    })
    assert.equal(res.status, 401)
  })

  it('answers 401 to a token of another emulator', async () => {
    const other = await startFixture()
    try {
      const answer = await requestToken(other.emu, grant(other))
      const res = await fetch(exchangeUrl, { headers: { authorization: `Bearer ${String(answer.body.access_token)}` } })
      assert.equal(res.status, 401)
    } finally {
      await other.emu.close()
    }
  })

  it('counts exchanges', () => {
    const { exchange } = f.emu.stats()
    assert.equal(exchange.requests, exchange.issued + exchange.rejected)
    assert.ok(exchange.issued >= 5 && exchange.rejected >= 8)
  })
})

describe('emulator: the Maskinporten token check of the exchange', () => {
  const issuer = 'http://127.0.0.1:1/'
  const claims = (now: number) => ({
    scope: 's', iss: issuer, client_amr: 'private_key_jwt', token_type: 'Bearer', exp: now + 120, iat: now,
    client_id: 'c', jti: 'j', consumer: { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR_ORG}` },
  })

  it('takes a token within its lifetime plus 10 s of skew, and not after', async () => {
    const key = await makeSigningKey()
    const now = 1_700_000_000
    const token = await signToken(key, claims(now), 'maskinporten')
    assert.equal(checkMaskinportenToken(token, { key, issuer, now: now + 129 })?.orgNummer, VENDOR_ORG)
    assert.equal(checkMaskinportenToken(token, { key, issuer, now: now + 130 }), undefined)
    assert.equal(checkMaskinportenToken(token, { key, issuer, now: now - 10 })?.orgNummer, VENDOR_ORG)
    assert.equal(checkMaskinportenToken(token, { key, issuer, now: now - 11 }), undefined)
  })

  it('refuses another issuer, a token without consumer, and another key', async () => {
    const [key, other] = await Promise.all([makeSigningKey(), makeSigningKey()])
    const now = 1_700_000_000
    const { consumer: _consumer, ...noConsumer } = claims(now)
    assert.equal(checkMaskinportenToken(await signToken(key, { ...claims(now), iss: 'https://maskinporten.no/' }, 'maskinporten'), { key, issuer, now }), undefined)
    assert.equal(checkMaskinportenToken(await signToken(key, noConsumer, 'maskinporten'), { key, issuer, now }), undefined)
    assert.equal(checkMaskinportenToken(await signToken(other, claims(now), 'maskinporten'), { key, issuer, now }), undefined)
  })
})
