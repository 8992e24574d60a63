import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPrivateKey, verify } from 'node:crypto'
import { jwtVerify, importJWK, exportJWK } from 'jose'
import { buildJwtGrant, GRANT_LIFETIME_SECONDS, grantParams, signGrant } from '../../src/signing/grant.js'
import { resolveConfig } from '../../src/config/config.js'
import { decodeToken } from '../../src/exchange/token.js'
import { testConfig, testKey } from '../support/fixtures.js'

const FROZEN_MS = Date.UTC(2026, 10, 26, 12, 0, 0, 500) // 2026-11-26T12:00:00.500Z
const FROZEN_S = Math.floor(FROZEN_MS / 1000)

/** Verifies a grant with jose against the test key's public half; returns its payload. */
async function verifyGrant(grant: string, audience: string, alg = 'RS256') {
  const { payload, protectedHeader } = await jwtVerify(grant, testKey().publicKey, {
    algorithms: [alg],
    audience,
    currentDate: new Date(decodeToken(grant).claims.iat as number * 1000),
  })
  return { payload, protectedHeader }
}

test('golden grant: the exact bytes of header and claims, and a signature that verifies', () => {
  const config = resolveConfig(testConfig())
  const grant = signGrant(config, grantParams('altinn:instances.read altinn:instances.write'), FROZEN_MS, 'fixed-jti-0001')
  const [header, payload, signature] = grant.split('.')
  assert.equal(Buffer.from(header!, 'base64url').toString(), '{"alg":"RS256","kid":"test-kid-1"}')
  assert.equal(
    Buffer.from(payload!, 'base64url').toString(),
    `{"aud":"https://test.maskinporten.no/","iss":"test-client-0b3c","sub":"test-client-0b3c",` +
      `"scope":"altinn:instances.read altinn:instances.write","iat":${FROZEN_S},"exp":${FROZEN_S + 119},"jti":"fixed-jti-0001"}`,
  )
  assert.ok(verify('sha256', Buffer.from(`${header}.${payload}`), testKey().publicKey, Buffer.from(signature!, 'base64url')))
  // RSASSA-PKCS1-v1_5 is deterministic: the same input signs to the same bytes.
  assert.equal(signGrant(config, grantParams('altinn:instances.read altinn:instances.write'), FROZEN_MS, 'fixed-jti-0001'), grant)
})

test('golden system user grant: authorization_details exactly as Maskinporten documents it', () => {
  const config = resolveConfig(testConfig({ env: 'prod' }))
  const grant = signGrant(
    config,
    grantParams('altinn:instances.read', { orgNummer: '0192:310702641', externalRef: 'ref-42' }),
    FROZEN_MS,
    'jti-2',
  )
  assert.equal(
    Buffer.from(grant.split('.')[1]!, 'base64url').toString(),
    `{"aud":"https://maskinporten.no/","iss":"test-client-0b3c","sub":"test-client-0b3c","scope":"altinn:instances.read",` +
      `"iat":${FROZEN_S},"exp":${FROZEN_S + 119},"jti":"jti-2","authorization_details":[{"type":"urn:altinn:systemuser",` +
      `"systemuser_org":{"authority":"iso6523-actorid-upis","ID":"0192:310702641"},"externalRef":"ref-42"}]}`,
  )
})

