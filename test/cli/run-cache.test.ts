// The run cache (src/cli/run-cache.cts): a repeated `maskinporten token` is answered from its note and the token
// file alone. The oracle for "answered the short way" is a copy of the bin with only the run cache's own files
// beside it: it can print a token only if nothing else is loaded, and fails ("cannot load the command line")
// whenever it would have to take the long way.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { isRunVariable, PACKAGE_VERSION, runKey, sha256Hex } from '../../src/cli/run-cache.cts'
import { MARGIN_MS, MAX_TOKEN_LIFETIME_MS as FILES_MAX_LIFETIME } from '../../src/cli/cache-files.cts'
import { MAX_TOKEN_LIFETIME_MS } from '../../src/exchange/limits.ts'
import { VERSION } from '../../src/http/version.ts'
import { assertNoSecrets } from '../support/fixtures.ts'
import { ROOT } from '../support/paths.ts'
import { emulatorFixture } from './emulator-setup.ts'
import { runCli, runShortWay, tempDir, type CliResult } from './run-cli.ts'

const fx = emulatorFixture()

/** Runs the short-way-only copy of the bin: exit 0 means the run cache answered, exit 1 that it could not. */
function shortWay(args: string[], env: Record<string, string>, cwd = fx.dir): Promise<CliResult> {
  return runShortWay(args, { cwd, env, copyIn: join(fx.dir, 'short-way') })
}

function answered(r: CliResult): void {
  assert.equal(r.code, 0, `the run cache should have answered: ${r.stderr}`)
}

function missed(r: CliResult): void {
  assert.equal(r.code, 1, `the run cache should not have answered: ${r.stdout}`)
  assert.match(r.stderr, /cannot load the command line/)
  assert.equal(r.stdout, '')
}

function cacheOf(env: Record<string, string>): string {
  return join(env.XDG_CACHE_HOME!, 'wenche-maskinporten')
}

function notes(env: Record<string, string>): string[] {
  return readdirSync(cacheOf(env)).filter((name) => name.startsWith('run-'))
}

let cacheCount = 0
function freshEnv(extra: Record<string, string> = {}): Record<string, string> {
  return fx.setup.env(fx.keyFile, { XDG_CACHE_HOME: join(fx.dir, `run-cache-${++cacheCount}`), ...extra })
}

test('sha256Hex is SHA-256: equal to node:crypto for any text, at every block boundary', () => {
  for (let n = 0; n < 200; n++) {
    const text = 'ø'.repeat(n % 5) + 'x'.repeat(n)
    assert.equal(sha256Hex(text), createHash('sha256').update(text).digest('hex'), `length ${n}`)
  }
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 600 }), (text) => sha256Hex(text) === createHash('sha256').update(text).digest('hex')),
    { seed: 20261201, numRuns: 300 },
  )
})

test('the run cache keeps the library bounds and the package version', () => {
  assert.equal(FILES_MAX_LIFETIME, MAX_TOKEN_LIFETIME_MS)
  assert.equal(PACKAGE_VERSION, VERSION)
  assert.equal(PACKAGE_VERSION, JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version)
})

test('every variable the command line and the configuration read is one the run key counts', () => {
  // Every name in src/cli and src/config written as an environment variable is (quoted, or read off an env/vars
  // object): a new variable that the rule missed would let a run answer with a token worked out without it.
  const names = new Set<string>()
  for (const folder of ['src/cli', 'src/config']) {
    for (const file of readdirSync(join(ROOT, folder))) {
      const text = readFileSync(join(ROOT, folder, file), 'utf8')
      for (const m of text.matchAll(/['"`]([A-Z][A-Z0-9]*_[A-Z0-9_]+)['"`]|\b(?:env|vars)(?:\.|\[['"])([A-Z][A-Z0-9]*_[A-Z0-9_]+)/g)) {
        names.add((m[1] ?? m[2])!)
      }
    }
  }
  // Not variables: Node's error codes and open flags.
  const notVariables = new Set(['ERR_PARSE_ARGS', 'O_EXCL'])
  const read = [...names].filter((name) => !notVariables.has(name))
  assert.ok(read.includes('MASKINPORTEN_CLIENT_ID') && read.includes('ORG_NUMMER') && read.includes('XDG_CACHE_HOME'), read.join(' '))
  for (const name of read) assert.ok(isRunVariable(name), `${name} is read but not in the run key`)
  assert.equal(isRunVariable('TERM'), false)
  assert.equal(isRunVariable('OLDPWD'), false)
})

