// What a newcomer's mistakes get from the built bin, offline: "did you mean", the dash advice only where it helps,
// WENCHE_ENV in any case, a bad issuer quoted whole with its source, `~/` in key paths, a directory or a public JWK
// as the key, and `decode` with nothing to decode.
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { requireBuiltBin, runCli, tempDir } from './run-cli.ts'

const { dir, cleanup } = tempDir()
after(cleanup)
before(requireBuiltBin)

const run = (args: string[], env: Record<string, string> = {}, cwd = dir) => runCli(args, { cwd, env })
const BASE = { MASKINPORTEN_CLIENT_ID: 'first-contact', MASKINPORTEN_KID: 'kid-1' }

test('unknown commands and flags: did you mean, exit 2', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['tokn'], /unknown command "tokn"; did you mean `maskinporten token`\?/],
    [['dcoder'], /unknown command "dcoder"; did you mean `maskinporten decode`\?/],
    [['--verison'], /unknown flag "--verison" before the command; did you mean --version\?/],
    [['token', '--altin'], /unknown option "--altin"; did you mean --altinn\?/],
    [['token', '--orgnr', '310702641'], /unknown option "--orgnr"; did you mean --org\?/],
    [['doctor', '--ofline'], /unknown option "--ofline"; did you mean --offline\?/],
    [['token', '-H'], /unknown option "-H"; did you mean -h \(--help\)\?/],
  ]
  for (const [args, expected] of cases) {
    const r = await run(args)
    assert.equal(r.code, 2, args.join(' '))
    assert.match(r.stderr, expected)
    assert.doesNotMatch(r.stderr, /starts with a dash|goes after --/, `${args.join(' ')}: no dash advice for a flag typo`)
  }
  const far = await run(['frobnicate'])
  assert.equal(far.code, 2)
  assert.match(far.stderr, /unknown command "frobnicate"\n/)
  assert.doesNotMatch(far.stderr, /did you mean/)
})