test('buildJwtGrant: claims exactly aud, iss, sub, scope, iat, exp, jti; verified with jose', async () => {
  const grant = await buildJwtGrant(testConfig(), 'altinn:instances.read', { now: () => FROZEN_MS })
  const { payload, protectedHeader } = await verifyGrant(grant, 'https://test.maskinporten.no/')
  assert.deepEqual(protectedHeader, { alg: 'RS256', kid: 'test-kid-1' })
  assert.deepEqual(Object.keys(payload).sort(), ['aud', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub'])
  assert.equal(payload.iss, 'test-client-0b3c')
  assert.equal(payload.sub, 'test-client-0b3c')
  assert.equal(payload.iat, FROZEN_S)
  assert.equal(payload.exp, FROZEN_S + GRANT_LIFETIME_SECONDS)
  assert.ok((payload.exp as number) - (payload.iat as number) <= 120)
})

test('buildJwtGrant: jti is random, at least 128 bits, and unique per grant', async () => {
  const seen = new Set<string>()
  for (let i = 0; i < 200; i++) {
    const grant = await buildJwtGrant(testConfig(), 'a')
    const jti = decodeToken(grant).claims.jti as string
    assert.ok(Buffer.from(jti, 'base64url').length >= 16, 'jti carries at least 16 random bytes')
    seen.add(jti)
  }
  assert.equal(seen.size, 200)
})

test('buildJwtGrant: prod is the default environment, as in the seed', async () => {
  const { env: _env, ...noEnv } = testConfig()
  const grant = await buildJwtGrant(noEnv, 'a')
  await verifyGrant(grant, 'https://maskinporten.no/')
})

test('buildJwtGrant: a custom issuer is the aud verbatim, with or without a trailing slash', async () => {
  for (const issuer of ['https://test.sky.maskinporten.no', 'http://127.0.0.1:5555/', 'https://idp.example/realm/x']) {
    const grant = await buildJwtGrant(testConfig({ issuer }), 'a')
    const { payload } = await verifyGrant(grant, issuer)
    assert.equal(payload.aud, issuer)
  }
})

test('buildJwtGrant: resource is always an array; consumer_org is the bare org number', async () => {
  const one = await buildJwtGrant(testConfig(), 'a', { resource: 'https://api.example.no' })
  assert.deepEqual((await verifyGrant(one, 'https://test.maskinporten.no/')).payload.resource, ['https://api.example.no'])
  const two = await buildJwtGrant(testConfig(), 'a', { resource: ['urn:a', 'urn:b'], consumerOrg: '0192: 974 760 223' })
  const { payload } = await verifyGrant(two, 'https://test.maskinporten.no/')
  assert.deepEqual(payload.resource, ['urn:a', 'urn:b'])
  assert.equal(payload.consumer_org, '974760223')
  assert.deepEqual(Object.keys(payload).sort(), ['aud', 'consumer_org', 'exp', 'iat', 'iss', 'jti', 'resource', 'scope', 'sub'])
})

test('buildJwtGrant: system user without externalRef has no externalRef field', async () => {
  const grant = await buildJwtGrant(testConfig(), 'altinn:instances.read', { orgNummer: '310702641' })
  const { payload } = await verifyGrant(grant, 'https://test.maskinporten.no/')
  assert.deepEqual(payload.authorization_details, [
    { type: 'urn:altinn:systemuser', systemuser_org: { authority: 'iso6523-actorid-upis', ID: '0192:310702641' } },
  ])
})

test('buildJwtGrant: scope white space is normalised and duplicates dropped', async () => {
  const grant = await buildJwtGrant(testConfig(), '  a   b\ta  ')
  assert.equal(decodeToken(grant).claims.scope, 'a b')
})

test('buildJwtGrant: every key form signs a grant that verifies (PKCS#1, PKCS#8, KeyObject, JWK object, JWK text)', async () => {
  const key = testKey()
  const jwk = await exportJWK(key.privateKey)
  const sources = [
    { privateKeyPem: key.pkcs1 },
    { privateKeyPem: Buffer.from(key.pkcs8) },
    { privateKey: key.privateKey },
    { privateKey: jwk },
    { privateKey: JSON.stringify(jwk) },
    { privateKey: createPrivateKey(key.pkcs1) },
  ]
  const publicKey = await importJWK({ kty: 'RSA', n: jwk.n!, e: jwk.e! }, 'RS256')
  for (const source of sources) {
    const { privateKeyPem: _p, ...base } = testConfig()
    const grant = await buildJwtGrant({ ...base, ...source }, 'a')
    await jwtVerify(grant, publicKey, { audience: 'https://test.maskinporten.no/' })
  }
})

test('buildJwtGrant: an encrypted PKCS#8 key with its passphrase', async () => {
  const pem = testKey().privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'hemmelig-passord' }) as string
  const grant = await buildJwtGrant(testConfig({ privateKeyPem: pem, passphrase: 'hemmelig-passord' }), 'a')
  await verifyGrant(grant, 'https://test.maskinporten.no/')
})