test('the run key: any counted input changes it; a passphrase counts only as set or not', () => {
  const base = { args: ['--admin'], env: { MASKINPORTEN_CLIENT_ID: 'a', TERM: 'xterm' }, cwd: '/p', dotenv: null }
  const key = runKey(base)
  assert.match(key, /^[0-9a-f]{64}$/)
  assert.equal(runKey({ ...base, env: { ...base.env, TERM: 'dumb', OLDPWD: '/x' } }), key, 'other variables do not count')
  assert.notEqual(runKey({ ...base, args: ['--admin', '--json'] }), key)
  assert.notEqual(runKey({ ...base, cwd: '/q' }), key)
  assert.notEqual(runKey({ ...base, env: { ...base.env, MASKINPORTEN_CLIENT_ID: 'b' } }), key)
  assert.notEqual(runKey({ ...base, dotenv: {} }), key, 'no .env and an empty one differ')
  assert.notEqual(runKey({ ...base, dotenv: { ORG_NUMMER: '310702641' } }), key)
  assert.notEqual(runKey({ ...base, env: { ...base.env, ORG_NUMMER: '310702641' } }), runKey({ ...base, dotenv: { ORG_NUMMER: '310702641' } }), 'the source counts')
  for (const name of ['MASKINPORTEN_PRIVATE_KEY', 'MASKINPORTEN_CLIENT_JWK']) {
    const one = runKey({ ...base, env: { ...base.env, [name]: 'key one' } })
    assert.notEqual(runKey({ ...base, env: { ...base.env, [name]: 'key two' } }), one, `a new ${name} is a new run`)
  }
  // A passphrase counts as set or not: a digest of a guessable value is not kept, even inside another digest.
  const one = runKey({ ...base, env: { ...base.env, MASKINPORTEN_PASSPHRASE: 'secret one' } })
  assert.equal(runKey({ ...base, env: { ...base.env, MASKINPORTEN_PASSPHRASE: 'secret two' } }), one)
  assert.equal(runKey({ ...base, dotenv: { MASKINPORTEN_PASSPHRASE: 'x' } }), runKey({ ...base, dotenv: { MASKINPORTEN_PASSPHRASE: 'y' } }))
  assert.notEqual(one, key, 'whether it is set counts')
  assert.notEqual(runKey({ ...base, env: { ...base.env, MASKINPORTEN_PASSPHRASE: ' ' } }), one, 'set but empty is not set')
})

test('a repeat is answered by the run cache alone, with the long way\'s output; one request for both', async () => {
  const env = freshEnv()
  const before = fx.setup.emu.stats().token.requests
  missed(await shortWay(['token', '--admin'], env)) // nothing cached yet
  const first = await runCli(['token', '--admin'], { cwd: fx.dir, env })
  assert.equal(first.code, 0, first.stderr)
  const second = await shortWay(['token', '--admin'], env)
  answered(second)
  assert.equal(second.stdout, first.stdout)
  assert.match(second.stderr, /^Cached: a Maskinporten token, expires \S+ \(in \d+ s\)\n$/)
  const viaBin = await runCli(['token', '--admin'], { cwd: fx.dir, env })
  assert.equal(viaBin.stdout, first.stdout)
  assert.equal(viaBin.stderr.replace(/in \d+ s/, ''), second.stderr.replace(/in \d+ s/, ''), 'the real bin answers alike')
  assert.equal(fx.setup.emu.stats().token.requests, before + 1)

  // --debug before the command is the same run; --json is printed as the long way prints it.
  answered(await shortWay(['--debug', 'token', '--admin'], env))
  const json = await runCli(['token', '--admin', '--json'], { cwd: fx.dir, env })
  const jsonShort = await shortWay(['token', '--admin', '--json'], env)
  answered(jsonShort)
  const [a, b] = [JSON.parse(json.stdout), JSON.parse(jsonShort.stdout)] as Array<Record<string, unknown>>
  assert.deepEqual(Object.keys(b!), Object.keys(a!))
  assert.equal(b!.access_token, a!.access_token)
  assert.equal(b!.expires_at, a!.expires_at)
  assert.equal(fx.setup.emu.stats().token.requests, before + 1)

  // Notes hold no token and no key; their names are digests.
  for (const name of notes(env)) {
    assert.match(name, /^run-[0-9a-f]{64}\.json$/)
    assert.equal(statSync(join(cacheOf(env), name)).mode & 0o777, 0o600)
    const text = readFileSync(join(cacheOf(env), name), 'utf8')
    assert.ok(!text.includes(first.stdout.trim()), 'no token in a note')
    assertNoSecrets([text], fx.setup.secrets)
    assert.deepEqual(Object.keys(JSON.parse(text)), ['token', 'json', 'what', 'keyFile', 'keyStamp'])
  }
})