test('the dash advice comes only when a value that starts with a dash was given', async () => {
  const value = await run(['decode', '-abc.def'])
  assert.equal(value.code, 2)
  assert.match(value.stderr, /A value that starts with a dash goes after --/)
  const flagValue = await run(['token', '--scope', '-x'])
  assert.match(flagValue.stderr, /--scope's value starts with a dash; if that is meant, write --scope=VALUE/)
  const missing = await run(['token', '--scope'])
  assert.match(missing.stderr, /--scope needs a value/)
  assert.doesNotMatch(missing.stderr, /dash/)
})

test('WENCHE_ENV and --env: any case, tt02 is test', async () => {
  for (const [env, expected] of [['TEST', 'test'], ['tt02', 'test'], ['TT02', 'test'], ['Prod', 'prod']] as const) {
    const viaVar = await run(['doctor', '--offline'], { ...BASE, WENCHE_ENV: env })
    assert.match(viaVar.stdout, new RegExp(`✓ WENCHE_ENV: ${expected} \\(from "${env}"\\)`), viaVar.stdout)
    const viaFlag = await run(['doctor', '--offline', '--env', env], BASE)
    assert.match(viaFlag.stdout, new RegExp(`✓ WENCHE_ENV: ${expected} \\(from "${env}"\\) \\(from --env\\)`))
  }
  // The grant's aud shows which environment was taken.
  mkdirSync(join(dir, 'env'), { recursive: true })
  await run(['keygen', '--out', '.', '--kid', 'kid-1'], {}, join(dir, 'env'))
  const grant = await run(['grant', '--env', 'TT02'], BASE, join(dir, 'env'))
  assert.equal(grant.code, 0, grant.stderr)
  assert.match(grant.stderr, /aud "https:\/\/test\.maskinporten\.no\/"/)
  const bad = await run(['token', '--env', 'staging'])
  assert.match(bad.stderr, /--env must be test \(or tt02\) or prod; got "staging"/)
})

test('a malformed issuer: the whole value, where it came from, the URL meant; doctor skips the online checks', async () => {
  const fromEnv = await run(['token'], { ...BASE, MASKINPORTEN_ISSUER: 'localhost:8099' })
  assert.equal(fromEnv.code, 1)
  assert.match(fromEnv.stderr, /MASKINPORTEN_ISSUER is "localhost:8099", which is not an http\(s\) URL; did you mean "http:\/\/localhost:8099\/"\?/)
  assert.doesNotMatch(fromEnv.stderr, /"localhost:"|issuer must/)

  const fromFlag = await run(['token', '--issuer', 'test.maskinporten.no'], BASE)
  assert.match(fromFlag.stderr, /--issuer is "test\.maskinporten\.no", which is not an http\(s\) URL; did you mean "https:\/\/test\.maskinporten\.no\/"\?/)

  const dotenvDir = join(dir, 'dotenv-issuer')
  mkdirSync(dotenvDir, { recursive: true })
  writeFileSync(join(dotenvDir, '.env'), 'ALTINN_URL=127.0.0.1:8099\n')
  const fromDotenv = await run(['token'], BASE, dotenvDir)
  assert.match(fromDotenv.stderr, /ALTINN_URL in \S+\.env is "127\.0\.0\.1:8099", which is not an http\(s\) URL; did you mean "http:\/\/127\.0\.0\.1:8099"\?/)

  const doctor = await run(['doctor'], { ...BASE, MASKINPORTEN_ISSUER: 'localhost:8099' })
  assert.equal(doctor.code, 1)
  assert.match(doctor.stdout, /✗ MASKINPORTEN_ISSUER: MASKINPORTEN_ISSUER is "localhost:8099"/)
  assert.match(doctor.stdout, /- online checks: skipped: fix MASKINPORTEN_ISSUER first/)
  assert.doesNotMatch(doctor.stdout, /issuer metadata|Could not reach/)
})

test('key paths: ~/ is the home directory; a directory or the public JWK gets its own message', async () => {
  const home = join(dir, 'home')
  mkdirSync(join(home, 'keys'), { recursive: true })
  const keygen = await run(['keygen', '--out', join(home, 'keys'), '--kid', 'kid-1'], {}, home)
  assert.equal(keygen.code, 0, keygen.stderr)
  const work = join(dir, 'work')
  mkdirSync(work, { recursive: true })
  writeFileSync(join(work, '.env'), 'MASKINPORTEN_PRIVAT_NOKKEL=~/keys/maskinporten_privat.pem\n')
  const tilde = await run(['doctor', '--offline'], { ...BASE, HOME: home }, work)
  assert.equal(tilde.code, 0, tilde.stdout)
  assert.match(tilde.stdout, new RegExp(`✓ MASKINPORTEN_PRIVAT_NOKKEL: ${join(home, 'keys', 'maskinporten_privat.pem')} `))
  assert.match(tilde.stdout, /✓ private key: RSA 2048 bits/)

  const directory = await run(['token'], { ...BASE, MASKINPORTEN_PRIVAT_NOKKEL: join(home, 'keys') })
  assert.equal(directory.code, 1)
  assert.match(directory.stderr, /MASKINPORTEN_PRIVAT_NOKKEL names "\S+keys", which is a directory: name the PEM file in it \(maskinporten_privat\.pem/)

  const jwk = await run(['token'], { ...BASE, MASKINPORTEN_PRIVAT_NOKKEL: join(home, 'keys', 'maskinporten_public_jwk.json') })
  assert.equal(jwk.code, 1)
  assert.match(jwk.stderr, /which holds a public JWK \(what goes to Digdir's portal\), not the private key: point it at the PEM file next to it/)
  const doctor = await run(['doctor', '--offline', '--key', join(home, 'keys', 'maskinporten_public_jwk.json')], BASE)
  assert.match(doctor.stdout, /✗ private key: .*holds a public JWK/)
})

test('decode with nothing to decode says so', async () => {
  const empty = await runCli(['decode', '-'], { cwd: dir, input: '' })
  assert.equal(empty.code, 1)
  assert.match(empty.stderr, /^maskinporten: No token to decode: stdin was empty\. Pass one, or pipe one in/)
  assert.doesNotMatch(empty.stderr, /three dot-separated parts/)
  const blank = await runCli(['decode'], { cwd: dir, input: '\n  \n' })
  assert.match(blank.stderr, /No token to decode: stdin was empty/)
})
