// The built bin with a business certificate (`--certificate FILE` / MASKINPORTEN_CERTIFICATE) against the emulator:
// tokens, the grant's x5c header, doctor's certificate line, and a key that does not match refused before sending.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startEmulator, type Emulator } from '../../src/emulator/index.ts'
import { decodeToken } from '../../src/exchange/token.ts'
import { makeTestPki, type Issued, type TestPki } from '../support/certificates.ts'
import { assertNoSecrets, keyFragments } from '../support/fixtures.ts'
import { requireBuiltBin, runCli, runShortWay, tempDir } from './run-cli.ts'

const ORG = '991825827'
const CLIENT = 'cli-certificate-client'
const SCOPE = 'altinn:instances.read'

const { dir, cleanup } = tempDir()
let pki: TestPki
let emu: Emulator
let leaf: Issued
let env: Record<string, string>
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text, { mode: 0o600 })
  return path
}

before(async () => {
  requireBuiltBin()
  pki = makeTestPki()
  leaf = pki.leaf({ serialNumber: ORG })
  emu = await startEmulator({
    certificateAuthorities: [pki.root.pem],
    clients: [{ clientId: CLIENT, orgNummer: ORG, certificate: true, scopes: [SCOPE] }],
  })
  file('chain.pem', pki.chain(leaf, pki.intermediate))
  file('leaf.key', leaf.keyPem)
  file('combined.pem', leaf.keyPem + pki.chain(leaf, pki.intermediate))
  file('wrong.key', pki.intermediate.keyPem)
  env = { MASKINPORTEN_CLIENT_ID: CLIENT, MASKINPORTEN_ISSUER: emu.issuer, ALTINN_URL: emu.altinnUrl, MASKINPORTEN_SCOPES: SCOPE }
})

after(async () => {
  await emu?.close()
  pki?.cleanup()
  cleanup()
})

const secrets = () => [...keyFragments(leaf.keyPem), ...keyFragments(pki.intermediate.keyPem)]

test('token with --certificate and --key: a virksomhetssertifikat token on stdout', async () => {
  const result = await runCli(['token', '--certificate', 'chain.pem', '--key', 'leaf.key', '--no-cache'], { cwd: dir, env })
  assert.equal(result.code, 0, result.stderr)
  assert.equal(decodeToken(result.stdout.trim()).claims.client_amr, 'virksomhetssertifikat')
  assertNoSecrets([result.stdout, result.stderr], secrets())
})

test('MASKINPORTEN_CERTIFICATE naming a file that holds the key too (openssl pkcs12 -nodes output)', async () => {
  const r = await runCli(['grant'], { cwd: dir, env: { ...env, MASKINPORTEN_CERTIFICATE: 'combined.pem' } })
  assert.equal(r.code, 0, r.stderr)
  const header = JSON.parse(Buffer.from(r.stdout.trim().split('.')[0]!, 'base64url').toString()) as Record<string, unknown>
  assert.deepEqual(header, { alg: 'RS256', x5c: pki.x5c(leaf, pki.intermediate) })
  const t = await runCli(['token', '--no-cache'], { cwd: dir, env: { ...env, MASKINPORTEN_CERTIFICATE: 'combined.pem' } })
  assert.equal(t.code, 0, t.stderr)
  assertNoSecrets([r.stderr, t.stdout, t.stderr], secrets())
})

test('a repeat with the key in the certificate file is answered by the run cache, and watches that file', async () => {
  const combined = { ...env, MASKINPORTEN_CERTIFICATE: 'combined.pem', XDG_CACHE_HOME: join(dir, 'cache-combined') }
  const first = await runCli(['token'], { cwd: dir, env: combined })
  assert.equal(first.code, 0, first.stderr)
  const copyIn = join(dir, 'short-way')
  const again = await runShortWay(['token'], { cwd: dir, env: combined, copyIn })
  assert.equal(again.code, 0, again.stderr)
  assert.equal(again.stdout, first.stdout)
  // The file the key was read from is the certificate file: replaced, the run cache leaves it to the long way.
  file('combined.pem', pki.intermediate.keyPem + pki.chain(leaf, pki.intermediate))
  const changed = await runShortWay(['token'], { cwd: dir, env: combined, copyIn })
  assert.equal(changed.code, 1, changed.stdout)
  assert.match(changed.stderr, /cannot load the command line/)
  file('combined.pem', leaf.keyPem + pki.chain(leaf, pki.intermediate))
})

test('a key that is not the certificate’s: exit 1, the fix named, nothing sent', async () => {
  const before = emu.stats().token.requests
  const r = await runCli(['token', '--certificate', 'chain.pem', '--key', 'wrong.key'], { cwd: dir, env })
  assert.equal(r.code, 1)
  assert.match(r.stderr, /its public key is not the private key's/)
  assert.equal(emu.stats().token.requests, before)
  assertNoSecrets([r.stdout, r.stderr], secrets())
})

test('a kid with a certificate is refused with the fix', async () => {
  const r = await runCli(['token', '--certificate', 'chain.pem', '--key', 'leaf.key', '--kid', 'old-kid'], { cwd: dir, env })
  assert.equal(r.code, 1)
  assert.match(r.stderr, /kid is set with a business certificate/)
})

test('doctor shows the certificate’s subject, org number, issuer and days left; online it gets a token', async () => {
  const r = await runCli(['doctor', '--certificate', 'combined.pem'], { cwd: dir, env })
  assert.equal(r.code, 0, r.stdout + r.stderr)
  assert.match(r.stdout, /✓ certificate: C=NO, O=ACME AS, serialNumber=991825827, CN=ACME AS; org number 991825827; issuer C=NO, O=Test Trust Services, CN=Test Business CA; 36[45] days left/)
  assert.match(r.stdout, /- MASKINPORTEN_KID: not needed/)
  assert.match(r.stdout, /✓ token request/)
  assertNoSecrets([r.stdout, r.stderr], secrets())
})

test('doctor warns about a certificate near its end, and fails an expired one', async () => {
  const soon = pki.leaf({ serialNumber: ORG, days: 10 })
  file('soon.pem', soon.keyPem + pki.chain(soon, pki.intermediate))
  const warned = await runCli(['doctor', '--offline', '--certificate', 'soon.pem'], { cwd: dir, env })
  assert.match(warned.stdout, /✓ certificate: .*; 9 days left \(until .*\): renew it now/)
  const expired = pki.leaf({ serialNumber: ORG, days: -1 })
  file('expired.pem', expired.keyPem + pki.chain(expired, pki.intermediate))
  const failed = await runCli(['doctor', '--offline', '--certificate', 'expired.pem'], { cwd: dir, env })
  assert.equal(failed.code, 1)
  assert.match(failed.stdout, /✗ certificate: .*expired on/)
})
