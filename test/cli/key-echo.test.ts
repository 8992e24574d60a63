// Key text in the wrong place: the private key, as a PEM or as a NAIS private JWK, put into every flag, variable and
// argument the CLI reads. Whatever the CLI says about the bad value (a usage error, a doctor line, a progress note,
// the server's refusal), no line of the key reaches stdout or stderr. The built bin, against the emulator.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CUSTOMER_ORG, emulatorFixture } from './emulator-setup.ts'
import { runCli, type CliResult } from './run-cli.ts'

const fx = emulatorFixture()

/** One run: the arguments and variables, given the misplaced key text `s`. */
type Case = [name: string, make: (s: string) => { args: string[]; env?: Record<string, string>; input?: string }]

// Settings are merged before they are used (flag > environment > .env), so each goes in once, by flag or variable;
// runs that fail at the first bad setting take one bad setting each, the doctor (which reports every line) several.
const CASES: Case[] = [
  // The scope in the progress line, the client id and kid in the grant; the server's refusal.
  ['token --client-id --kid --scope', (s) => ({ args: ['token', '--no-cache', `--client-id=${s}`, `--kid=${s}`, `--scope=${s}`] })],
  ['token --scope as its own argument', (s) => ({ args: ['token', '--no-cache', '--scope', s] })],
  ['token --env', (s) => ({ args: ['token', `--env=${s}`] })],
  ['token --issuer --altinn-url', (s) => ({ args: ['token', '--altinn', `--issuer=${s}`, `--altinn-url=${s}`] })],
  ['token ALTINN_URL', (s) => ({ args: ['token', '--no-cache', '--altinn'], env: { ALTINN_URL: s } })],
  ['token ORG_NUMMER', (s) => ({ args: ['token'], env: { ORG_NUMMER: s } })],
  ['token --external-ref --resource', (s) => ({ args: ['token', '--no-cache', '--org', CUSTOMER_ORG, `--external-ref=${s}`, `--resource=${s}`] })],
  ['token, an argument', (s) => ({ args: ['token', '--', s] })],
  ['grant --client-id --kid', (s) => ({ args: ['grant', `--client-id=${s}`, `--kid=${s}`] })],
  ['grant --consumer-org', (s) => ({ args: ['grant', `--consumer-org=${s}`] })],
  // The doctor reports each variable on its own line; the config and the online checks once those pass.
  ['doctor: client id, kid, env, scope, consumer org', (s) => ({
    args: ['doctor', '--offline', `--consumer-org=${s}`],
    env: { MASKINPORTEN_CLIENT_ID: s, MASKINPORTEN_KID: s, WENCHE_ENV: s, MASKINPORTEN_SCOPES: s },
  })],
  ['doctor --org', (s) => ({ args: ['doctor', '--offline', `--org=${s}`] })],
  ['doctor --issuer --altinn-url, online', (s) => ({ args: ['doctor', `--issuer=${s}`, `--altinn-url=${s}`] })],
  // decode: the key as the token argument (a PEM starts with dashes: an unknown option), and on stdin.
  ['decode <key>', (s) => ({ args: ['decode', s] })],
  ['decode -', (s) => ({ args: ['decode', '-'], input: s })],
  // The key as the command.
  ['<key> as the command', (s) => ({ args: [s] })],
]

/** Runs `make`s at most `limit` at a time. */
async function inParallel<T>(makes: Array<() => Promise<T>>, limit = 4): Promise<T[]> {
  const results: T[] = new Array(makes.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < makes.length) {
      const i = next++
      results[i] = await makes[i]!()
    }
  }
  await Promise.all(Array.from({ length: limit }, worker))
  return results
}

test('a PEM or a private JWK in any flag, variable or argument: no line of it is printed', async () => {
  const { pem, privateJwk } = fx.setup
  const jwk = JSON.parse(privateJwk) as Record<string, string>
  const secrets: Array<[kind: string, text: string, lines: string[]]> = [
    ['PEM', pem, pem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'))],
    // Every private member, and the JSON's opening as a whole.
    ['JWK', privateJwk, [...['d', 'p', 'q', 'dp', 'dq', 'qi'].map((name) => jwk[name]!.slice(4, 40)), privateJwk.slice(0, 40)]],
  ]
  const base = fx.setup.env(fx.keyFile, { WENCHE_ENV: 'test' })
  const started = Date.now()
  const runs = secrets.flatMap(([kind, text, lines]) =>
    CASES.map(([name, make]) => async (): Promise<[string, CliResult, string[]]> => {
      const { args, env = {}, input } = make(text)
      const result = await runCli(args, { cwd: fx.dir, env: { ...base, ...env }, ...(input === undefined ? {} : { input }) })
      return [`${kind} in ${name}`, result, lines]
    }),
  )
  const results = await inParallel(runs)
  for (const [name, r, lines] of results) {
    assert.notEqual(r.code, 0, `${name}: refused`)
    const printed = r.stdout + r.stderr
    assert.ok(!printed.includes('"kty"'), `${name}: ${printed}`)
    for (const line of lines) assert.ok(!printed.includes(line), `${name} printed part of the key:\n${printed}`)
  }
  // The failure is still explained: the setting is named or the value described.
  const said = (name: string) => results.find(([n]) => n === name)![1].stderr
  assert.match(said('PEM in token --env'), /--env must be test \(or tt02\) or prod; got \(\d+ characters, not shown: looks like key material\)/)
  assert.match(said('PEM in decode <key>'), /unknown option \(\d+ characters, not shown: looks like key material\)/)
  assert.match(said('PEM in token --scope as its own argument'), /--scope's value starts with a dash; if that is meant, write --scope=VALUE/)
  assert.match(said('JWK in token, an argument'), /unexpected argument \(\d+ characters, not shown/)
  // Nothing is sent with key text in it: Maskinporten's refusal would quote a bad scope back.
  assert.match(said('JWK in token --client-id --kid --scope'), /--scope holds \(\d+ characters, not shown[^\n]*\), not scopes/)
  assert.match(said('PEM in grant --client-id --kid'), /--client-id holds \(\d+ characters, not shown: looks like key material\), not a client id/)
  assert.match(said('JWK in token --scope as its own argument'), /--scope holds \(\d+ characters, not shown[^\n]*\), not scopes/)
  assert.doesNotMatch(said('JWK in token --scope as its own argument'), /Asking/)
  assert.match(said('PEM in token --external-ref --resource'), /--external-ref holds \(\d+ characters, not shown/)
  assert.match(said('JWK in <key> as the command'), /unknown command \(\d+ characters, not shown/)
  const doctor = results.find(([n]) => n === 'PEM in doctor: client id, kid, env, scope, consumer org')![1].stdout
  assert.match(doctor, /^✗ MASKINPORTEN_CLIENT_ID: MASKINPORTEN_CLIENT_ID holds \(\d+ characters, not shown/m)
  assert.match(doctor, /^✗ MASKINPORTEN_KID: MASKINPORTEN_KID holds \(\d+ characters, not shown/m)
  assert.match(doctor, /^✗ WENCHE_ENV: \(\d+ characters, not shown: looks like key material\) \(from the environment\) must be test \(or tt02\) or prod/m)
  assert.match(doctor, /^✗ request: MASKINPORTEN_SCOPES holds \(\d+ characters, not shown/m)
  assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`)
})
