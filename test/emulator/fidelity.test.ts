/**
 * What the second audit found the real Maskinporten does (docs/protocol.md §8), one test per finding, over HTTP:
 * status, `error`, description (punctuation included) and MP code.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import {
  CUSTOMER_ORG,
  DELEGATING_ORG,
  OTHER_ORG,
  SYSTEM_USER_ID,
  VENDOR_ORG,
  assertRejected,
  grant,
  requestToken,
  startFixture,
  type Fixture,
} from './fixtures.js'

const AUTH = 'Invalid assertion. Client authentication failed.'
const org = (orgNummer: string) => ({ authority: 'iso6523-actorid-upis', ID: `0192:${orgNummer}` })
const su = (orgNummer: string, extra: Record<string, unknown> = {}) => [
  { type: 'urn:altinn:systemuser', systemuser_org: org(orgNummer), ...extra },
]
/** The description without its trace id. */
const text = (body: Record<string, unknown>) => String(body.error_description).replace(/ \(trace_id: [0-9a-f]{32}\)$/, '')

describe('emulator fidelity: Maskinporten (docs/protocol.md §8)', () => {
  let f: Fixture
  let jwks: ReturnType<typeof createRemoteJWKSet>

  before(async () => {
    f = await startFixture({
      client: {
        scopes: ['altinn:instances.read', 'altinn:instances.write', 'skatteetaten:formueinntekt/skattemelding', 'digdir:notyet'],
        grantedScopes: ['altinn:instances.read', 'altinn:instances.write', 'skatteetaten:formueinntekt/skattemelding'],
        systemUsers: [
          { orgNummer: CUSTOMER_ORG, id: SYSTEM_USER_ID, systemId: `${VENDOR_ORG}_wenche` },
          { orgNummer: OTHER_ORG, id: 'a7c5d1e2-0000-4000-8000-000000000001', externalRef: OTHER_ORG },
          { orgNummer: DELEGATING_ORG, id: 'a7c5d1e2-0000-4000-8000-000000000002', externalRef: 'Avdeling_Øst-2' },
        ],
      },
    })
    jwks = createRemoteJWKSet(new URL(`${f.emu.issuer}jwk`))
  })
  after(() => f.emu.close())

  async function claimsOf(assertion: string): Promise<Record<string, unknown>> {
    const answer = await requestToken(f.emu, assertion)
    assert.equal(answer.status, 200, answer.text)
    return (await jwtVerify(String(answer.body.access_token), jwks, { issuer: f.emu.issuer })).payload
  }

  it('externalRef defaults to the org number: a system user made without one is found by externalRef = its orgnr', async () => {
    const claims = await claimsOf(grant(f, { authorization_details: su(CUSTOMER_ORG, { externalRef: CUSTOMER_ORG }) }))
    const [detail] = claims.authorization_details as Array<Record<string, unknown>>
    assert.deepEqual(detail!.systemuser_id, [SYSTEM_USER_ID])
    assert.equal(detail!.externalRef, CUSTOMER_ORG)
  })

  it('externalRef defaults to the org number: one made with externalRef = its orgnr is found by a grant without', async () => {
    const claims = await claimsOf(grant(f, { authorization_details: su(OTHER_ORG) }))
    const [detail] = claims.authorization_details as Array<Record<string, unknown>>
    assert.deepEqual(detail!.systemuser_id, ['a7c5d1e2-0000-4000-8000-000000000001'])
    assert.equal('externalRef' in detail!, false)
  })

  it('a system user made with another externalRef needs exactly that value (MP-303 otherwise)', async () => {
    for (const details of [su(DELEGATING_ORG), su(DELEGATING_ORG, { externalRef: DELEGATING_ORG }), su(DELEGATING_ORG, { externalRef: 'avdeling_øst-2' })]) {
      const answer = await requestToken(f.emu, grant(f, { authorization_details: details }))
      assertRejected(answer, f.emu.issuer, { error: 'invalid_altinn_customer_configuration', mp: '303', starts: 'Invalid authorization details values.' })
    }
    const claims = await claimsOf(grant(f, { authorization_details: su(DELEGATING_ORG, { externalRef: 'Avdeling_Øst-2' }) }))
    assert.equal((claims.authorization_details as Array<Record<string, unknown>>)[0]!.externalRef, 'Avdeling_Øst-2')
  })

  it('externalRef syntax: over 255 characters or outside A-Za-z0-9æøåÆØÅ_- is MP-302', async () => {
    for (const externalRef of ['x'.repeat(256), 'kunde 42', 'kunde/42', 'kunde.42', '']) {
      const answer = await requestToken(f.emu, grant(f, { authorization_details: su(CUSTOMER_ORG, { externalRef }) }))
      assertRejected(answer, f.emu.issuer, { error: 'invalid_request', mp: '302', starts: 'Invalid authorization details.' })
    }
    // 255 valid characters pass the syntax and reach the look-up.
    const answer = await requestToken(f.emu, grant(f, { authorization_details: su(CUSTOMER_ORG, { externalRef: 'æ'.repeat(255) }) }))
    assertRejected(answer, f.emu.issuer, { error: 'invalid_altinn_customer_configuration', mp: '303', starts: 'Invalid authorization details values' })
  })

  it('MP-250: a scope on the client that the API owner has not granted the organisation', async () => {
    const answer = await requestToken(f.emu, grant(f, { scope: 'altinn:instances.read digdir:notyet' }))
    assertRejected(answer, f.emu.issuer, { error: 'invalid_scope', mp: '250', starts: 'Consumer has not been granted access to the scope digdir:notyet' })
    // A scope list: no period before the trace id.
    assert.equal(text(answer.body), 'Consumer has not been granted access to the scope digdir:notyet')
    // Not on the client at all is still MP-200, checked first.
    const unknown = await requestToken(f.emu, grant(f, { scope: 'digdir:notyet digdir:unknown' }))
    assertRejected(unknown, f.emu.issuer, { error: 'invalid_scope', mp: '200', starts: 'Token request contains invalid scopes for client, digdir:unknown' })
  })

  it('punctuation: a period before the trace id on sentences, none on the scope-list text', async () => {
    const aud = await requestToken(f.emu, grant(f, { aud: 'https://maskinporten.no/' }))
    assert.equal(text(aud.body), `${AUTH} Invalid JWT claim aud.`)
    const unknownClient = await requestToken(f.emu, grant(f, { iss: 'nobody' }))
    assert.equal(text(unknownClient.body), AUTH)
    const replay = grant(f)
    await requestToken(f.emu, replay)
    assert.equal(text((await requestToken(f.emu, replay)).body), 'Grant is used before.')
    const scope = await requestToken(f.emu, grant(f, { scope: 'nope:nope' }))
    assert.equal(text(scope.body), 'Token request contains invalid scopes for client, nope:nope')
    const noUser = await requestToken(f.emu, grant(f, { authorization_details: su('910753614', { externalRef: 'x' }) }))
    assert.equal(text(noUser.body), 'Invalid authorization details values.')
  })

  it("consumer_org equal to the client's own org: invalid_request with Digdir's text and no MP code", async () => {
    const answer = await requestToken(f.emu, grant(f, { consumer_org: VENDOR_ORG }))
    assert.equal(answer.status, 400)
    assert.equal(answer.body.error, 'invalid_request')
    assert.equal(
      text(answer.body),
      'Validation of JWT claim failed: The combination consumer_org in claim and delegation scope on client is invalid.',
    )
    assert.equal(answer.body.error_uri, undefined)
  })

  it('resource with a fragment or not absolute: invalid_target', async () => {
    for (const resource of [['https://api.example.no/#x'], ['/relative/path'], 'https://api.example.no/a#b', ['https://ok.example.no/', 'no-scheme']]) {
      const answer = await requestToken(f.emu, grant(f, { resource }))
      assertRejected(answer, f.emu.issuer, { error: 'invalid_target', mp: '011', starts: 'Invalid resource. It must be an absolute URI without a fragment.' })
    }
    const claims = await claimsOf(grant(f, { resource: ['https://api.example.no/v1'] }))
    assert.equal(claims.aud, 'https://api.example.no/v1')
  })

  it('iss_onbehalfof as a string is not refused', async () => {
    const claims = await claimsOf(grant(f, { iss_onbehalfof: 'leverandor-1' }))
    assert.equal(claims.consumer && (claims.consumer as { ID: string }).ID, `0192:${VENDOR_ORG}`)
    assert.equal('iss_onbehalfof' in claims, false)
  })

  it("system user token entry in the real key order: type, systemuser_org, systemuser_id, system_id, externalRef", async () => {
    const claims = await claimsOf(grant(f, { authorization_details: su(CUSTOMER_ORG, { externalRef: CUSTOMER_ORG }) }))
    const [detail] = claims.authorization_details as Array<Record<string, unknown>>
    assert.deepEqual(Object.keys(detail!), ['type', 'systemuser_org', 'systemuser_id', 'system_id', 'externalRef'])
  })

  it('metadata advertises urn:altinn:consent, and a consent grant is checked rather than refused as unknown', async () => {
    const meta = (await (await fetch(`${f.emu.issuer}.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>
    assert.deepEqual(meta.authorization_details_types_supported, ['urn:altinn:systemuser', 'urn:altinn:consent'])
    const answer = await requestToken(f.emu, grant(f, {
      authorization_details: [{ type: 'urn:altinn:consent', id: '0f8fad5b-d9cb-469f-a165-70867728950e', from: `urn:altinn:organization:identifier-no:${CUSTOMER_ORG}` }],
    }))
    assertRejected(answer, f.emu.issuer, { error: 'invalid_altinn_customer_configuration', mp: '303', starts: 'Invalid authorization details values. No such consent' })
  })
})

describe('emulator fidelity: delegation_source by environment', () => {
  for (const [altinnUrl, expected] of [
    ['https://platform.tt02.altinn.no', 'https://tt02.altinn.no/'],
    ['https://platform.altinn.no', 'https://www.altinn.no/'],
    ['http://altinn.local:8080', 'http://altinn.local:8080/'],
  ] as const) {
    it(`${altinnUrl} gives ${expected}`, async () => {
      const f = await startFixture({ emulator: { altinnUrl } })
      try {
        const answer = await requestToken(f.emu, grant(f, { consumer_org: DELEGATING_ORG, scope: 'altinn:instances.read' }))
        assert.equal(answer.status, 200, answer.text)
        const jwks = createRemoteJWKSet(new URL(`${f.emu.issuer}jwk`))
        const { payload } = await jwtVerify(String(answer.body.access_token), jwks)
        assert.equal(payload.delegation_source, expected)
      } finally {
        await f.emu.close()
      }
    })
  }
})

describe('emulator fidelity: Skyporten-style issuer', () => {
  it('an issuer without a trailing slash also serves /.well-known/openid-configuration', async () => {
    const issuer = 'http://127.0.0.1:9/sky'
    const f = await startFixture({ emulator: { issuer } })
    const slashed = await startFixture()
    try {
      for (const path of ['/sky/.well-known/openid-configuration', '/.well-known/openid-configuration']) {
        const res = await fetch(`${f.emu.url}${path}`)
        assert.equal(res.status, 200, path)
        const meta = (await res.json()) as Record<string, unknown>
        assert.equal(meta.issuer, issuer)
        assert.equal(meta.token_endpoint, `${issuer}/token`)
      }
      // With a trailing slash, the issuer keeps only Digdir's metadata path.
      assert.equal((await fetch(`${slashed.emu.issuer}.well-known/openid-configuration`)).status, 404)
    } finally {
      await Promise.all([f.emu.close(), slashed.emu.close()])
    }
  })
})
