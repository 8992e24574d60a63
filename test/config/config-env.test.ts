// configFromEnv for what newcomers write: WENCHE_ENV in any case and tt02, MASKINPORTEN_TIMEOUT_MS, `~/` in the
// key path, and a key path naming a directory or a JWK file.
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { after, test } from 'node:test'
import { configFromEnv, envNamed, keyFilePath } from '../../src/config/config.ts'
import { isMaskinportenError } from '../../src/errors/errors.ts'

const dir = mkdtempSync(join(tmpdir(), 'config-env-'))
after(() => rmSync(dir, { recursive: true, force: true }))
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
const BASE = { MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_KID: 'k', MASKINPORTEN_PRIVATE_KEY: pem }

function refused(env: Record<string, string>, pattern: RegExp): void {
  assert.throws(() => configFromEnv(env, { cwd: dir }), (err: unknown) => isMaskinportenError(err) && err.code === 'invalid_config' && pattern.test(err.message))
}

test('WENCHE_ENV: test and prod in any case, tt02 as test; anything else refused', () => {
  for (const [value, env] of [['test', 'test'], ['TEST', 'test'], ['tt02', 'test'], [' TT02 ', 'test'], ['Prod', 'prod']] as const) {
    assert.equal(configFromEnv({ ...BASE, WENCHE_ENV: value }).env, env, value)
    assert.equal(envNamed(value), env)
  }
  assert.equal(envNamed('dev'), undefined)
  refused({ ...BASE, WENCHE_ENV: 'dev' }, /WENCHE_ENV must be "test" \(or "tt02"\) or "prod", got "dev"/)
})

test('MASKINPORTEN_TIMEOUT_MS: whole milliseconds into timeoutMs', () => {
  assert.equal(configFromEnv({ ...BASE, MASKINPORTEN_TIMEOUT_MS: '2500' }).timeoutMs, 2500)
  assert.equal(configFromEnv(BASE).timeoutMs, undefined)
  for (const bad of ['0', '1.5', '10s', '-1', '99999999999']) refused({ ...BASE, MASKINPORTEN_TIMEOUT_MS: bad }, /MASKINPORTEN_TIMEOUT_MS must be a whole number/)
})

test('key paths: ~/ is the home directory; a directory or a JWK file is named for what it is', () => {
  assert.equal(keyFilePath('~/keys/k.pem', dir), join(homedir(), 'keys/k.pem'))
  assert.equal(keyFilePath('keys/~k.pem', dir), join(dir, 'keys/~k.pem'))
  const home = join(homedir(), relative(homedir(), dir))
  assert.equal(keyFilePath(`~/${relative(homedir(), dir)}/k.pem`, '/elsewhere'), join(home, 'k.pem'))

  const keys = join(dir, 'keys')
  mkdirSync(keys)
  const env = { MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_KID: 'k' }
  refused({ ...env, MASKINPORTEN_PRIVAT_NOKKEL: keys }, /names "\S+keys", which is a directory: name the PEM file in it/)
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, string>
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk
  writeFileSync(join(keys, 'public.json'), JSON.stringify({ ...publicJwk, kid: 'k' }))
  refused({ ...env, MASKINPORTEN_PRIVAT_NOKKEL: join(keys, 'public.json') }, /which holds a public JWK \(what goes to Digdir's portal\), not the private key/)
  writeFileSync(join(keys, 'private.json'), JSON.stringify(jwk), { mode: 0o600 })
  refused({ ...env, MASKINPORTEN_PRIVAT_NOKKEL: join(keys, 'private.json') }, /which holds a private JWK, not a PEM: put the JWK in MASKINPORTEN_CLIENT_JWK/)
  writeFileSync(join(keys, 'k.pem'), pem, { mode: 0o600 })
  assert.equal(configFromEnv({ ...env, MASKINPORTEN_PRIVAT_NOKKEL: join(keys, 'k.pem') }).privateKeyPem, pem)
})
