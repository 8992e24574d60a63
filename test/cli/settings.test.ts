import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { configFromSettings, flagVariables, keyFileOf, loadSettings } from '../../src/cli/settings.ts'
import { configFromEnv } from '../../src/config/config.ts'
import { normalizeOrgNummer } from '../../src/config/orgnummer.ts'
import { tokenRequestFrom } from '../../src/cli/token-request.ts'
import { UsageError } from '../../src/cli/usage.ts'
import { adminScopes, defaultScopes, skattemeldingScope } from '../../src/config/scopes.ts'
import { testKey } from '../support/fixtures.ts'
import { tempDir } from './run-cli.ts'

const { dir, cleanup } = tempDir()
after(cleanup)
writeFileSync(
  join(dir, '.env'),
  'MASKINPORTEN_CLIENT_ID=from-dotenv\nMASKINPORTEN_KID=kid-dotenv\nWENCHE_ENV=test\nMASKINPORTEN_PRIVAT_NOKKEL=key.pem\n',
)
writeFileSync(join(dir, 'key.pem'), testKey().pkcs8, { mode: 0o600 })

test('precedence: flag over environment over .env, and .env never overrides the environment', () => {
  const onlyDotenv = loadSettings({}, { env: {}, cwd: dir })
  assert.equal(onlyDotenv.vars.MASKINPORTEN_CLIENT_ID, 'from-dotenv')
  assert.equal(onlyDotenv.sources.MASKINPORTEN_CLIENT_ID, '.env')
  assert.equal(onlyDotenv.dotenvPath, join(dir, '.env'))

  const env = { MASKINPORTEN_CLIENT_ID: 'from-env', WENCHE_ENV: 'prod' }
  const withEnv = loadSettings({}, { env, cwd: dir })
  assert.equal(withEnv.vars.MASKINPORTEN_CLIENT_ID, 'from-env')
  assert.equal(withEnv.vars.WENCHE_ENV, 'prod')
  assert.equal(withEnv.vars.MASKINPORTEN_KID, 'kid-dotenv', 'what the environment lacks still comes from .env')

  const withFlag = loadSettings(flagVariables('token', { 'client-id': 'from-flag' }), { env, cwd: dir })
  assert.equal(withFlag.vars.MASKINPORTEN_CLIENT_ID, 'from-flag')
  assert.equal(withFlag.sources.MASKINPORTEN_CLIENT_ID, 'flag')
  assert.equal(configFromSettings(withFlag).clientId, 'from-flag')
})

test('an empty environment variable does not hide the .env value', () => {
  const settings = loadSettings({}, { env: { MASKINPORTEN_CLIENT_ID: '' }, cwd: dir })
  assert.equal(settings.vars.MASKINPORTEN_CLIENT_ID, 'from-dotenv')
})

test('the key is one decision: the highest source that names any key variable supplies it', () => {
  const pem = testKey().pkcs8
  // The environment's inline PEM beats .env's file path ...
  const env = loadSettings({}, { env: { MASKINPORTEN_PRIVATE_KEY: pem }, cwd: dir })
  assert.equal(env.vars.MASKINPORTEN_PRIVATE_KEY, pem)
  assert.equal(env.vars.MASKINPORTEN_PRIVAT_NOKKEL, undefined)
  // ... and --key beats the environment's inline PEM, which configFromEnv would otherwise prefer.
  const flag = loadSettings(flagVariables('token', { key: 'key.pem' }), { env: { MASKINPORTEN_PRIVATE_KEY: pem }, cwd: dir })
  assert.equal(flag.vars.MASKINPORTEN_PRIVATE_KEY, undefined)
  assert.equal(configFromSettings(flag).privateKeyPem, pem, 'the file holds the same key')
})

