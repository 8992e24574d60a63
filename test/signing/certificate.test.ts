/**
 * Business certificates through the library: a PEM chain with its key, a signer carrying x5c, the key inside the
 * certificate file (`openssl pkcs12 -nodes` output); the header `{alg, x5c}` without kid; and every local refusal
 * (key mismatch, expired, out of order, no org number) made before anything is sent.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startEmulator, type Emulator } from '../../src/emulator/index.js'
import { configFromEnv, resolveConfig, type MaskinportenConfig } from '../../src/config/config.js'
import { buildJwtGrant } from '../../src/signing/grant.js'
import { keyObjectSigner } from '../../src/signing/signer.js'
import { daysLeft, inspectCertificate } from '../../src/signing/certificate.js'
import { getMaskinportenToken } from '../../src/flows.js'
import { MaskinportenClient } from '../../src/client/client.js'
import type { ClientEvent } from '../../src/client/options.js'
import { decodeToken } from '../../src/exchange/token.js'
import { isMaskinportenError } from '../../src/errors/errors.js'
import { makeTestPki, type Issued, type TestPki } from '../support/certificates.js'
import { assertNoSecrets, keyFragments } from '../support/fixtures.js'

const ORG = '991825827'
const CLIENT = 'business-certificate-client'
const SCOPE = 'altinn:instances.read'

let pki: TestPki
let emu: Emulator
let leaf: Issued

before(async () => {
  pki = makeTestPki()
  leaf = pki.leaf({ serialNumber: ORG })
  emu = await startEmulator({
    certificateAuthorities: [pki.root.pem],
    clients: [{ clientId: CLIENT, orgNummer: ORG, certificate: true, scopes: [SCOPE] }],
  })
})

after(async () => {
  await emu?.close()
  pki?.cleanup()
})

function config(extra: Partial<MaskinportenConfig>): MaskinportenConfig {
  return { clientId: CLIENT, issuer: emu.issuer, ...extra }
}

const header = (grant: string) => JSON.parse(Buffer.from(grant.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>
const requests = () => emu.stats().token.requests

async function refusedLocally(make: () => MaskinportenConfig, code: string, message: RegExp): Promise<void> {
  const before = requests()
  await assert.rejects(Promise.resolve().then(() => getMaskinportenToken(make(), SCOPE)), (err: unknown) => {
    assert.ok(isMaskinportenError(err), String(err))
    assert.equal(err.code, code)
    assert.match(err.message, message)
    assertNoSecrets([err.message, JSON.stringify(err)], keyFragments(leaf.keyPem))
    return true
  })
  assert.equal(requests(), before, 'nothing may be sent')
}

describe('tokens with a business certificate', () => {
  it('a PEM chain (leaf first) and its private key: header {alg, x5c} without kid, client_amr virksomhetssertifikat', async () => {
    const cfg = config({ certificate: pki.chain(leaf, pki.intermediate), privateKeyPem: leaf.keyPem })
    const grant = await buildJwtGrant(cfg, SCOPE)
    assert.deepEqual(header(grant), { alg: 'RS256', x5c: pki.x5c(leaf, pki.intermediate) })
    const token = await getMaskinportenToken(cfg, SCOPE)
    assert.equal(decodeToken(token.access_token).claims.client_amr, 'virksomhetssertifikat')
  })

  it('a signer carrying x5c (the key in a vault, the chain public)', async () => {
    const signer = keyObjectSigner(leaf.key, { x5c: pki.x5c(leaf, pki.intermediate) })
    const token = await getMaskinportenToken(config({ signer }), SCOPE)
    assert.equal(decodeToken(token.access_token).claims.client_amr, 'virksomhetssertifikat')
  })

  it('a certificate PEM plus a signer: the chain from the PEM, the signature checked against the leaf', async () => {
    const token = await getMaskinportenToken(config({ certificate: pki.chain(leaf, pki.intermediate), signer: keyObjectSigner(leaf.key) }), SCOPE)
    assert.ok(token.access_token)
    await refusedLocally(() => config({ certificate: pki.chain(leaf, pki.intermediate), signer: keyObjectSigner(pki.intermediate.key) }), 'jwt_sign_failed', /does not verify with the public key of the business certificate for 991825827/)
  })

  it('the key in the same PEM text as the chain (openssl pkcs12 -nodes output), through configFromEnv', async () => {
    const file = join(pki.dir, 'converted.pem')
    writeFileSync(file, leaf.keyPem + pki.chain(leaf, pki.intermediate), { mode: 0o600 })
    const cfg = configFromEnv({ MASKINPORTEN_CLIENT_ID: CLIENT, MASKINPORTEN_CERTIFICATE: 'converted.pem', MASKINPORTEN_ISSUER: emu.issuer }, { cwd: pki.dir })
    assert.equal(cfg.kid, undefined)
    assert.ok((await getMaskinportenToken(cfg, SCOPE)).access_token)
    // The PEM itself in the variable, with literal \n as secret stores hold it.
    const inline = configFromEnv({
      MASKINPORTEN_CLIENT_ID: CLIENT,
      MASKINPORTEN_CERTIFICATE: pki.chain(leaf, pki.intermediate).replace(/\n/g, '\\n'),
      MASKINPORTEN_PRIVATE_KEY: leaf.keyPem,
      MASKINPORTEN_ISSUER: emu.issuer,
    })
    assert.ok((await getMaskinportenToken(inline, SCOPE)).access_token)
  })

  it('an Altinn token from a certificate grant, through the client', async () => {
    const client = new MaskinportenClient(config({ certificate: pki.chain(leaf, pki.intermediate), privateKeyPem: leaf.keyPem, altinnUrl: emu.altinnUrl }))
    try {
      const altinn = decodeToken(await client.altinnToken({ scope: SCOPE }))
      assert.equal(altinn.claims['urn:altinn:orgNumber'], ORG)
    } finally {
      client.close()
    }
  })

  it('the client warns through onEvent when fewer than 30 days are left, once a day', async () => {
    const soon = pki.leaf({ serialNumber: ORG, days: 10 })
    const events: ClientEvent[] = []
    const client = new MaskinportenClient(config({ certificate: pki.chain(soon, pki.intermediate), privateKeyPem: soon.keyPem }), { onEvent: (e) => events.push(e) })
    try {
      await client.getToken({ scope: SCOPE })
      await client.getToken({ scope: SCOPE, forceRefresh: true })
      const warnings = events.filter((e) => e.type === 'certificate-expiring')
      assert.equal(warnings.length, 1)
      assert.deepEqual({ ...warnings[0], notAfter: 0, key: '' }, { type: 'certificate-expiring', key: '', orgNummer: ORG, notAfter: 0, daysLeft: 9 })
    } finally {
      client.close()
    }
    const fresh: ClientEvent[] = []
    const quiet = new MaskinportenClient(config({ certificate: pki.chain(leaf, pki.intermediate), privateKeyPem: leaf.keyPem }), { onEvent: (e) => fresh.push(e) })
    try {
      await quiet.getToken({ scope: SCOPE })
      assert.equal(fresh.filter((e) => e.type === 'certificate-expiring').length, 0)
    } finally {
      quiet.close()
    }
  })
})

describe('refused by the emulator', () => {
  it('a certificate of another organisation than the client’s: MP-122 with the fix', async () => {
    const other = pki.leaf({ serialNumber: '974760223' })
    await assert.rejects(getMaskinportenToken(config({ certificate: pki.chain(other, pki.intermediate), privateKeyPem: other.keyPem }), SCOPE), {
      code: 'maskinporten_error',
      mpCode: 'MP-122',
      message: /names another organisation than the client's owner/,
    })
  })

  it('a chain the emulator does not trust: MP-120', async () => {
    const stranger = pki.leaf({ serialNumber: ORG, issuer: pki.strangerIntermediate })
    await assert.rejects(getMaskinportenToken(config({ certificate: pki.chain(stranger, pki.strangerIntermediate), privateKeyPem: stranger.keyPem }), SCOPE), { code: 'maskinporten_error', mpCode: 'MP-120' })
  })
})

describe('refused before anything is sent', () => {
  it('a private key that is not the certificate’s', () =>
    refusedLocally(() => config({ certificate: pki.chain(leaf, pki.intermediate), privateKeyPem: pki.intermediate.keyPem }), 'jwt_sign_failed', /its public key is not the private key's/))

  it('an expired certificate', async () => {
    const expired = pki.leaf({ serialNumber: ORG, days: -1 })
    await refusedLocally(() => config({ certificate: pki.chain(expired, pki.intermediate), privateKeyPem: expired.keyPem }), 'jwt_sign_failed', /expired on \d{4}-/)
  })

  it('a certificate that expires while a client runs: refused at the next grant', async () => {
    const cfg = config({ certificate: pki.chain(leaf, pki.intermediate), privateKeyPem: leaf.keyPem })
    const late = Date.now() + 400 * 86_400_000
    const client = new MaskinportenClient(cfg, { now: () => late, retry: { maxAttempts: 1 } })
    const before = requests()
    try {
      await assert.rejects(client.getToken({ scope: SCOPE }), { code: 'jwt_sign_failed', message: /expired on/ })
    } finally {
      client.close()
    }
    assert.equal(requests(), before)
  })

  it('a chain out of order, a CA first, an empty or foreign text', async () => {
    await refusedLocally(() => config({ certificate: pki.chain(leaf, pki.root), privateKeyPem: leaf.keyPem }), 'jwt_sign_failed', /certificate 1 of the chain .* is not issued by certificate 2/)
    await refusedLocally(() => config({ certificate: pki.chain(pki.intermediate, leaf), privateKeyPem: leaf.keyPem }), 'jwt_sign_failed', /is a CA; put the business certificate \(the leaf\) first/)
    await refusedLocally(() => config({ certificate: 'no certificates here', privateKeyPem: leaf.keyPem }), 'jwt_sign_failed', /openssl pkcs12 -in cert.p12 -out cert.pem -nodes/)
    await refusedLocally(() => config({ certificate: 42 as unknown as string, privateKeyPem: leaf.keyPem }), 'invalid_config', /certificate must be the chain as PEM/)
  })

  it('a certificate that names no organisation number', async () => {
    const anonymous = pki.leaf({})
    await refusedLocally(() => config({ certificate: pki.chain(anonymous, pki.intermediate), privateKeyPem: anonymous.keyPem }), 'jwt_sign_failed', /names no organisation number/)
  })

  it('a kid with a certificate, the chain given twice, a malformed signer x5c', async () => {
    await refusedLocally(() => config({ kid: 'k', certificate: pki.chain(leaf, pki.intermediate), privateKeyPem: leaf.keyPem }), 'invalid_config', /kid is set with a business certificate/)
    await refusedLocally(() => config({ certificate: pki.chain(leaf), signer: keyObjectSigner(leaf.key, { x5c: pki.x5c(leaf) }) }), 'invalid_config', /both set: give the chain once/)
    await refusedLocally(() => config({ signer: keyObjectSigner(leaf.key, { x5c: ['-_-_'] }) }), 'invalid_config', /signer\.x5c\[0\] is not standard base64/)
    await refusedLocally(() => config({ signer: keyObjectSigner(leaf.key, { x5c: 'abc' as unknown as string[] }) }), 'invalid_config', /signer\.x5c must be a non-empty array/)
  })
})

describe('inspectCertificate', () => {
  it('subject, issuer, org number (serialNumber or NTRNO- organizationIdentifier), validity', () => {
    const info = inspectCertificate(pki.chain(leaf, pki.intermediate))
    assert.equal(info.orgNummer, ORG)
    assert.match(info.subject, /serialNumber=991825827/)
    assert.match(info.issuer, /CN=Test Business CA/)
    assert.ok(daysLeft(info, Date.now()) >= 363 && daysLeft(info, Date.now()) <= 365)
    const seal = pki.leaf({ organizationIdentifier: 'NTRNO-974760223' })
    assert.equal(inspectCertificate(seal.pem).orgNummer, '974760223')
    // Not mod-11 valid: not an org number.
    assert.throws(() => inspectCertificate(pki.leaf({ serialNumber: '123456789' }).pem), { code: 'jwt_sign_failed', message: /names no organisation number/ })
  })

  it('resolveConfig keeps the certificate for doctor and the client; toJSON of the client shows no key', () => {
    const resolved = resolveConfig(config({ certificate: pki.chain(leaf, pki.intermediate), privateKeyPem: leaf.keyPem }))
    assert.equal(resolved.certificate?.orgNummer, ORG)
    assert.equal(resolved.kid, undefined)
    const client = new MaskinportenClient(config({ certificate: pki.chain(leaf, pki.intermediate), privateKeyPem: leaf.keyPem }))
    assertNoSecrets([JSON.stringify(client), String(client)], keyFragments(leaf.keyPem))
    client.close()
  })
})
