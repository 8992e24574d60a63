/**
 * Hints name the self-service portal of the configured environment, and the new hints (MP-250, consent refusals)
 * reach the user through the library against the emulator.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { maskinportenHint, selfServicePortal } from '../../src/errors/hints.js'
import { getMaskinportenToken } from '../../src/flows.js'
import { startEmulator } from '../../src/emulator/index.js'
import { generateSigningKey } from '../../src/signing/keys.js'
import { isMaskinportenError } from '../../src/errors/errors.js'

const TEST_PORTAL = 'sjolvbetjening.test.samarbeid.digdir.no'
const PROD_PORTAL = 'sjolvbetjening.samarbeid.digdir.no'

test('the portal in a hint is the configured environment’s: test for test, prod for prod', () => {
  const facts = { status: 400, oauthError: 'invalid_scope', description: 'Token request contains invalid scopes for client, x', mpCode: 'MP-200' }
  const testHint = maskinportenHint({ ...facts, issuer: 'https://test.maskinporten.no/' })!
  assert.match(testHint, new RegExp(TEST_PORTAL.replaceAll('.', '\\.')))
  assert.ok(!testHint.includes(`(${PROD_PORTAL})`))
  const prodHint = maskinportenHint({ ...facts, issuer: 'https://maskinporten.no/' })!
  assert.match(prodHint, /self-service portal for production \(sjolvbetjening\.samarbeid\.digdir\.no\)/)
  assert.ok(!prodHint.includes(TEST_PORTAL))
  assert.match(selfServicePortal('https://test.sky.maskinporten.no'), /test/)
  // Neither (an emulator): both named.
  const other = selfServicePortal('http://127.0.0.1:1234/')
  assert.ok(other.includes(TEST_PORTAL) && other.includes(PROD_PORTAL))
  for (const hint of [testHint, prodHint]) assert.ok(!hint.includes('{portal}'))
})

test('MP-250 and consent refusals get their own hints, through the library against the emulator', async () => {
  const key = await generateSigningKey()
  const emu = await startEmulator({
    clients: [{ clientId: 'c', orgNummer: '991825827', jwks: { keys: [key.publicJwk] }, scopes: ['a:granted', 'a:pending'], grantedScopes: ['a:granted'] }],
  })
  try {
    const config = { clientId: 'c', kid: key.kid, privateKeyPem: key.privateKeyPem, issuer: emu.issuer, altinnUrl: emu.altinnUrl }
    await assert.rejects(getMaskinportenToken(config, 'a:pending'), (err) => {
      assert.ok(isMaskinportenError(err))
      assert.equal(err.mpCode, 'MP-250')
      assert.equal(err.oauthError, 'invalid_scope')
      assert.match(String(err.hint), /API owner has not given your organisation this scope yet: ask them/)
      return true
    })
    await assert.rejects(getMaskinportenToken(config, 'a:granted', { consent: { id: randomUUID(), from: '991825827' } }), (err) => {
      assert.ok(isMaskinportenError(err))
      assert.equal(err.mpCode, 'MP-303')
      assert.match(String(err.hint), /no valid consent/)
      assert.match(err.message, /no valid consent/)
      return true
    })
  } finally {
    await emu.close()
  }
})
