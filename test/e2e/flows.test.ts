/**
 * The library's own flows, end to end over HTTP against the strict emulator: what the library sends passes every
 * rule Maskinporten has, and what the emulator answers comes back as the library promises.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose'
import {
  ADMIN_SCOPES,
  DEFAULT_SCOPES,
  SKATTEMELDING_SCOPES,
  SKD_AKSJONAER_SCOPE,
  buildJwtGrant,
  generateSigningKey,
  getAdminToken,
  getAltinnToken,
  getMaskinportenToken,
  getSkdAksjonaerToken,
  getSkdSkattemeldingToken,
  getSystemuserToken,
  type MaskinportenConfig,
} from '../../src/index.js'
import { startEmulator, type Emulator } from '../../src/emulator/index.js'

const VENDOR = '991825827'
const CUSTOMER = '310702641'
const REF_CUSTOMER = '974760223'
const DELEGATOR = '910753614'

describe('e2e: the library against the emulator', () => {
  let emu: Emulator
  let config: MaskinportenConfig
  let mpKeys: ReturnType<typeof createRemoteJWKSet>
  let altinnKeys: ReturnType<typeof createRemoteJWKSet>

  before(async () => {
    const key = await generateSigningKey()
    emu = await startEmulator({
      clients: [
        {
          clientId: 'e2e-client',
          orgNummer: VENDOR,
          jwks: { keys: [key.publicJwk] },
          scopes: [DEFAULT_SCOPES, ADMIN_SCOPES, SKD_AKSJONAER_SCOPE, SKATTEMELDING_SCOPES].flatMap((s) => s.split(' ')),
          systemUsers: [
            { orgNummer: CUSTOMER, id: 'a1b2c3d4-0000-4000-8000-000000000001' },
            { orgNummer: REF_CUSTOMER, externalRef: 'avdeling-7' },
          ],
          delegations: [{ consumerOrg: DELEGATOR, scopes: ['altinn:instances.read'] }],
        },
      ],
    })
    config = { clientId: 'e2e-client', kid: key.kid, privateKeyPem: key.privateKeyPem, issuer: emu.issuer, altinnUrl: emu.altinnUrl }
    mpKeys = createRemoteJWKSet(new URL(`${emu.issuer}jwk`))
    altinnKeys = createRemoteJWKSet(new URL(`${emu.altinnUrl}/authentication/api/v1/openid/.well-known/openid-configuration/jwks`))
  })
  after(() => emu.close())

  const verifyMp = async (token: string): Promise<JWTPayload> =>
    (await jwtVerify(token, mpKeys, { issuer: emu.issuer })).payload
  const verifyAltinn = async (token: string): Promise<JWTPayload> =>
    (await jwtVerify(token, altinnKeys, { issuer: `${emu.altinnUrl}/authentication/api/v1/openid/` })).payload

  it('getAltinnToken: an Altinn token for the client owner, default scopes', async () => {
    const claims = await verifyAltinn(await getAltinnToken(config))
    assert.equal(claims['urn:altinn:orgNumber'], VENDOR)
    assert.equal(claims.scope, DEFAULT_SCOPES)
    assert.equal(claims.exp! - claims.iat!, 1800)
  })

  it('getAltinnToken with a scope of its own', async () => {
    const claims = await verifyAltinn(await getAltinnToken(config, 'altinn:instances.read'))
    assert.equal(claims.scope, 'altinn:instances.read')
  })

  it('getSystemuserToken: the system user of the customer', async () => {
    const claims = await verifyAltinn(await getSystemuserToken(config, CUSTOMER))
    const detail = claims.authorization_details as Record<string, unknown>
    assert.deepEqual(detail.systemuser_org, { authority: 'iso6523-actorid-upis', ID: `0192:${CUSTOMER}` })
    assert.deepEqual(detail.systemuser_id, ['a1b2c3d4-0000-4000-8000-000000000001'])
  })

  it('getSystemuserToken with externalRef', async () => {
    const claims = await verifyAltinn(await getSystemuserToken(config, REF_CUSTOMER, { externalRef: 'avdeling-7' }))
    assert.equal((claims.authorization_details as Record<string, unknown>).externalRef, 'avdeling-7')
  })

  it('getAdminToken: a raw Maskinporten token with the admin scopes', async () => {
    const claims = await verifyMp(await getAdminToken(config))
    assert.equal(claims.scope, ADMIN_SCOPES)
    assert.equal(claims.authorization_details, undefined)
  })

  it('getSkdAksjonaerToken and getSkdSkattemeldingToken: raw Maskinporten system user tokens', async () => {
    const aksjonaer = await verifyMp(await getSkdAksjonaerToken(config, CUSTOMER))
    assert.equal(aksjonaer.scope, SKD_AKSJONAER_SCOPE)
    assert.equal((aksjonaer.authorization_details as unknown[]).length, 1)
    const skattemelding = await verifyMp(await getSkdSkattemeldingToken(config, CUSTOMER))
    assert.equal(skattemelding.scope, SKATTEMELDING_SCOPES)
  })

  it('getMaskinportenToken with consumerOrg and resource: a delegated, audience-bound token', async () => {
    const answer = await getMaskinportenToken(config, 'altinn:instances.read', {
      consumerOrg: DELEGATOR,
      resource: 'https://api.example.no',
    })
    assert.equal(answer.expires_in, 119)
    const claims = await verifyMp(answer.access_token)
    assert.deepEqual(claims.consumer, { authority: 'iso6523-actorid-upis', ID: `0192:${DELEGATOR}` })
    assert.equal(claims.aud, 'https://api.example.no')
  })

  it('buildJwtGrant: the grant passes as it is, once', async () => {
    const assertion = await buildJwtGrant(config, DEFAULT_SCOPES, { orgNummer: CUSTOMER })
    const send = () =>
      fetch(`${emu.issuer}token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
      })
    assert.equal((await send()).status, 200)
    const again = (await (await send()).json()) as Record<string, string>
    assert.match(again.error_description!, /^Grant is used before/)
  })

  it("turns Maskinporten's rejection into a MaskinportenError with MP code and trace id", async () => {
    await assert.rejects(getAltinnToken({ ...config, kid: 'not-registered' }), (err: Record<string, unknown>) => {
      assert.equal(err.name, 'MaskinportenError')
      assert.equal(err.code, 'maskinporten_error')
      assert.equal(err.status, 400)
      assert.equal(err.oauthError, 'invalid_grant')
      assert.equal(err.mpCode, 'MP-120')
      assert.match(String(err.traceId), /^[0-9a-f]{32}$/)
      assert.ok(!String(err.message).includes('eyJ'))
      return true
    })
  })

  it('refuses an unregistered scope and a system user that does not exist', async () => {
    await assert.rejects(getAltinnToken(config, 'altinn:serviceowner'), { code: 'maskinporten_error', oauthError: 'invalid_scope' })
    await assert.rejects(getSystemuserToken(config, DELEGATOR), {
      code: 'maskinporten_error',
      oauthError: 'invalid_altinn_customer_configuration',
    })
  })

  it('takes a custom issuer as given: without the trailing slash it is a wrong aud (MP-110)', async () => {
    await assert.rejects(getAdminToken({ ...config, issuer: emu.url }), { code: 'maskinporten_error', mpCode: 'MP-110' })
  })

  it("runs the flows on an issuer with a path and no trailing slash (Skyporten's shape), endpoints under it", async () => {
    const key = await generateSigningKey()
    const issuer = 'http://emulator.test/sky'
    const sky = await startEmulator({
      issuer,
      clients: [{ clientId: 'sky-client', orgNummer: VENDOR, jwks: { keys: [key.publicJwk] }, scopes: ADMIN_SCOPES.split(' ') }],
    })
    try {
      const asked: string[] = []
      // The name `emulator.test` reaches this emulator, as a Docker service name or a proxy would.
      const viaName: typeof fetch = (input, init) => {
        const url = String(input)
        asked.push(url)
        return fetch(url.replace('http://emulator.test', sky.url), init)
      }
      const skyConfig = { clientId: 'sky-client', kid: key.kid, privateKeyPem: key.privateKeyPem, issuer, fetch: viaName }
      const token = await getAdminToken(skyConfig)
      assert.deepEqual(asked, ['http://emulator.test/sky/token'])
      const meta = (await (await fetch(`${sky.url}/sky/.well-known/oauth-authorization-server`)).json()) as Record<string, string>
      const keys = createRemoteJWKSet(new URL(meta.jwks_uri!.replace('http://emulator.test', sky.url)))
      assert.equal((await jwtVerify(token, keys, { issuer })).payload.client_id, 'sky-client')
      await assert.rejects(getAdminToken({ ...skyConfig, clientId: 'nobody' }), (err: Error & { body?: string }) => {
        assert.equal((JSON.parse(err.body ?? '{}') as { error_uri?: string }).error_uri, 'http://emulator.test/sky/errors/MP-100')
        return true
      })
    } finally {
      await sky.close()
    }
  })

  it('reports faults: 503 with Retry-After, a reset, garbage, a hung exchange', async () => {
    emu.injectFault({ endpoint: 'token', kind: 'status', status: 503, retryAfterSeconds: 7, times: 1 })
    await assert.rejects(getAdminToken(config), { code: 'maskinporten_error', status: 503, retryAfterMs: 7000 })
    emu.injectFault({ endpoint: 'token', kind: 'reset', times: 1 })
    await assert.rejects(getAdminToken(config), { code: 'maskinporten_request_failed' })
    emu.injectFault({ endpoint: 'token', kind: 'garbage', times: 1 })
    await assert.rejects(getAdminToken(config), { code: 'maskinporten_error', status: 200 })
    emu.injectFault({ endpoint: 'exchange', kind: 'hang', times: 1 })
    await assert.rejects(getAltinnToken({ ...config, timeoutMs: 200 }), { code: 'altinn_exchange_failed' })
    emu.injectFault({ endpoint: 'exchange', kind: 'status', status: 502, times: 1 })
    await assert.rejects(getAltinnToken(config), { code: 'altinn_exchange_error', status: 502 })
    assert.equal((await verifyAltinn(await getAltinnToken(config)))['urn:altinn:orgNumber'], VENDOR)
  })
})
