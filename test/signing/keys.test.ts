import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey, sign, verify } from 'node:crypto'
import { calculateJwkThumbprint } from 'jose'
import { generateSigningKey, jwkThumbprint, loadSigningKey, publicJwk } from '../../src/signing/keys.js'
import { testKey } from '../support/fixtures.js'

test('publicJwk: only public members, kid defaults to the RFC 7638 thumbprint (checked with jose)', async () => {
  const jwk = publicJwk(testKey().privateKey)
  assert.deepEqual(Object.keys(jwk).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use'])
  assert.equal(jwk.use, 'sig')
  assert.equal(jwk.alg, 'RS256')
  assert.equal(jwk.kid, await calculateJwkThumbprint({ kty: 'RSA', n: jwk.n, e: jwk.e }))
  assert.equal(jwkThumbprint(jwk), jwk.kid)
  assert.equal(publicJwk(testKey().publicKey, 'mine').kid, 'mine')
})

test('generateSigningKey: a PKCS#8 PEM that loads, and a JWK that verifies what it signs', async () => {
  const made = await generateSigningKey({ kid: 'k-2026' })
  assert.match(made.privateKeyPem, /^-----BEGIN PRIVATE\x20KEY-----/)
  assert.equal(made.kid, 'k-2026')
  const key = loadSigningKey({ privateKeyPem: made.privateKeyPem })
  assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048)
  const signature = sign('sha256', Buffer.from('x'), key)
  assert.ok(verify('sha256', Buffer.from('x'), createPublicKey({ key: { ...made.publicJwk }, format: 'jwk' }), signature))
  await assert.rejects(generateSigningKey({ bits: 1024 }), { code: 'invalid_config' })
})

test('a PEM given as privateKey is refused even after the same PEM was loaded as privateKeyPem', () => {
  const pem = testKey().pkcs8
  loadSigningKey({ privateKeyPem: pem })
  assert.throws(() => loadSigningKey({ privateKey: pem }), { code: 'jwt_sign_failed', message: /not JSON/ })
})
