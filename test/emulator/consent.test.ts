/**
 * Consent tokens end to end (docs/consent.md): a consent registered on the emulator (config, API and control
 * endpoint), a token through the library's flow, the client and the CLI, verified against `/jwk` with jose and its
 * entry checked field by field against the shape of Altinn's published example; the refusals; and the
 * fødselsnummer never in a message, an event, stderr or a cache file name.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { startEmulator, type Emulator, type EmulatorConsent } from '../../src/emulator/index.js'
import { generateSigningKey, type GeneratedKey } from '../../src/signing/keys.js'
import { getConsentToken } from '../../src/flows.js'
import { MaskinportenClient } from '../../src/client/client.js'
import type { ClientEvent } from '../../src/client/options.js'
import { decodeToken } from '../../src/exchange/token.js'
import { isMaskinportenError, type MaskinportenError } from '../../src/errors/errors.js'
import { runCli, tempDir } from '../cli/run-cli.js'
import { CUSTOMER_ORG, DELEGATING_ORG, VENDOR_ORG } from './fixtures.js'

/** A synthetic person from Altinn's consent guide (Tenor test data: month + 80); not a real person. */
const PERSON = '21818297804'
const PERSON_URN = `urn:altinn:person:identifier-no:${PERSON}`
const SCOPE = 'altinn:consentrequests.read'
const RIGHTS = [
  { action: ['consent'], resource: [{ type: 'urn:altinn:resource', value: 'standard-samtykke-for-dele-data' }], metaData: { inntektsaar: '2024' } },
]
const inAYear = () => new Date(Date.now() + 365 * 86_400_000).toISOString()

/** Asserts a refusal and that the person's number is nowhere in it. */
function refused(err: unknown, starts: RegExp): boolean {
  assert.ok(isMaskinportenError(err))
  const e = err as MaskinportenError
  assert.equal(e.code, 'maskinporten_error')
  assert.equal(e.oauthError, 'invalid_altinn_customer_configuration')
  assert.equal(e.mpCode, 'MP-303')
  assert.match(String(e.oauthErrorDescription), starts)
  assert.match(String(e.hint), /consent/)
  for (const text of [e.message, e.stack, JSON.stringify(e), inspect(e), e.body]) assert.ok(!String(text).includes(PERSON))
  return true
}

