// Key text where the key file's path belongs (a PEM pasted into MASKINPORTEN_PRIVAT_NOKKEL, --key or .env): the
// built bin refuses it, names the setting, and prints no line of the key, from `token`, `grant` and `doctor`.
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { assertNoSecrets, testKey } from '../support/fixtures.ts'
import { requireBuiltBin, runCli, tempDir } from './run-cli.ts'

const { dir, cleanup } = tempDir()
after(cleanup)
before(requireBuiltBin)

const pem = testKey().pkcs8
/** Every line of the key's body: none may be printed, on stdout or stderr. */
const keyLines = pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'))
const base = { MASKINPORTEN_CLIENT_ID: 'client-1', MASKINPORTEN_KID: 'kid-1', WENCHE_ENV: 'test' }

function assertRefused(r: { code: number | null; stdout: string; stderr: string }, name: string, variable: RegExp): void {
  assert.equal(r.code, 1, `${name}: ${r.stdout}${r.stderr}`)
  assert.match(r.stdout + r.stderr, variable, name)
  assert.match(r.stdout + r.stderr, /holds key text, not a path to a key file/, name)
  assert.ok(!(r.stdout + r.stderr).includes('-----BEGIN'), `${name}: the PEM header is not printed`)
  assertNoSecrets([r.stdout, r.stderr], keyLines)
}

test('token, grant and doctor --offline refuse a PEM in MASKINPORTEN_PRIVAT_NOKKEL or --key, naming it, printing none of it', async () => {
  const inEnv = { ...base, MASKINPORTEN_PRIVAT_NOKKEL: pem }
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['token, variable', ['token'], inEnv, /MASKINPORTEN_PRIVAT_NOKKEL holds key text/],
    ['grant, variable', ['grant'], inEnv, /MASKINPORTEN_PRIVAT_NOKKEL holds key text/],
    ['doctor, variable', ['doctor', '--offline'], inEnv, /✗ MASKINPORTEN_PRIVAT_NOKKEL: .*MASKINPORTEN_PRIVAT_NOKKEL holds key text/],
    ['token, --key=', ['token', `--key=${pem}`], base, /--key holds key text/],
    ['doctor, --key=', ['doctor', '--offline', `--key=${pem}`], base, /✗ MASKINPORTEN_PRIVAT_NOKKEL: .*--key holds key text/],
  ]
  for (const [name, args, env, variable] of cases) assertRefused(await runCli(args, { cwd: dir, env }), name, variable)
})

test('--key "<pem>" as its own argument is a usage error (it starts with a dash), and is not echoed either', async () => {
  for (const args of [['token', '--key', pem], ['doctor', '--offline', '--key', pem]]) {
    const r = await runCli(args, { cwd: dir, env: base })
    assert.equal(r.code, 2, r.stderr)
    assert.match(r.stderr, /--key/)
    assert.ok(!(r.stdout + r.stderr).includes('-----BEGIN'))
    assertNoSecrets([r.stdout, r.stderr], keyLines)
  }
})

test('a PEM in .env under MASKINPORTEN_PRIVAT_NOKKEL: refused, naming the .env file', async () => {
  const { dir: cwd, cleanup: done } = tempDir()
  try {
    writeFileSync(join(cwd, '.env'), `MASKINPORTEN_PRIVAT_NOKKEL="${pem}"\n`, { mode: 0o600 })
    for (const args of [['token'], ['doctor', '--offline']]) {
      const r = await runCli(args, { cwd, env: base })
      assertRefused(r, args.join(' '), /MASKINPORTEN_PRIVAT_NOKKEL in .*\.env holds key text/)
    }
  } finally {
    done()
  }
})
