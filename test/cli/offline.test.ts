// The built bin without a network: help, usage errors, keygen, decode, doctor --offline.
import assert from 'node:assert/strict'
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { createPrivateKey, createPublicKey } from 'node:crypto'
import { jwkThumbprint } from '../../src/signing/keys.ts'
import { VERSION } from '../../src/http/version.ts'
import { assertNoSecrets, keyFragments } from '../support/fixtures.ts'
import { requireBuiltBin, runCli, tempDir } from './run-cli.ts'

const { dir, cleanup } = tempDir()
after(cleanup)
before(requireBuiltBin)

const run = (args: string[], env: Record<string, string> = {}, input?: string, cwd = dir) =>
  runCli(args, { cwd, env, ...(input === undefined ? {} : { input }) })

test('--help, <cmd> --help and --version exit 0; no command, an unknown command or flag exit 2', async () => {
  const help = await run(['--help'])
  assert.equal(help.code, 0)
  for (const cmd of ['keygen', 'token', 'grant', 'decode', 'doctor', 'logout', 'emulator']) {
    assert.match(help.stdout, new RegExp(`^  ${cmd} `, 'm'))
  }
  const tokenHelp = await run(['token', '--help'])
  assert.equal(tokenHelp.code, 0)
  assert.match(tokenHelp.stdout, /--altinn[\s\S]*--no-cache[\s\S]*--skd-aksjonaer[\s\S]*Examples:/)
  assert.equal((await run(['help', 'doctor'])).stdout.includes('--offline'), true)
  assert.deepEqual(await run(['--version']), { code: 0, stdout: `${VERSION}\n`, stderr: '' })

  const none = await run([])
  assert.equal(none.code, 2)
  assert.match(none.stderr, /Usage: maskinporten <command>/)
  const unknown = await run(['tokn'])
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /unknown command "tokn"/)
  const badFlag = await run(['token', '--scopes', 'x'])
  assert.equal(badFlag.code, 2)
  assert.match(badFlag.stderr, /unknown option "--scopes"[\s\S]*maskinporten token --help/)
  assert.doesNotMatch(badFlag.stderr, /\n\s+at /, 'no stack')
  const badEnv = await run(['token', '--env', 'dev'])
  assert.equal(badEnv.code, 2)
  assert.match(badEnv.stderr, /--env must be test \(or tt02\) or prod/)
  const conflict = await run(['token', '--admin', '--skattemelding'])
  assert.equal(conflict.code, 2)
})