describe('consent tokens end to end', () => {
  let emu: Emulator
  let key: GeneratedKey
  let config: { clientId: string; kid: string; privateKeyPem: string; issuer: string; altinnUrl: string }
  const fromConfig = randomUUID()
  const toOther = randomUUID()
  const expired = randomUUID()
  const byApi = randomUUID()
  const delegated = randomUUID()

  before(async () => {
    key = await generateSigningKey()
    const consents: EmulatorConsent[] = [
      { id: fromConfig, from: PERSON, validTo: inAYear(), consented: '2026-11-30T08:00:00.123456+00:00', consentRights: RIGHTS },
      { id: toOther, from: PERSON, to: CUSTOMER_ORG, validTo: inAYear(), consentRights: RIGHTS },
      { id: expired, from: PERSON, validTo: '2026-01-01T00:00:00Z', consentRights: RIGHTS },
      { id: delegated, from: CUSTOMER_ORG, to: DELEGATING_ORG, validTo: inAYear(), consentRights: RIGHTS },
    ]
    emu = await startEmulator({
      consents,
      clients: [{
        clientId: 'consent-client',
        orgNummer: VENDOR_ORG,
        jwks: { keys: [key.publicJwk] },
        scopes: [SCOPE],
        delegations: [{ consumerOrg: DELEGATING_ORG, scopes: [SCOPE] }],
      }],
    })
    emu.registerConsent({ id: byApi, from: CUSTOMER_ORG, validTo: inAYear(), consentRights: RIGHTS })
    config = { clientId: 'consent-client', kid: key.kid, privateKeyPem: key.privateKeyPem, issuer: emu.issuer, altinnUrl: emu.altinnUrl }
  })
  after(() => emu.close())

  async function verified(token: string): Promise<Record<string, unknown>> {
    const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(`${emu.issuer}jwk`)), { issuer: emu.issuer, algorithms: ['RS256'] })
    assert.deepEqual(Object.keys(protectedHeader).sort(), ['alg', 'kid'])
    return payload
  }

  it('getConsentToken: a token whose entry has the published example’s shape, field by field', async () => {
    const claims = await verified(await getConsentToken(config, SCOPE, { id: fromConfig, from: PERSON }))
    assert.equal(claims.scope, SCOPE)
    assert.equal(claims.client_amr, 'private_key_jwt')
    assert.deepEqual(claims.consumer, { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR_ORG}` })
    const details = claims.authorization_details as Array<Record<string, unknown>>
    assert.equal(details.length, 1)
    const entry = details[0]!
    assert.deepEqual(Object.keys(entry), ['type', 'id', 'from', 'to', 'consented', 'validTo', 'consentRights'])
    assert.equal(entry.type, 'urn:altinn:consent')
    assert.equal(entry.id, fromConfig)
    assert.equal(entry.from, PERSON_URN)
    // `to` defaults to the client's organisation.
    assert.deepEqual(entry.to, { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR_ORG}` })
    assert.equal(entry.consented, '2026-11-30T08:00:00.123456+00:00')
    assert.ok(Date.parse(String(entry.validTo)) > Date.now())
    assert.deepEqual(entry.consentRights, [
      { action: ['consent'], resource: [{ type: 'urn:altinn:resource', value: 'standard-samtykke-for-dele-data' }], metadata: { inntektsaar: '2024' } },
    ])
    for (const absent of ['aud', 'nbf', 'sub', 'supplier']) assert.equal(absent in claims, false, absent)
  })

  it('decodeToken shows the consent entry', async () => {
    const decoded = decodeToken(await getConsentToken(config, SCOPE, { id: byApi, from: CUSTOMER_ORG }))
    assert.equal(decoded.consent?.id, byApi)
    assert.equal(decoded.consent?.from, `urn:altinn:organization:identifier-no:${CUSTOMER_ORG}`)
    assert.equal(decoded.consent?.to?.ID, `0192:${VENDOR_ORG}`)
    assert.equal(decoded.consent?.consentRights?.[0]?.action[0], 'consent')
  })

  it('a consent registered by POST /__emulator/consents is honoured; a malformed one is a 400', async () => {
    const id = randomUUID()
    const res = await fetch(`${emu.url}/__emulator/consents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id, from: PERSON_URN, validTo: inAYear(), consentRights: RIGHTS }),
    })
    assert.equal(res.status, 201)
    const entry = decodeToken(await getConsentToken(config, SCOPE, { id, from: PERSON_URN })).consent
    assert.equal(entry?.id, id)
    const bad = await fetch(`${emu.url}/__emulator/consents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id, from: '21818297805', validTo: inAYear(), consentRights: RIGHTS }),
    })
    assert.equal(bad.status, 400)
    const text = await bad.text()
    assert.match(text, /consent\.from/)
    assert.ok(!text.includes('21818297805'))
  })

  it('a delegated consent (consumer_org): given to the delegating customer', async () => {
    const claims = await verified(await getConsentToken(config, SCOPE, { id: delegated, from: CUSTOMER_ORG }, { consumerOrg: DELEGATING_ORG }))
    const [entry] = claims.authorization_details as Array<Record<string, unknown>>
    assert.deepEqual(entry!.to, { authority: 'iso6523-actorid-upis', ID: `0192:${DELEGATING_ORG}` })
    assert.deepEqual(claims.consumer, { authority: 'iso6523-actorid-upis', ID: `0192:${DELEGATING_ORG}` })
  })

  it('refuses a consent that does not exist, or was given by someone else', async () => {
    await assert.rejects(getConsentToken(config, SCOPE, { id: randomUUID(), from: PERSON }), (err) => refused(err, /^Invalid authorization details values\. No such consent/))
    await assert.rejects(getConsentToken(config, SCOPE, { id: byApi, from: PERSON }), (err) => refused(err, /No such consent/))
  })

  it('refuses a consent given to another organisation', async () => {
    await assert.rejects(getConsentToken(config, SCOPE, { id: toOther, from: PERSON }), (err) => refused(err, /not given to this organisation/))
  })

  it('refuses a consent past its validTo', async () => {
    await assert.rejects(getConsentToken(config, SCOPE, { id: expired, from: PERSON }), (err) => refused(err, /has expired/))
  })

  it('client.getToken({scope, consent}): cached per consent; no event key holds the fødselsnummer', async () => {
    const events: ClientEvent[] = []
    const client = new MaskinportenClient(config, { onEvent: (e) => events.push(e) })
    try {
      const first = await client.getToken({ scope: SCOPE, consent: { id: fromConfig, from: PERSON } })
      const again = await client.getToken({ scope: SCOPE, consent: { id: fromConfig, from: PERSON_URN } })
      assert.equal(again.accessToken, first.accessToken)
      const other = await client.getToken({ scope: SCOPE, consent: { id: byApi, from: CUSTOMER_ORG } })
      assert.notEqual(other.accessToken, first.accessToken)
      const plain = await client.getToken({ scope: SCOPE })
      assert.equal(decodeToken(plain.accessToken).consent, undefined)
      assert.equal(events.filter((e) => e.type === 'fetched').length, 3)
      assert.equal(events.filter((e) => e.type === 'hit').length, 1)
      for (const event of events) assert.ok(!JSON.stringify(event).includes(PERSON), JSON.stringify(event))
      assert.equal(decodeToken(first.accessToken).consent?.id, fromConfig)
      assert.ok(!inspect(client).includes(PERSON) && !JSON.stringify(client).includes(PERSON))
    } finally {
      client.close()
    }
  })

  it('CLI: token --consent ID --from FNR, verified; the number is on no stderr line and in no cache file name', async () => {
    const { dir, cleanup } = tempDir()
    try {
      const keyFile = join(dir, 'key.pem')
      writeFileSync(keyFile, key.privateKeyPem, { mode: 0o600 })
      const env = {
        MASKINPORTEN_CLIENT_ID: 'consent-client',
        MASKINPORTEN_KID: key.kid,
        MASKINPORTEN_PRIVAT_NOKKEL: keyFile,
        MASKINPORTEN_ISSUER: emu.issuer,
        ALTINN_URL: emu.altinnUrl,
        MASKINPORTEN_SCOPES: SCOPE,
      }
      const run = await runCli(['token', '--consent', fromConfig, '--from', PERSON], { cwd: dir, env })
      assert.equal(run.code, 0, run.stderr)
      const claims = await verified(run.stdout.trim())
      const [entry] = claims.authorization_details as Array<Record<string, unknown>>
      assert.equal(entry!.id, fromConfig)
      assert.equal(entry!.from, PERSON_URN)
      assert.match(run.stderr, /with consent [0-9a-f-]{36} from urn:altinn:person:identifier-no:\*{11}/)
      assert.ok(!run.stderr.includes(PERSON), run.stderr)
      const cached = await runCli(['token', '--consent', fromConfig, '--from', PERSON], { cwd: dir, env })
      assert.equal(cached.code, 0, cached.stderr)
      assert.match(cached.stderr, /^Cached:/m)
      assert.ok(!cached.stderr.includes(PERSON))
      const files = readdirSync(join(dir, '.cache'), { recursive: true }).map(String)
      assert.ok(files.length > 0)
      for (const file of files) assert.ok(!file.includes(PERSON), file)
      // A mistyped number: refused before anything is sent, and not echoed.
      const bad = await runCli(['token', '--consent', fromConfig, '--from', '21818297805'], { cwd: dir, env })
      assert.notEqual(bad.code, 0)
      assert.match(bad.stderr, /--from/)
      assert.ok(!bad.stderr.includes('21818297805') && !bad.stdout.includes('21818297805'), bad.stderr)
      const alone = await runCli(['token', '--consent', fromConfig], { cwd: dir, env })
      assert.notEqual(alone.code, 0)
      assert.match(alone.stderr, /--consent and --from go together/)
    } finally {
      cleanup()
    }
  })
})