test('any change to what the answer depends on takes the long way; what it does not depend on does not', async () => {
  const { dir: project, cleanup } = tempDir()
  try {
    const env = freshEnv()
    const dotenv = (extra: string): void => writeFileSync(join(project, '.env'), `WENCHE_ENV=prod${extra}\n`)
    dotenv('')
    const first = await runCli(['token'], { cwd: project, env })
    assert.equal(first.code, 0, first.stderr)
    answered(await shortWay(['token'], env, project))

    answered(await shortWay(['token'], { ...env, TERM: 'dumb', SHLVL: '3' }, project))
    dotenv('\n# a comment changes no variable')
    answered(await shortWay(['token'], env, project))

    missed(await shortWay(['token', '--scope', 'altinn:instances.read'], env, project))
    missed(await shortWay(['token'], { ...env, MASKINPORTEN_SCOPES: 'altinn:instances.read' }, project))
    missed(await shortWay(['token'], { ...env, MASKINPORTEN_KID: 'another-kid' }, project))
    const elsewhere = join(project, 'elsewhere')
    mkdirSync(elsewhere)
    copyFileSync(join(project, '.env'), join(elsewhere, '.env'))
    missed(await shortWay(['token'], env, elsewhere)) // the same .env in another directory
    dotenv('\nMASKINPORTEN_SCOPES=altinn:instances.read')
    missed(await shortWay(['token'], env, project))
    // The long way then answers for the new inputs and leaves their note.
    const other = await runCli(['token'], { cwd: project, env })
    assert.equal(other.code, 0, other.stderr)
    assert.notEqual(other.stdout, first.stdout)
    const again = await shortWay(['token'], env, project)
    answered(again)
    assert.equal(again.stdout, other.stdout)

    // --no-cache neither reads nor leaves a note.
    const count = notes(env).length
    assert.equal((await runCli(['token', '--no-cache'], { cwd: project, env })).code, 0)
    assert.equal(notes(env).length, count)
    missed(await shortWay(['token', '--no-cache'], env, project))
  } finally {
    cleanup()
  }
})

