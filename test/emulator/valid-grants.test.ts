/**
 * What the emulator accepts, and the tokens it issues: verified against its `/jwk` with jose, claims as in
 * docs/protocol.md §3–§4.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose'
import {
  CUSTOMER_ORG,
  DELEGATING_ORG,
  EXTERNAL_REF_USER_ID,
  OTHER_ORG,
  SYSTEM_USER_ID,
  VENDOR_ORG,
  grant,
  postToken,
  requestToken,
  signGrant,
  startFixture,
  wencheClaims,
  type Fixture,
} from './fixtures.js'

const su = (orgNummer: string, extra: Record<string, unknown> = {}) => [
  { type: 'urn:altinn:systemuser', systemuser_org: { authority: 'iso6523-actorid-upis', ID: `0192:${orgNummer}` }, ...extra },
]

describe('emulator: valid grants', () => {
  let f: Fixture
  let jwks: ReturnType<typeof createRemoteJWKSet>

  before(async () => {
    f = await startFixture()
    jwks = createRemoteJWKSet(new URL(`${f.emu.issuer}jwk`))
  })
  after(() => f.emu.close())

  /** Gets a token for `assertion` and verifies it; returns its claims and the token response. */
  async function issue(assertion: string): Promise<{ claims: JWTPayload; body: Record<string, unknown> }> {
    const answer = await requestToken(f.emu, assertion)
    assert.equal(answer.status, 200, answer.text)
    const token = String(answer.body.access_token)
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: f.emu.issuer, algorithms: ['RS256'] })
    assert.deepEqual(Object.keys(protectedHeader).sort(), ['alg', 'kid'])
    return { claims: payload, body: answer.body }
  }

  it('serves the metadata of §1 with its own URLs', async () => {
    const meta = (await (await fetch(`${f.emu.issuer}.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>
    assert.deepEqual(meta, {
      issuer: f.emu.issuer,
      token_endpoint: `${f.emu.issuer}token`,
      jwks_uri: `${f.emu.issuer}jwk`,
      grant_types_supported: ['urn:ietf:params:oauth:grant-type:jwt-bearer'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ['RS256', 'RS384', 'RS512'],
      authorization_details_types_supported: ['urn:altinn:systemuser', 'urn:altinn:consent'],
    })
    assert.equal(f.emu.issuer, `${f.emu.url}/`)
    assert.equal(f.emu.altinnUrl, f.emu.url)
  })

  it('publishes only public keys at /jwk', async () => {
    const body = (await (await fetch(`${f.emu.issuer}jwk`)).json()) as { keys: Array<Record<string, unknown>> }
    assert.equal(body.keys.length, 1)
    assert.equal(body.keys[0]!.kty, 'RSA')
    assert.equal(typeof body.keys[0]!.kid, 'string')
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(body.keys[0]![secret], undefined)
  })

  it("issues a token for Wenche's grant, with the claims of a real test token", async () => {
    const { claims, body } = await issue(grant(f))
    assert.equal(body.token_type, 'Bearer')
    assert.equal(body.expires_in, 119)
    assert.equal(body.scope, 'altinn:instances.read altinn:instances.write')
    assert.deepEqual(Object.keys(claims).sort(), [
      'client_amr', 'client_id', 'consumer', 'exp', 'iat', 'iss', 'jti', 'scope', 'token_type',
    ])
    assert.equal(claims.client_amr, 'private_key_jwt')
    assert.equal(claims.client_id, f.clientId)
    assert.equal(claims.token_type, 'Bearer')
    assert.deepEqual(claims.consumer, { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR_ORG}` })
    assert.match(String(claims.jti), /^[A-Za-z0-9_-]{43}$/)
    assert.equal(claims.exp! - claims.iat!, 120)
  })

  for (const alg of ['RS384', 'RS512']) {
    it(`accepts ${alg}`, async () => {
      await issue(signGrant(f.key, { alg, kid: f.kid }, wencheClaims(f)))
    })
  }

  it('accepts typ JWT, no sub, nbf, no jti', async () => {
    const now = Math.floor(Date.now() / 1000)
    await issue(grant(f, { sub: undefined, nbf: now, jti: undefined }, { typ: 'JWT' }))
  })

  it('ignores other form parameters and a charset on the content type', async () => {
    const form = { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: grant(f), client_id: f.clientId }
    const answer = await postToken(f.emu, form, 'application/x-www-form-urlencoded; charset=UTF-8')
    assert.equal(answer.status, 200, answer.text)
  })

  it('accepts iat a few seconds ahead of its clock', async () => {
    const now = Math.floor(Date.now() / 1000)
    await issue(grant(f, { iat: now + 5, exp: now + 100 }))
  })

  it('issues a system user token, systemuser_id an array, consumer still the vendor', async () => {
    const { claims } = await issue(grant(f, { authorization_details: su(CUSTOMER_ORG) }))
    assert.deepEqual(claims.authorization_details, [
      {
        type: 'urn:altinn:systemuser',
        systemuser_org: { authority: 'iso6523-actorid-upis', ID: `0192:${CUSTOMER_ORG}` },
        systemuser_id: [SYSTEM_USER_ID],
        system_id: `${VENDOR_ORG}_wenche`,
      },
    ])
    assert.deepEqual(claims.consumer, { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR_ORG}` })
  })

  it('issues a system user token with externalRef, echoed', async () => {
    const { claims } = await issue(grant(f, { authorization_details: su(OTHER_ORG, { externalRef: 'kunde-42' }) }))
    const [detail] = claims.authorization_details as Array<Record<string, unknown>>
    assert.equal(detail!.externalRef, 'kunde-42')
    assert.deepEqual(detail!.systemuser_id, [EXTERNAL_REF_USER_ID])
    assert.equal(detail!.system_id, `${VENDOR_ORG}_emulator`)
  })

  it('issues a delegated token: consumer the customer, supplier the client owner', async () => {
    const { claims } = await issue(grant(f, { consumer_org: DELEGATING_ORG, scope: 'altinn:instances.read' }))
    assert.deepEqual(claims.consumer, { authority: 'iso6523-actorid-upis', ID: `0192:${DELEGATING_ORG}` })
    assert.deepEqual(claims.supplier, { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR_ORG}` })
    // A custom Altinn URL (the emulator's own) stands for itself; tt02 and prod map to Altinn's issuers.
    assert.equal(claims.delegation_source, `${f.emu.altinnUrl}/`)
  })

  it('puts resource in aud (array of one, a bare string, several)', async () => {
    const api = 'https://api.example.no/v1'
    assert.equal((await issue(grant(f, { resource: [api] }))).claims.aud, api)
    assert.equal((await issue(grant(f, { resource: api }))).claims.aud, api)
    assert.deepEqual((await issue(grant(f, { resource: [api, 'https://other.example.no'] }))).claims.aud, [
      api,
      'https://other.example.no',
    ])
  })

  it('echoes pid', async () => {
    assert.equal((await issue(grant(f, { pid: '01019012345' }))).claims.pid, '01019012345')
  })

  it('grants scopes as asked, once each', async () => {
    const { body, claims } = await issue(grant(f, { scope: 'altinn:instances.write  altinn:instances.write altinn:instances.read' }))
    assert.equal(body.scope, 'altinn:instances.write altinn:instances.read')
    assert.equal(claims.scope, body.scope)
  })

  it('uses the client lifetime: expires_in one less', async () => {
    const other = await startFixture({ tokenLifetimeSeconds: 3600 })
    try {
      const answer = await requestToken(other.emu, grant(other))
      assert.equal(answer.body.expires_in, 3599)
    } finally {
      await other.emu.close()
    }
  })

  it('replaces a client registered again, and keeps kids unique across clients', async () => {
    const other = await startFixture()
    try {
      other.emu.registerClient({ ...other.client, scopes: ['altinn:instances.read'] })
      const answer = await requestToken(other.emu, grant(other))
      assert.equal(answer.body.error, 'invalid_scope')
      assert.throws(() => other.emu.registerClient({ ...other.client, clientId: randomUUID() }), {
        name: 'MaskinportenError',
        code: 'invalid_config',
        message: /already registered on another client/,
      })
    } finally {
      await other.emu.close()
    }
  })
})