test('the key file: the one configFromEnv reads, resolved against the working directory; key text refused by name', () => {
  const fromDotenv = loadSettings({}, { env: {}, cwd: dir })
  assert.deepEqual(keyFileOf(fromDotenv), { path: join(dir, 'key.pem'), given: true })
  assert.equal(configFromSettings(fromDotenv).privateKeyPem, configFromEnv(fromDotenv.vars, { cwd: dir }).privateKeyPem)
  assert.equal(keyFileOf(loadSettings({}, { env: { MASKINPORTEN_CLIENT_JWK: '{}' }, cwd: dir })), undefined)
  const pem = testKey().pkcs8
  const flag = loadSettings(flagVariables('token', { key: pem }), { env: {}, cwd: dir })
  for (const make of [() => keyFileOf(flag), () => configFromSettings(flag)]) {
    assert.throws(make, (err: Error) => {
      assert.match(err.message, /^Invalid configuration: --key holds key text/)
      assert.ok(!err.message.includes('BEGIN') && !err.message.includes(pem.split('\n')[1]!))
      return true
    })
  }
})

test('org numbers are checked by the library, with its message naming the flag or variable', () => {
  const settings = loadSettings({ ORG_NUMMER: '123456789' }, { env: {}, cwd: dir })
  assert.throws(() => tokenRequestFrom('token', {}, settings), { message: errorOf(() => normalizeOrgNummer('123456789', '--org')) })
  const good = loadSettings({}, { env: {}, cwd: dir })
  assert.throws(() => tokenRequestFrom('token', { 'consumer-org': '0192:99988877' }, good), {
    message: errorOf(() => normalizeOrgNummer('0192:99988877', '--consumer-org')),
  })
  assert.equal(tokenRequestFrom('token', { 'consumer-org': '0192: 910 753 614' }, good).grant.consumerOrg, '910753614')
})

function errorOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    return (err as Error).message
  }
  throw new Error('did not throw')
}

test('a missing variable is named, with where to set it', () => {
  const { dir: empty, cleanup: done } = tempDir()
  try {
    const settings = loadSettings({}, { env: {}, cwd: empty })
    assert.throws(() => configFromSettings(settings), /MASKINPORTEN_CLIENT_ID is not set.*pass --client-id/)
  } finally {
    done()
  }
})

test('flags: --env is test or prod, a flag needs a value, --scope repeats', () => {
  assert.throws(() => flagVariables('token', { env: 'dev' }), UsageError)
  assert.throws(() => flagVariables('token', { kid: ' ' }), /--kid needs a value/)
  assert.deepEqual(flagVariables('token', { scope: ['a', 'b c'] }), { MASKINPORTEN_SCOPES: 'a b c' })
})

test('token request: scopes from flag, shortcut, variable or default; org from flag or ORG_NUMMER', () => {
  const settings = (flags: Record<string, string>, env: Record<string, string> = {}) =>
    loadSettings(flags, { env, cwd: dir })
  assert.equal(tokenRequestFrom('token', {}, settings({})).scope, defaultScopes())
  assert.equal(tokenRequestFrom('token', {}, settings({}, { MASKINPORTEN_SCOPES: 'x:y' })).scope, 'x:y')
  assert.equal(tokenRequestFrom('token', { admin: true }, settings({}, { MASKINPORTEN_SCOPES: 'x:y' })).scope, adminScopes())

  const org = tokenRequestFrom('token', { skattemelding: true }, settings({}, { ORG_NUMMER: '0192:310702641' }))
  assert.equal(org.scope, skattemeldingScope())
  assert.deepEqual(org.grant, { orgNummer: '310702641' })
  assert.equal(tokenRequestFrom('token', { admin: true }, settings({}, { ORG_NUMMER: '310702641' })).grant.orgNummer, undefined)

  assert.throws(() => tokenRequestFrom('token', { admin: true, scope: ['a'] }, settings({ MASKINPORTEN_SCOPES: 'a' })), UsageError)
  assert.throws(() => tokenRequestFrom('token', { 'skd-aksjonaer': true }, settings({})), /needs|give the customer's org/)
  assert.throws(() => tokenRequestFrom('token', { 'external-ref': 'r' }, settings({})), UsageError)
  assert.throws(
    () => tokenRequestFrom('token', {}, settings(flagVariables('token', { org: '123456789' }))),
    /--org "123456789" has a wrong check digit/,
  )
  assert.throws(() => tokenRequestFrom('token', {}, settings({}, { ORG_NUMMER: '12345' })), /ORG_NUMMER "12345" is not nine digits/)
})
