/**
 * The consent grant (docs/consent.md) and the wire guards of every grant field: key-shaped text refused in clientId,
 * kid, externalRef and resource without being echoed; externalRef syntax and resource form checked before sending.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { buildJwtGrant, grantParams, signGrant } from '../../src/signing/grant.js'
import { resolveConfig } from '../../src/config/config.js'
import { decodeToken } from '../../src/exchange/token.js'
import { isMaskinportenError } from '../../src/errors/errors.js'
import { keyFragments, testConfig, testKey } from '../support/fixtures.js'

const FROZEN_MS = Date.UTC(2026, 10, 26, 12, 0, 0)
const ID = '77ed8698-e619-4066-9eb4-5c1eb3f165a1'
/** Synthetic Tenor person from Altinn's consent guide (month + 80). */
const PERSON = '21818297804'

/** Asserts an `invalid_config` naming `field` whose texts hold none of `hidden`. */
function refusedWithout(field: RegExp, hidden: string[]) {
  return (err: unknown) => {
    assert.ok(isMaskinportenError(err), String(err))
    assert.equal(err.code, 'invalid_config')
    assert.match(err.message, field)
    for (const text of [err.message, err.stack ?? '', JSON.stringify(err), inspect(err)]) {
      for (const h of hidden) assert.ok(!text.includes(h), `${h.slice(0, 12)}… leaked into ${text.slice(0, 120)}`)
    }
    return true
  }
}

test('golden consent grant: authorization_details [{type, id, from}] with the person URN, exact bytes', () => {
  const grant = signGrant(resolveConfig(testConfig()), grantParams('altinn:consentrequests.read', { consent: { id: ID, from: PERSON } }), FROZEN_MS, 'jti-1')
  const payload = Buffer.from(grant.split('.')[1]!, 'base64url').toString()
  assert.equal(
    payload,
    `{"aud":"https://test.maskinporten.no/","iss":"test-client-0b3c","sub":"test-client-0b3c","scope":"altinn:consentrequests.read",` +
      `"iat":${FROZEN_MS / 1000},"exp":${FROZEN_MS / 1000 + 119},"jti":"jti-1",` +
      `"authorization_details":[{"type":"urn:altinn:consent","id":"${ID}","from":"urn:altinn:person:identifier-no:${PERSON}"}]}`,
  )
})

test('consent from: an org number becomes the organisation URN; URN forms and upper-case ids are taken', async () => {
  const claims = (from: string, id = ID) => decodeToken(signGrant(resolveConfig(testConfig()), grantParams('s:x', { consent: { id, from } }), FROZEN_MS)).claims
  assert.deepEqual(claims('991825827').authorization_details, [{ type: 'urn:altinn:consent', id: ID, from: 'urn:altinn:organization:identifier-no:991825827' }])
  assert.deepEqual(claims('urn:altinn:organization:identifier-no:991825827', ID.toUpperCase()).authorization_details, [
    { type: 'urn:altinn:consent', id: ID, from: 'urn:altinn:organization:identifier-no:991825827' },
  ])
  assert.equal((claims(`urn:altinn:person:identifier-no:${PERSON}`).authorization_details as Array<{ from: string }>)[0]!.from, `urn:altinn:person:identifier-no:${PERSON}`)
  const built = await buildJwtGrant(testConfig(), 's:x', { consent: { id: ID, from: PERSON } })
  assert.equal(decodeToken(built).consent?.id, ID)
})

test('consent: a bad fødselsnummer, org number or id is refused and never quoted', () => {
  const bad = ['21818297805', '32018297804', '21138297804']
  for (const from of bad) assert.throws(() => grantParams('s:x', { consent: { id: ID, from } }), refusedWithout(/consent\.from/, [from]))
  assert.throws(() => grantParams('s:x', { consent: { id: ID, from: '123456789' } }), refusedWithout(/consent\.from.*check digit/, []))
  assert.throws(() => grantParams('s:x', { consent: { id: ID, from: '2181829780' } }), refusedWithout(/consent\.from/, ['2181829780']))
  assert.throws(() => grantParams('s:x', { consent: { id: PERSON, from: PERSON } }), refusedWithout(/consent\.id.*UUID/, [PERSON]))
  assert.throws(() => grantParams('s:x', { consent: { id: ID, from: 42 as unknown as string } }), refusedWithout(/consent\.from/, []))
  assert.throws(() => grantParams('s:x', { consent: null as never }), refusedWithout(/consent/, []))
})

test('consent: never together with a system user in one grant', () => {
  assert.throws(() => grantParams('s:x', { orgNummer: '310702641', consent: { id: ID, from: PERSON } }), refusedWithout(/consent.*orgNummer/, [PERSON]))
  // With consumer_org it is allowed: the consent is then the delegating customer's.
  assert.equal(grantParams('s:x', { consumerOrg: '910753614', consent: { id: ID, from: PERSON } }).consumerOrg, '910753614')
})

test('key-shaped text in clientId, kid, externalRef or resource is refused before sending, never echoed', () => {
  const pem = testKey().pkcs8
  const fragments = keyFragments(pem)
  const jwkText = JSON.stringify(testKey().privateKey.export({ format: 'jwk' }))
  for (const field of ['clientId', 'kid'] as const) {
    for (const text of [pem, jwkText]) {
      // Refused when the config is resolved (or, for a config resolved elsewhere, when the grant is signed).
      assert.throws(() => signGrant(resolveConfig(testConfig({ [field]: text.trim() })), grantParams('s:x'), FROZEN_MS), refusedWithout(new RegExp(`${field}.*key material`), [...fragments, jwkText.slice(30, 70)]))
    }
  }
  for (const text of [pem, jwkText]) {
    assert.throws(() => grantParams('s:x', { orgNummer: '310702641', externalRef: text }), refusedWithout(/externalRef.*key material/, [...fragments, jwkText.slice(30, 70)]))
    assert.throws(() => grantParams('s:x', { resource: ['https://a.example/', text] }), refusedWithout(/resource.*key material/, [...fragments, jwkText.slice(30, 70)]))
  }
})

test('externalRef syntax is checked before sending: 1-255 of A-Za-z0-9æøåÆØÅ_-, with the hint', () => {
  for (const externalRef of ['kunde 42', 'kunde/42', 'x'.repeat(256), 'kunde.42']) {
    assert.throws(() => grantParams('s:x', { orgNummer: '310702641', externalRef }), refusedWithout(/externalRef.*A-Z a-z 0-9 æøå ÆØÅ _ -.*MP-302/, []))
  }
  assert.equal(grantParams('s:x', { orgNummer: '310702641', externalRef: 'Avdeling_Øst-2' }).externalRef, 'Avdeling_Øst-2')
  assert.equal(grantParams('s:x', { orgNummer: '310702641', externalRef: 'æ'.repeat(255) }).externalRef?.length, 255)
})

test('resource is checked before sending: an absolute URI without a fragment (RFC 8707), with the hint', () => {
  for (const resource of ['https://api.example.no/#frag', '/relative', 'no scheme', 'https://a.example/ b']) {
    assert.throws(() => grantParams('s:x', { resource }), refusedWithout(/resource.*absolute URI without a fragment.*invalid_target/, []))
  }
  assert.deepEqual(grantParams('s:x', { resource: 'urn:example:api' }).resource, ['urn:example:api'])
})