test('a token with no more than the margin left, a broken or foreign file, a missing key: the long way', async () => {
  const env = freshEnv()
  const first = await runCli(['token', '--admin'], { cwd: fx.dir, env })
  assert.equal(first.code, 0, first.stderr)
  const dir = cacheOf(env)
  const [note] = notes(env)
  const noteFile = join(dir, note!)
  const tokenFile = join(dir, JSON.parse(readFileSync(noteFile, 'utf8')).token as string)
  const original = readFileSync(tokenFile, 'utf8')
  const noteText = readFileSync(noteFile, 'utf8')
  answered(await shortWay(['token', '--admin'], env))
  const restore = (): void => {
    rmSync(noteFile, { force: true })
    writeFileSync(noteFile, noteText, { mode: 0o600 })
    writeFileSync(tokenFile, original, { mode: 0o600 })
    chmodSync(noteFile, 0o600)
    chmodSync(tokenFile, 0o600)
    chmodSync(dir, 0o700)
  }

  const stored = JSON.parse(original) as { expiresAt: number; obtainedAt: number }
  writeFileSync(tokenFile, JSON.stringify({ ...stored, expiresAt: Date.now() + MARGIN_MS - 1000 }))
  missed(await shortWay(['token', '--admin'], env))
  writeFileSync(tokenFile, JSON.stringify({ ...stored, obtainedAt: stored.expiresAt - MAX_TOKEN_LIFETIME_MS - 1 }))
  missed(await shortWay(['token', '--admin'], env))
  restore()

  const cases: Array<[string, () => void]> = [
    ['a token file open to others', () => chmodSync(tokenFile, 0o644)],
    ['a note open to others', () => chmodSync(noteFile, 0o644)],
    ['a directory open to others', () => chmodSync(dir, 0o755)],
    ['a note that is not JSON', () => writeFileSync(noteFile, '{"token":')],
    ['a note pointing out of the directory', () => writeFileSync(noteFile, noteText.replace(/"token":"[^"]+"/, '"token":"../token-0.json"'))],
    ['a note with a control character', () => writeFileSync(noteFile, noteText.replace(/"what":"/, '"what":"\\u001b[2J'))],
    ['a note that is a symlink', () => {
      rmSync(noteFile)
      writeFileSync(join(dir, 'elsewhere.json'), noteText, { mode: 0o600 })
      symlinkSync(join(dir, 'elsewhere.json'), noteFile)
    }],
    ['a token file that is gone', () => rmSync(tokenFile)],
  ]
  for (const [what, spoil] of cases) {
    spoil()
    const r = await shortWay(['token', '--admin'], env)
    assert.equal(r.code, 1, `${what}: ${r.stdout}`)
    missed(r)
    restore()
    answered(await shortWay(['token', '--admin'], env))
  }

  // The key file: open to others is one warning (as the long way gives it); gone is the long way's error.
  chmodSync(fx.keyFile, 0o644)
  try {
    const warned = await shortWay(['token', '--admin'], env)
    answered(warned)
    assert.match(warned.stderr, /^Warning: the key file .* is open to other users \(mode 0644\): chmod 600 /m)
    assert.equal(warned.stderr.match(/Warning/g)?.length, 1)
  } finally {
    chmodSync(fx.keyFile, 0o600)
  }
})

test('the key: a key file replaced, edited or gone, or another key in a variable, takes the long way', async () => {
  const moved = join(fx.dir, 'moved.pem')
  const env = freshEnv({ MASKINPORTEN_PRIVAT_NOKKEL: moved })
  const put = (): void => {
    rmSync(moved, { recursive: true, force: true })
    writeFileSync(moved, fx.setup.pem, { mode: 0o600 })
  }
  put()
  assert.equal((await runCli(['token', '--admin'], { cwd: fx.dir, env })).code, 0)
  answered(await shortWay(['token', '--admin'], env))
  const spoils: Array<[string, () => void, RegExp]> = [
    ['the public JWK instead of the key', () => writeFileSync(moved, JSON.stringify({ kty: 'RSA', n: 'AQAB', e: 'AQAB' })), /public/],
    ['a directory instead of the file', () => { rmSync(moved); mkdirSync(moved) }, /directory/],
    ['no file at all', () => rmSync(moved), /moved\.pem/],
  ]
  for (const [what, spoil, says] of spoils) {
    spoil()
    const short = await shortWay(['token', '--admin'], env)
    assert.equal(short.code, 1, `${what}: the short way answered`)
    missed(short)
    const long = await runCli(['token', '--admin'], { cwd: fx.dir, env })
    assert.equal(long.code, 1, `${what}: ${long.stdout}`)
    assert.match(long.stderr, says, what)
    put()
    // The same key again, but another file: the long way reads it and leaves a new note.
    missed(await shortWay(['token', '--admin'], env))
    assert.equal((await runCli(['token', '--admin'], { cwd: fx.dir, env })).code, 0)
    answered(await shortWay(['token', '--admin'], env))
  }

  const inline = freshEnv({ MASKINPORTEN_PRIVATE_KEY: fx.setup.pem })
  assert.equal((await runCli(['token', '--admin'], { cwd: fx.dir, env: inline })).code, 0)
  answered(await shortWay(['token', '--admin'], inline))
  missed(await shortWay(['token', '--admin'], { ...inline, MASKINPORTEN_PRIVATE_KEY: 'not a key' }))
  assert.equal((await runCli(['token', '--admin'], { cwd: fx.dir, env: { ...inline, MASKINPORTEN_PRIVATE_KEY: 'not a key' } })).code, 1)
  for (const name of notes(inline)) assertNoSecrets([name, readFileSync(join(cacheOf(inline), name), 'utf8')], fx.setup.secrets)
})

test('stdout that fails after the answer began (a full disk): exit 1, said once, no second answer', { skip: existsSync('/dev/full') ? false : 'no /dev/full here' }, async () => {
  const env = freshEnv()
  assert.equal((await runCli(['token', '--admin'], { cwd: fx.dir, env })).code, 0)
  const full = openSync('/dev/full', 'w')
  try {
    const child = spawn(process.execPath, [join(fx.dir, 'short-way', 'bin.cjs'), 'token', '--admin'], { cwd: fx.dir, env: { PATH: process.env.PATH ?? '', HOME: fx.dir, ...env }, stdio: ['ignore', full, 'pipe'] })
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    assert.equal(code, 1, stderr)
    assert.equal(stderr.match(/Cached:/g)?.length, 1, stderr)
    assert.match(stderr, /^maskinporten: cannot write the token \(ENOSPC\)$/m)
    assert.doesNotMatch(stderr, /cannot load the command line|\n\s+at /)
  } finally {
    closeSync(full)
  }
})

test('logout removes the notes with the tokens; a closed stdout ends a short run quietly', async () => {
  const env = freshEnv()
  assert.equal((await runCli(['token', '--admin'], { cwd: fx.dir, env })).code, 0)
  assert.equal(notes(env).length, 1)
  // The reader goes away before the token is written (`maskinporten token | true`).
  const child = spawn(process.execPath, [join(fx.dir, 'short-way', 'bin.cjs'), 'token', '--admin'], { cwd: fx.dir, env: { PATH: process.env.PATH ?? '', HOME: fx.dir, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.destroy()
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  assert.equal(code, 0, stderr)
  assert.doesNotMatch(stderr, /Error|at /)

  const logout = await runCli(['logout'], { cwd: fx.dir, env })
  assert.equal(logout.code, 0)
  assert.match(logout.stderr, /Removed 1 cached token /)
  assert.deepEqual(readdirSync(cacheOf(env)), [])
  missed(await shortWay(['token', '--admin'], env))
})
