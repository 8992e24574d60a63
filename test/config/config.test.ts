import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildJwtGrant } from '../../src/signing/grant.js'
import { configFromEnv, resolveConfig, type MaskinportenConfig } from '../../src/config/config.js'
import { getAltinnToken, getSystemuserToken } from '../../src/flows.js'
import { MaskinportenError, isMaskinportenError } from '../../src/errors/errors.js'
import { keyParseCount } from '../../src/signing/keys.js'
import { assertNoSecrets, keyFragments, makeKey, testConfig, testKey } from '../support/fixtures.js'

const PASSPHRASE = 'korrekt-hest-batteri-stift'
const key = testKey()
const encrypted = key.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }) as string
const small = makeKey(1024)
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ed = generateKeyPairSync('ed25519')
const pss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 })
const jwk = key.privateKey.export({ format: 'jwk' })
const secrets = [...keyFragments(key.pkcs8), ...keyFragments(key.pkcs1), ...keyFragments(encrypted), PASSPHRASE, jwk.d!, jwk.p!]

const { privateKeyPem: _unused, ...noKey } = testConfig()
const cases: Array<[string, MaskinportenConfig | Record<string, unknown>, string, RegExp, { scope?: string; opts?: Record<string, unknown> }?]> = [
  ['clientId missing', { ...testConfig(), clientId: undefined }, 'invalid_config', /clientId/],
  ['clientId empty', testConfig({ clientId: '' }), 'invalid_config', /clientId/],
  ['clientId with white space around it', testConfig({ clientId: ' abc ' }), 'invalid_config', /clientId.*white space/],
  ['kid missing', { ...testConfig(), kid: undefined }, 'invalid_config', /kid/],
  ['kid not a string', { ...testConfig(), kid: 42 }, 'invalid_config', /kid/],
  ['no key source', noKey, 'invalid_config', /privateKeyPem or privateKey/],
  ['two key sources', testConfig({ privateKey: key.privateKey }), 'invalid_config', /exactly one key source/],
  ['env unknown', { ...testConfig(), env: 'staging' }, 'invalid_config', /env.*"staging"/],
  ['issuer not absolute', testConfig({ issuer: 'maskinporten.no' }), 'invalid_config', /issuer/],
  ['issuer not http(s)', testConfig({ issuer: 'ftp://maskinporten.no/' }), 'invalid_config', /issuer.*http/],
  ['altinnUrl garbage', testConfig({ altinnUrl: '::nope' }), 'invalid_config', /altinnUrl/],
  ['issuer holding a PEM (pasted into the wrong field)', testConfig({ issuer: key.pkcs8 }), 'invalid_config', /issuer is not an absolute URL: \(\d+ characters, not shown/],
  ['env holding a PEM', { ...testConfig(), env: key.pkcs1 }, 'invalid_config', /env must be "test" or "prod", got \(\d+ characters/],
  ['orgNummer holding a PEM', testConfig(), 'invalid_config', /orgNummer \(\d+ characters, not shown/, { opts: { orgNummer: key.pkcs8 } }],
  ['timeoutMs zero', testConfig({ timeoutMs: 0 }), 'invalid_config', /timeoutMs/],
  ['timeoutMs negative', testConfig({ timeoutMs: -5 }), 'invalid_config', /timeoutMs/],
  ['timeoutMs NaN', testConfig({ timeoutMs: Number.NaN }), 'invalid_config', /timeoutMs/],
  ['timeoutMs past what a timer can hold', testConfig({ timeoutMs: 2 ** 31 }), 'invalid_config', /timeoutMs/],
  ['fetch not a function', { ...testConfig(), fetch: 'curl' }, 'invalid_config', /fetch/],
  ['passphrase not a string', { ...testConfig(), passphrase: 1234 }, 'invalid_config', /passphrase/],
  ['config not an object', null as unknown as MaskinportenConfig, 'invalid_config', /config/],
  ['PEM is garbage', testConfig({ privateKeyPem: 'not a key at all' }), 'jwt_sign_failed', /not PEM/],
  ['PEM is a public key', testConfig({ privateKeyPem: key.publicKey.export({ format: 'pem', type: 'spki' }) as string }), 'jwt_sign_failed', /public key/],
  ['PEM is truncated', testConfig({ privateKeyPem: key.pkcs8.slice(0, 400) + '\n-----END PRIVATE KEY-----\n' }), 'jwt_sign_failed', /could not be parsed/],
  ['PEM is an EC key', testConfig({ privateKeyPem: ec.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string }), 'jwt_sign_failed', /ec key.*RSA/],
  ['RSA key of 1024 bits', testConfig({ privateKeyPem: small.pkcs8 }), 'jwt_sign_failed', /1024 bits.*2048/],
  ['encrypted PEM without passphrase', testConfig({ privateKeyPem: encrypted }), 'jwt_sign_failed', /encrypted; set passphrase/],
  ['encrypted PEM, wrong passphrase', testConfig({ privateKeyPem: encrypted, passphrase: 'feil-passord-123' }), 'jwt_sign_failed', /passphrase does not open/],
  ['JWK without d (public)', { ...noKey, privateKey: { kty: 'RSA', n: jwk.n, e: jwk.e } }, 'jwt_sign_failed', /public key/],
  ['JWK of another type', { ...noKey, privateKey: ec.privateKey.export({ format: 'jwk' }) }, 'jwt_sign_failed', /kty "EC"/],
  ['JWK text that is not JSON (a PEM in the wrong field)', { ...noKey, privateKey: key.pkcs8 }, 'jwt_sign_failed', /not JSON/],
  ['JWK with a broken d', { ...noKey, privateKey: { ...jwk, d: 'AAAA', p: undefined, q: undefined, dp: undefined, dq: undefined, qi: undefined } }, 'jwt_sign_failed', /could not be read/],
  ['KeyObject that is public', { ...noKey, privateKey: key.publicKey }, 'jwt_sign_failed', /public key/],
  ['KeyObject of Ed25519', { ...noKey, privateKey: ed.privateKey }, 'jwt_sign_failed', /ed25519 key/],
  ['KeyObject of RSA-PSS', { ...noKey, privateKey: pss.privateKey }, 'jwt_sign_failed', /rsa-pss key/],
  ['orgNummer with a wrong check digit', testConfig(), 'invalid_config', /orgNummer.*"123456789".*check digit/, { opts: { orgNummer: '123456789' } }],
  ['orgNummer of eight digits', testConfig(), 'invalid_config', /orgNummer.*nine digits/, { opts: { orgNummer: '31070264' } }],
  ['orgNummer with remainder 1 (no check digit exists)', testConfig(), 'invalid_config', /orgNummer/, { opts: { orgNummer: '000000060' } }],
  ['consumerOrg invalid', testConfig(), 'invalid_config', /consumerOrg.*"999888777"/, { opts: { consumerOrg: '999888777' } }],
  ['externalRef without orgNummer', testConfig(), 'invalid_config', /externalRef.*orgNummer/, { opts: { externalRef: 'x' } }],
  ['scope empty', testConfig(), 'invalid_config', /scope.*empty/, { scope: '   ' }],
  ['resource an empty list', testConfig(), 'invalid_config', /resource/, { opts: { resource: [] } }],
  ['privateKeyPem a number', { ...noKey, privateKeyPem: 123 }, 'invalid_config', /privateKeyPem must be PEM text/],
  ['privateKeyPem an object', { ...noKey, privateKeyPem: {} }, 'invalid_config', /privateKeyPem must be PEM text/],
  ['privateKey a number', { ...noKey, privateKey: 7 }, 'invalid_config', /privateKey must be a KeyObject/],
  ['scope a list with a non-string', testConfig(), 'invalid_config', /scope must be/, { scope: [1] as unknown as string }],
  ['scope holding a PEM', testConfig(), 'invalid_config', /scope looks like key material/, { scope: key.pkcs8 }],
  ['scope holding a JWK', testConfig(), 'invalid_config', /scope looks like key material/, { scope: JSON.stringify(jwk) }],
  ['scope neither string nor list', testConfig(), 'invalid_config', /scope must be/, { scope: 42 as unknown as string }],
]

for (const [name, config, code, message, call] of cases) {
  test(`bad input: ${name} → ${code}`, async () => {
    const err = await buildJwtGrant(config as MaskinportenConfig, call?.scope ?? 'altinn:instances.read', call?.opts).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e,
    )
    assert.ok(err instanceof MaskinportenError, `got ${String(err)}`)
    assert.ok(isMaskinportenError(err))
    assert.equal(err.code, code)
    assert.match(err.message, message)
    const causeText = err.cause instanceof Error ? `${err.cause.message}\n${err.cause.stack}` : String(err.cause ?? '')
    assertNoSecrets([err.message, err.stack, causeText, JSON.stringify(err), inspect(err, { depth: 5 })], secrets)
  })
}

test('null options are no options', async () => {
  const grant = await buildJwtGrant(testConfig(), 'a', null as unknown as undefined)
  assert.equal(grant.split('.').length, 3)
})

test('bad config is refused before any request is made', async () => {
  let calls = 0
  const fetch = (async () => {
    calls++
    throw new Error('must not be called')
  }) as typeof globalThis.fetch
  await assert.rejects(getAltinnToken(testConfig({ fetch, privateKeyPem: small.pkcs8 })), { code: 'jwt_sign_failed' })
  await assert.rejects(getSystemuserToken(testConfig({ fetch }), '999888777'), { code: 'invalid_config' })
  await assert.rejects(getAltinnToken(testConfig({ fetch, clientId: '' })), { code: 'invalid_config' })
  assert.equal(calls, 0)
})

test('a key is parsed once: the same PEM in a thousand fresh config objects', async () => {
  const pem = makeKey(2048).pkcs8
  const before = keyParseCount()
  for (let i = 0; i < 1000; i++) await buildJwtGrant(testConfig({ privateKeyPem: `${pem}` }), 'a')
  assert.equal(keyParseCount() - before, 1)
  const jwkObject = makeKey(2048).privateKey.export({ format: 'jwk' })
  const config = { ...noKey, privateKey: jwkObject }
  for (let i = 0; i < 100; i++) await buildJwtGrant(config, 'a')
  assert.equal(keyParseCount() - before, 2)
})

test('resolveConfig: token endpoint and exchange URL from the issuer and platform', () => {
  const prod = resolveConfig({ ...testConfig(), env: 'prod' })
  assert.equal(prod.tokenEndpoint, 'https://maskinporten.no/token')
  assert.equal(prod.exchangeUrl, 'https://platform.altinn.no/authentication/api/v1/exchange/maskinporten')
  const test_ = resolveConfig(testConfig())
  assert.equal(test_.issuer, 'https://test.maskinporten.no/')
  assert.equal(test_.tokenEndpoint, 'https://test.maskinporten.no/token')
  assert.equal(test_.exchangeUrl, 'https://platform.tt02.altinn.no/authentication/api/v1/exchange/maskinporten')
  assert.equal(test_.timeoutMs, 15000)
  const sky = resolveConfig(testConfig({ issuer: 'https://test.sky.maskinporten.no', altinnUrl: 'http://127.0.0.1:9/' }))
  assert.equal(sky.issuer, 'https://test.sky.maskinporten.no')
  assert.equal(sky.tokenEndpoint, 'https://test.sky.maskinporten.no/token')
  assert.equal(sky.exchangeUrl, 'http://127.0.0.1:9/authentication/api/v1/exchange/maskinporten')
})

test('configFromEnv: Wenche variables with the key file, NAIS JWK, inline PEM', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mp-env-'))
  try {
    writeFileSync(join(dir, 'maskinporten_privat.pem'), key.pkcs8)
    const fromFile = configFromEnv({ MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_KID: 'k', WENCHE_ENV: 'test' }, { cwd: dir })
    assert.equal(fromFile.privateKeyPem, key.pkcs8)
    assert.equal(fromFile.env, 'test')
    assert.equal(resolveConfig(fromFile).issuer, 'https://test.maskinporten.no/')

    const nais = configFromEnv({ MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_CLIENT_JWK: JSON.stringify({ ...jwk, kid: 'nais-kid' }) })
    assert.equal(nais.kid, 'nais-kid')
    assert.equal(resolveConfig(nais).key?.asymmetricKeyType, 'rsa')

    const inline = configFromEnv({
      MASKINPORTEN_CLIENT_ID: 'c',
      MASKINPORTEN_KID: 'k',
      MASKINPORTEN_PRIVATE_KEY: key.pkcs1.replace(/\n/g, '\\n'),
      MASKINPORTEN_ISSUER: 'http://127.0.0.1:1/',
      ALTINN_URL: 'http://127.0.0.1:2',
    })
    assert.equal(inline.privateKeyPem, key.pkcs1)
    assert.equal(inline.issuer, 'http://127.0.0.1:1/')
    assert.equal(inline.altinnUrl, 'http://127.0.0.1:2')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('configFromEnv: each missing or bad variable is named, and no key text is shown', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mp-env-'))
  try {
    const bad: Array<[Record<string, string>, RegExp]> = [
      [{}, /MASKINPORTEN_CLIENT_ID/],
      [{ MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_KID: 'k' }, /MASKINPORTEN_PRIVAT_NOKKEL \(default file\).*does not exist/],
      [{ MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_KID: 'k', MASKINPORTEN_PRIVAT_NOKKEL: 'nope.pem' }, /MASKINPORTEN_PRIVAT_NOKKEL names ".*nope.pem"/],
      [{ MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_PRIVATE_KEY: key.pkcs8 }, /MASKINPORTEN_KID/],
      // The PEM itself in the path variable: refused, and never echoed.
      [{ MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_KID: 'k', MASKINPORTEN_PRIVAT_NOKKEL: key.pkcs8 }, /MASKINPORTEN_PRIVAT_NOKKEL holds key text, not a path/],
      [{ MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_KID: 'k', MASKINPORTEN_PRIVAT_NOKKEL: key.pkcs8.replace(/\n/g, '') }, /holds key text/],
      [{ MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_CLIENT_JWK: `{${jwk.d}` }, /MASKINPORTEN_CLIENT_JWK is not valid JSON/],
      [{ MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_KID: 'k', MASKINPORTEN_PRIVATE_KEY: key.pkcs8, WENCHE_ENV: 'dev' }, /WENCHE_ENV/],
    ]
    for (const [env, message] of bad) {
      assert.throws(
        () => configFromEnv(env, { cwd: dir }),
        (err: unknown) => {
          assert.ok(err instanceof MaskinportenError)
          assert.equal(err.code, 'invalid_config')
          assert.match(err.message, message)
          const causeText = err.cause instanceof Error ? `${err.cause.message}\n${err.cause.stack}` : ''
          assertNoSecrets([err.message, JSON.stringify(err), causeText], secrets)
          return true
        },
      )
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