test('keygen: PKCS#8 key 0600 in a new 0700 directory, public JWK with nothing private, next steps', async () => {
  const r = await run(['keygen', '--out', 'keys'])
  assert.equal(r.code, 0, r.stderr)
  const keyFile = join(dir, 'keys', 'maskinporten_privat.pem')
  const jwkFile = join(dir, 'keys', 'maskinporten_public_jwk.json')
  assert.equal(statSync(join(dir, 'keys')).mode & 0o777, 0o700)
  assert.equal(statSync(keyFile).mode & 0o777, 0o600)
  const pem = readFileSync(keyFile, 'utf8')
  assert.match(pem, /^-----BEGIN PRIVATE\x20KEY-----\n/)
  const key = createPrivateKey(pem)
  assert.equal(key.asymmetricKeyDetails?.modulusLength, 2048)

  const jwk = JSON.parse(readFileSync(jwkFile, 'utf8')) as Record<string, string>
  assert.deepEqual(Object.keys(jwk).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use'])
  assert.equal(jwk.kty, 'RSA')
  assert.equal(jwk.use, 'sig')
  assert.equal(jwk.alg, 'RS256')
  assert.equal(jwk.kid, jwkThumbprint({ n: jwk.n!, e: jwk.e! }), 'default kid is the RFC 7638 thumbprint')
  assert.equal(jwk.n, (key.export({ format: 'jwk' }) as { n: string }).n)
  assert.deepEqual(JSON.parse(r.stdout), jwk, 'stdout is the public JWK')
  assert.match(r.stderr, /Next steps:[\s\S]*self-service portal[\s\S]*MASKINPORTEN_KID=/)
  assertNoSecrets([r.stdout, r.stderr], keyFragments(pem))

  const again = await run(['keygen', '--out', 'keys'])
  assert.equal(again.code, 1)
  assert.match(again.stderr, /Refusing to overwrite .*maskinporten_privat\.pem[\s\S]*--force/)
  assert.equal(readFileSync(keyFile, 'utf8'), pem, 'the old key is untouched')

  const forced = await run(['keygen', '--out', 'keys', '--force', '--kid', 'my-kid-2026', '--bits', '3072'])
  assert.equal(forced.code, 0, forced.stderr)
  assert.notEqual(readFileSync(keyFile, 'utf8'), pem)
  assert.equal(createPrivateKey(readFileSync(keyFile, 'utf8')).asymmetricKeyDetails?.modulusLength, 3072)
  assert.equal(JSON.parse(readFileSync(jwkFile, 'utf8')).kid, 'my-kid-2026')

  assert.equal((await run(['keygen', '--out', 'other', '--bits', '1024'])).code, 2)
  assert.equal(existsSync(join(dir, 'other')), false)
})

// A token shaped like Maskinporten's, made here: decode does not verify, so no key is needed. Made inside the test
// that uses it, so that the time between making it and decoding it is the spawns' alone.
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
function fakeTokenAt(now: number): string {
  return `${b64({ alg: 'RS256', kid: 'mp-kid' })}.${b64({
    scope: 'altinn:instances.read',
    iss: 'https://test.maskinporten.no/',
    iat: now,
    exp: now + 119,
    consumer: { authority: 'iso6523-actorid-upis', ID: '0192:310702641' },
  })}.c2lnbmF0dXJl`
}

test('decode: from an argument and from stdin; times as ISO dates with seconds left; says it did not verify', async () => {
  const now = Math.floor(Date.now() / 1000)
  const fakeToken = fakeTokenAt(now)
  const fromArg = await run(['decode', fakeToken])
  assert.equal(fromArg.code, 0, fromArg.stderr)
  assert.match(fromArg.stdout, /"kid": "mp-kid"/)
  assert.match(fromArg.stdout, /"ID": "0192:310702641"/)
  // Spawning takes a moment, and longer under load: the seconds are checked against the time the run took.
  const exp = /exp  (\S+) \(in (\d+) s\)/.exec(fromArg.stdout)
  assert.ok(exp, fromArg.stdout)
  assert.equal(exp[1], new Date((now + 119) * 1000).toISOString())
  const took = Math.ceil(Date.now() / 1000) - now
  const left = Number(exp[2])
  assert.ok(left <= 120 && left >= 119 - took - 1, `exp in ${left} s, the run took up to ${took} s`)
  assert.match(fromArg.stdout, /iat  \S+ \((in 0 s|\d+ s ago)\)/)
  assert.match(fromArg.stderr, /Not verified/)
  assert.ok(!fromArg.stdout.includes(fakeToken) && !fromArg.stderr.includes(fakeToken))

  const fromStdin = await run(['decode', '-'], {}, `${fakeToken}\n`)
  assert.equal(fromStdin.code, 0, fromStdin.stderr)
  const timeless = (text: string) => text.replace(/\((in \d+ s|\d+ s ago)\)/g, '')
  assert.equal(timeless(fromStdin.stdout), timeless(fromArg.stdout))
  assert.match(fromStdin.stdout, /"scope": "altinn:instances.read"/)

  const json = await run(['decode', '--json'], {}, fakeToken)
  assert.equal(JSON.parse(json.stdout).claims.exp, now + 119)

  const bad = await run(['decode', 'not-a-token'])
  assert.equal(bad.code, 1)
  assert.match(bad.stderr, /Not a JWT: expected three dot-separated parts/)
})

test('doctor --offline: a good setup passes; each broken one fails with its fix', async () => {
  const { dir: cwd, cleanup: done } = tempDir()
  try {
    assert.equal((await run(['keygen'], {}, undefined, cwd)).code, 0)
    const kid = JSON.parse(readFileSync(join(cwd, 'maskinporten_public_jwk.json'), 'utf8')).kid as string
    writeFileSync(join(cwd, '.env'), `MASKINPORTEN_CLIENT_ID=client-1\nMASKINPORTEN_KID=${kid}\nWENCHE_ENV=test\n`)
    const doctor = (env: Record<string, string> = {}, args: string[] = []) =>
      run(['doctor', '--offline', ...args], env, undefined, cwd)

    const good = await doctor({ ORG_NUMMER: '310702641' })
    assert.equal(good.code, 0, good.stdout)
    assert.match(good.stdout, /✓ MASKINPORTEN_CLIENT_ID: "client-1" \(from \.env\)/)
    assert.match(good.stdout, /✓ MASKINPORTEN_PRIVAT_NOKKEL: .*maskinporten_privat\.pem \(mode 0600, the default\)/)
    assert.match(good.stdout, /✓ private key: RSA 2048 bits/)
    assert.match(good.stdout, /✓ ORG_NUMMER: 310702641 \(from the environment\)/)
    assert.match(good.stdout, /All \d+ checks passed/)
    assert.doesNotMatch(good.stdout, /✗/)

    // Flags win over the environment, which wins over .env.
    const flagged = await doctor({ MASKINPORTEN_CLIENT_ID: 'client-env' }, ['--client-id', 'client-flag'])
    assert.match(flagged.stdout, /✓ MASKINPORTEN_CLIENT_ID: "client-flag" \(from --client-id\)/)
    const envWins = await doctor({ MASKINPORTEN_CLIENT_ID: 'client-env' })
    assert.match(envWins.stdout, /✓ MASKINPORTEN_CLIENT_ID: "client-env" \(from the environment\)/)

    const badOrg = await doctor({ ORG_NUMMER: '123456789' })
    assert.equal(badOrg.code, 1)
    assert.match(badOrg.stdout, /✗ org number: .*ORG_NUMMER "123456789" has a wrong check digit/)

    writeFileSync(join(cwd, '.env'), 'WENCHE_ENV=staging\n')
    const missing = await doctor()
    assert.equal(missing.code, 1)
    assert.match(missing.stdout, /✗ MASKINPORTEN_CLIENT_ID: not set: .*--client-id/)
    assert.match(missing.stdout, /✗ MASKINPORTEN_KID: not set/)
    assert.match(missing.stdout, /✗ WENCHE_ENV: "staging" \(from \.env\) must be test \(or tt02\) or prod/)

    chmodSync(join(cwd, 'maskinporten_privat.pem'), 0o644)
    const open = await doctor({ MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_KID: kid })
    assert.equal(open.code, 1)
    assert.match(open.stdout, /✗ MASKINPORTEN_PRIVAT_NOKKEL: .* is open to other users \(mode 0644\): chmod 600/)

    const noFile = await doctor({ MASKINPORTEN_PRIVAT_NOKKEL: 'nope.pem' })
    assert.match(noFile.stdout, /✗ MASKINPORTEN_PRIVAT_NOKKEL: .*nope\.pem \(from the environment\) does not exist: make a key with `maskinporten keygen`/)

    const privateKey = createPrivateKey(readFileSync(join(cwd, 'maskinporten_privat.pem')))
    const publicPem = createPublicKey(privateKey).export({ format: 'pem', type: 'spki' })
    writeFileSync(join(cwd, 'public.pem'), publicPem, { mode: 0o600 })
    const publicKey = await doctor({ MASKINPORTEN_PRIVAT_NOKKEL: 'public.pem' })
    assert.match(publicKey.stdout, /✗ private key: .*public key/)

    const encrypted = privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'hemmelig' })
    writeFileSync(join(cwd, 'encrypted.pem'), encrypted, { mode: 0o600 })
    const locked = { MASKINPORTEN_PRIVAT_NOKKEL: 'encrypted.pem', MASKINPORTEN_PASSPHRASE: 'hemmelig' }
    assert.match((await doctor(locked)).stdout, /✓ private key: RSA 2048 bits/)
    const wrong = await doctor({ ...locked, MASKINPORTEN_PASSPHRASE: 'feil' })
    assert.match(wrong.stdout, /✗ private key: .*passphrase does not open/)
    assert.ok(!wrong.stdout.includes('feil') && !wrong.stderr.includes('feil'), 'the passphrase is not shown')

    const jwk = privateKey.export({ format: 'jwk' })
    const nais = { MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_CLIENT_JWK: JSON.stringify({ ...jwk, kid: 'nais-kid' }) }
    const naisGood = await doctor(nais)
    assert.match(naisGood.stdout, /✓ MASKINPORTEN_KID: "nais-kid" \(from MASKINPORTEN_CLIENT_JWK\)/)
    const mismatch = await doctor({ ...nais, MASKINPORTEN_KID: 'other-kid' })
    assert.equal(mismatch.code, 1)
    assert.match(mismatch.stdout, /✗ MASKINPORTEN_KID: "other-kid" .* differs from the kid "nais-kid" in MASKINPORTEN_CLIENT_JWK/)
    assertNoSecrets([naisGood.stdout, naisGood.stderr, mismatch.stdout, mismatch.stderr], [(jwk as { d: string }).d.slice(10, 40)])
  } finally {
    done()
  }
})
