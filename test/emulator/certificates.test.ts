/**
 * Business certificate grants (x5c) at the emulator: a chain up to a trust anchor, the org number matched to the
 * client's, and each refusal with its MP code (docs/certificates.md; emulator/unconfirmed.ts items 28–30). Grants
 * are made by hand here, so that the emulator's own checks are what is tested, not the library's.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ROOT } from '../support/paths.ts'
import { startEmulator, type Emulator } from '../../src/emulator/index.js'
import { generateSigningKey } from '../../src/signing/keys.js'
import { decodeToken } from '../../src/exchange/token.js'
import { makeTestPki, type Issued, type TestPki } from '../support/certificates.js'
import { assertRejected, requestToken, signGrant, VENDOR_ORG, OTHER_ORG } from './fixtures.js'

const AUTH = 'Invalid assertion. Client authentication failed.'
const SCOPE = 'altinn:instances.read'
const CERT_CLIENT = 'certificate-client'
const KID_CLIENT = 'kid-client'

let pki: TestPki
let emu: Emulator
let leaf: Issued
let kidKey: Awaited<ReturnType<typeof generateSigningKey>>

function claims(iss: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = Math.floor(Date.now() / 1000)
  return { aud: emu.issuer, iss, sub: iss, scope: SCOPE, iat, exp: iat + 119, jti: randomUUID(), ...over }
}

function x5cGrant(chain: string[], key = leaf.key, iss = CERT_CLIENT): string {
  return signGrant(key, { alg: 'RS256', x5c: chain }, claims(iss))
}

before(async () => {
  pki = makeTestPki()
  leaf = pki.leaf({ serialNumber: VENDOR_ORG })
  kidKey = await generateSigningKey({ kid: 'kid-client-key' })
  emu = await startEmulator({
    certificateAuthorities: [pki.root.pem],
    clients: [
      { clientId: CERT_CLIENT, orgNummer: VENDOR_ORG, certificate: true, scopes: [SCOPE] },
      { clientId: KID_CLIENT, orgNummer: VENDOR_ORG, jwks: { keys: [kidKey.publicJwk] }, scopes: [SCOPE] },
    ],
  })
})

after(async () => {
  await emu?.close()
  pki?.cleanup()
})

describe('x5c grants the emulator accepts', () => {
  it('leaf + intermediate up to the trusted root: a token with client_amr virksomhetssertifikat', async () => {
    const answer = await requestToken(emu, x5cGrant(pki.x5c(leaf, pki.intermediate)))
    assert.equal(answer.status, 200, answer.text)
    const token = decodeToken(String(answer.body.access_token))
    assert.equal(token.claims.client_amr, 'virksomhetssertifikat')
    assert.equal(token.claims.client_id, CERT_CLIENT)
    assert.deepEqual(token.claims.consumer, { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR_ORG}` })
  })

  it('the root itself at the end of the chain', async () => {
    const answer = await requestToken(emu, x5cGrant(pki.x5c(leaf, pki.intermediate, pki.root)))
    assert.equal(answer.status, 200, answer.text)
  })

  it('an org number in organizationIdentifier (NTRNO-), no serialNumber', async () => {
    const seal = pki.leaf({ organizationIdentifier: `NTRNO-${VENDOR_ORG}` })
    const answer = await requestToken(emu, x5cGrant(pki.x5c(seal, pki.intermediate), seal.key))
    assert.equal(answer.status, 200, answer.text)
  })

  it('kid grants keep client_amr private_key_jwt', async () => {
    const answer = await requestToken(emu, signGrant(kidKey.privateKey, { alg: 'RS256', kid: kidKey.kid }, claims(KID_CLIENT)))
    assert.equal(answer.status, 200, answer.text)
    assert.equal(decodeToken(String(answer.body.access_token)).claims.client_amr, 'private_key_jwt')
  })
})

describe('x5c grants the emulator refuses', () => {
  const untrusted = { error: 'invalid_grant', mp: '120', starts: `${AUTH} The JWT is signed with an invalid certificate.` }

  it('a certificate naming another organisation: MP-122', async () => {
    const other = pki.leaf({ serialNumber: OTHER_ORG })
    const answer = await requestToken(emu, x5cGrant(pki.x5c(other, pki.intermediate), other.key))
    assertRejected(answer, emu.issuer, {
      error: 'invalid_grant',
      mp: '122',
      starts: 'Invalid organization number for client. Does not match certificate orgno',
    })
  })

  it('a certificate naming no organisation number: MP-122', async () => {
    const anonymous = pki.leaf({})
    const answer = await requestToken(emu, x5cGrant(pki.x5c(anonymous, pki.intermediate), anonymous.key))
    assertRejected(answer, emu.issuer, { error: 'invalid_grant', mp: '122', starts: 'Invalid organization number' })
  })

  it('an expired leaf: MP-120', async () => {
    const expired = pki.leaf({ serialNumber: VENDOR_ORG, days: -1 })
    assertRejected(await requestToken(emu, x5cGrant(pki.x5c(expired, pki.intermediate), expired.key)), emu.issuer, untrusted)
  })

  it('a chain up to a root the emulator does not trust: MP-120', async () => {
    const stranger = pki.leaf({ serialNumber: VENDOR_ORG, issuer: pki.strangerIntermediate })
    const chain = pki.x5c(stranger, pki.strangerIntermediate, pki.strangerRoot)
    assertRejected(await requestToken(emu, x5cGrant(chain, stranger.key)), emu.issuer, untrusted)
  })

  it('a chain out of order (intermediate first): MP-120', async () => {
    assertRejected(await requestToken(emu, x5cGrant(pki.x5c(pki.intermediate, leaf))), emu.issuer, untrusted)
  })

  it('the leaf alone, its issuer missing: MP-120', async () => {
    assertRejected(await requestToken(emu, x5cGrant(pki.x5c(leaf))), emu.issuer, untrusted)
  })

  it('a grant signed with a key that is not the certificate’s: MP-124', async () => {
    const answer = await requestToken(emu, x5cGrant(pki.x5c(leaf, pki.intermediate), pki.intermediate.key))
    assertRejected(answer, emu.issuer, { error: 'invalid_grant', mp: '124', starts: `${AUTH} Invalid JWT signature` })
  })

  it('a malformed x5c (base64url, a bare string): MP-123', async () => {
    const bad = { error: 'invalid_grant', mp: '123', starts: `${AUTH} Invalid JWT header x5c` }
    const [leafB64] = pki.x5c(leaf)
    const urlSafe = leafB64!.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
    const asString = signGrant(leaf.key, { alg: 'RS256', x5c: leafB64 }, claims(CERT_CLIENT))
    assertRejected(await requestToken(emu, asString), emu.issuer, bad)
    if (urlSafe !== leafB64) assertRejected(await requestToken(emu, x5cGrant([urlSafe])), emu.issuer, bad)
  })

  it('a trusted certificate at a client registered for keys only: no kid given', async () => {
    const answer = await requestToken(emu, x5cGrant(pki.x5c(leaf, pki.intermediate), leaf.key, KID_CLIENT))
    assertRejected(answer, emu.issuer, {
      error: 'invalid_grant',
      mp: '120',
      starts: `${AUTH} Invalid JWT. The client requires pre-registered jwk and no key identifier (kid) provided`,
    })
  })

  it('an emulator without certificateAuthorities trusts no chain', async () => {
    const bare = await startEmulator({ clients: [{ clientId: CERT_CLIENT, orgNummer: VENDOR_ORG, certificate: true, scopes: [SCOPE] }] })
    try {
      const iat = Math.floor(Date.now() / 1000)
      const grant = signGrant(leaf.key, { alg: 'RS256', x5c: pki.x5c(leaf, pki.intermediate) }, { aud: bare.issuer, iss: CERT_CLIENT, sub: CERT_CLIENT, scope: SCOPE, iat, exp: iat + 119, jti: randomUUID() })
      assertRejected(await requestToken(bare, grant), bare.issuer, untrusted)
    } finally {
      await bare.close()
    }
  })
})

describe('registration', () => {
  it('a certificate client registered over HTTP (POST /__emulator/clients) takes x5c grants', async () => {
    const res = await fetch(`${emu.url}/__emulator/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: 'http-certificate-client', orgNummer: VENDOR_ORG, certificate: true, scopes: [SCOPE] }),
    })
    assert.ok(res.status < 300, await res.text())
    const answer = await requestToken(emu, x5cGrant(pki.x5c(leaf, pki.intermediate), leaf.key, 'http-certificate-client'))
    assert.equal(answer.status, 200, answer.text)
  })

  it('refuses a certificate authority that is not a CA, and a client with neither jwks nor certificate', async () => {
    await assert.rejects(startEmulator({ certificateAuthorities: [leaf.pem] }), { code: 'invalid_config', message: /certificateAuthorities\[0\].*CA/ })
    await assert.rejects(startEmulator({ certificateAuthorities: ['not pem'] }), { code: 'invalid_config', message: /certificateAuthorities\[0\]/ })
    assert.throws(() => emu.registerClient({ clientId: 'x', orgNummer: VENDOR_ORG, scopes: [SCOPE] }), { code: 'invalid_config', message: /jwks.*certificate: true/ })
  })
})

describe('maskinporten emulator --config with certificateAuthorities', () => {
  it('serves a certificate client from the file, trusting its CA', async () => {
    const file = join(pki.dir, 'emulator.json')
    writeFileSync(file, JSON.stringify({
      clients: [{ clientId: CERT_CLIENT, orgNummer: VENDOR_ORG, certificate: true, scopes: [SCOPE] }],
      certificateAuthorities: [pki.root.pem],
    }))
    const child = spawn(process.execPath, ['dist/cli/bin.cjs', 'emulator', '--port', '0', '--config', file], { cwd: ROOT })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    try {
      const line = await new Promise<string>((resolve, reject) => {
        const lines = createInterface({ input: child.stdout })
        lines.once('line', (l) => (lines.close(), resolve(l)))
        child.once('exit', (code) => reject(new Error(`exited ${code}`)))
      })
      const url = /listening on (http:\/\/[^\s]+)$/.exec(line)?.[1]
      assert.ok(url, line)
      const iat = Math.floor(Date.now() / 1000)
      const grant = signGrant(leaf.key, { alg: 'RS256', x5c: pki.x5c(leaf, pki.intermediate) }, { aud: `${url}/`, iss: CERT_CLIENT, scope: SCOPE, iat, exp: iat + 100, jti: randomUUID() })
      const answer = await requestToken({ issuer: `${url}/` }, grant)
      assert.equal(answer.status, 200, answer.text)
      assert.equal(decodeToken(String(answer.body.access_token)).claims.client_amr, 'virksomhetssertifikat')
    } finally {
      child.kill('SIGTERM')
      await exited
    }
  })
})
