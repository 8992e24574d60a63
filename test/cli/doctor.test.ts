// `maskinporten doctor` online, the built bin against the emulator: a good setup, and each broken one.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { judgeClock } from '../../src/cli/doctor-online.ts'
import { assertNoSecrets } from '../support/fixtures.ts'
import { CUSTOMER_ORG, STRANGER_ORG, emulatorFixture, startSetup } from './emulator-setup.ts'
import { closedPort, runCli, tempDir, type CliResult } from './run-cli.ts'

const fx = emulatorFixture()
const printed: CliResult[] = []

async function doctor(env: Record<string, string>, args: string[] = []): Promise<CliResult> {
  const result = await runCli(['doctor', ...args], { cwd: fx.dir, env })
  printed.push(result)
  return result
}

test('doctor on a good setup: every check passes, the token is asked for and not shown', async () => {
  const before = fx.setup.emu.stats()
  const r = await doctor(fx.setup.env(fx.keyFile, { ORG_NUMMER: CUSTOMER_ORG }), ['--altinn'])
  assert.equal(r.code, 0, r.stdout + r.stderr)
  assert.match(r.stdout, /✓ issuer metadata: http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-authorization-server/)
  assert.match(r.stdout, /✓ clock: this machine is in step with the issuer's clock/)
  assert.match(r.stdout, /✓ token request: Maskinporten issued a token for "altinn:instances.read altinn:instances.write", lives 11\d s/)
  assert.match(r.stdout, /✓ Altinn exchange: .* issued an Altinn token, lives 1[78]\d\d s/)
  assert.doesNotMatch(r.stdout, /✗/)
  assert.equal(fx.setup.emu.stats().token.issued, before.token.issued + 1)
  assert.equal(fx.setup.emu.stats().exchange.issued, before.exchange.issued + 1)
})

test('doctor on broken setups: the failing check says what to do, exit 1', async () => {
  const cases: Array<[string, Record<string, string>, string[], RegExp]> = [
    ['unknown kid', { MASKINPORTEN_KID: 'kid-not-uploaded' }, [], /✗ token request: .*Unknown key identifier.*upload the public JWK printed by `maskinporten keygen`/],
    ['scope not on the client', { MASKINPORTEN_SCOPES: 'skatteetaten:not-ordered' }, [], /✗ token request: .*invalid_scope.*add it to the client in Digdir's self-service portal/],
    ['no approved system user', { ORG_NUMMER: STRANGER_ORG }, [], /✗ token request: .*MP-303.*the customer must approve the system user request/],
    ['wrong issuer', { MASKINPORTEN_ISSUER: `${fx.setup.emu.url}/nowhere/` }, [], /✗ issuer metadata: .*answered 404/],
  ]
  for (const [name, extra, args, expected] of cases) {
    const r = await doctor(fx.setup.env(fx.keyFile, extra), args)
    assert.equal(r.code, 1, `${name}: ${r.stdout}`)
    assert.match(r.stdout, expected, name)
    assert.match(r.stdout, /\d+ checks? failed/, name)
  }
})

test('doctor with a clock off by a minute: the clock check fails, and so does the token request (MP-130)', async () => {
  const skewed = await startSetup(-60)
  const { dir: other, cleanup: done } = tempDir()
  try {
    const r = await runCli(['doctor'], { cwd: other, env: skewed.env(skewed.writeKey(other)) })
    printed.push(r)
    assert.equal(r.code, 1)
    assert.match(r.stdout, /✗ clock: this machine is about (5[89]|6[012]) s ahead of the issuer's clock.*synchronise the clock/)
    assert.match(r.stdout, /✗ token request: .*MP-130.*synchronise this machine's clock/)
  } finally {
    await skewed.emu.close()
    done()
  }
})

test('the clock check judges the bounds a whole-second Date header allows, not a rounded guess', () => {
  const second = 1_800_000_000_000 // a Date header's moment, whole seconds
  // In step, answered at any point of the second the header names, however slow the round trip.
  for (const [sent, received] of [[second, second + 999], [second - 2_900, second + 999], [second + 998, second + 999]]) {
    assert.deepEqual(judgeClock(second, sent!, received!), {
      ok: true,
      text: "this machine is in step with the issuer's clock (Maskinporten allows 10 s)",
    })
  }
  // A minute ahead: refused, whether the answer took 2 ms or 3 s.
  for (const trip of [2, 3_000]) {
    const verdict = judgeClock(second - 60_000, second, second + trip)
    assert.equal(verdict.ok, false)
    assert.match(verdict.text, /^this machine is about (60|61) s ahead of the issuer's clock; .*synchronise the clock/)
  }
  // Behind, and within the margin: said, and passed.
  assert.match(judgeClock(second + 60_000, second, second + 5).text, /about 60 s behind/)
  assert.equal(judgeClock(second - 3_000, second, second + 5).ok, true)
  assert.match(judgeClock(second - 3_000, second, second + 5).text, /about 3 s ahead/)
  // Off by more than the margin only if the round trip leaves room for less: passed, as the bounds allow 5 s.
  assert.equal(judgeClock(second - 5_500, second - 500, second + 400).ok, true)
  assert.equal(judgeClock(second - 7_000, second, second + 5).ok, false)
})

test('doctor with the issuer unreachable: metadata and token request fail, clock is skipped', async () => {
  const r = await doctor(fx.setup.env(fx.keyFile, { MASKINPORTEN_ISSUER: `http://127.0.0.1:${await closedPort()}/` }))
  assert.equal(r.code, 1)
  assert.match(r.stdout, /✗ issuer metadata: Could not reach Maskinporten at .*: connection refused \(ECONNREFUSED\)/)
  assert.match(r.stdout, /- clock: skipped/)
  assert.match(r.stdout, /✗ token request: Could not reach Maskinporten/)
})

test('doctor prints no key and no token', () => {
  assert.ok(printed.length >= 6)
  assertNoSecrets(printed.flatMap((r) => [r.stdout, r.stderr]), fx.setup.secrets)
  for (const r of printed) assert.doesNotMatch(r.stdout + r.stderr, /eyJ[\w-]{10,}\.eyJ/, 'no JWT')
})

test('doctor with an issuer carrying credentials: refused by name, the password printed nowhere', async () => {
  const issuer = fx.setup.env(fx.keyFile).MASKINPORTEN_ISSUER!.replace('http://', 'http://user:DOCTOR-SECRET-PW@')
  const r = await doctor(fx.setup.env(fx.keyFile, { MASKINPORTEN_ISSUER: issuer }))
  assert.notEqual(r.code, 0)
  assert.match(r.stdout + r.stderr, /credentials/)
  assert.doesNotMatch(r.stdout + r.stderr, /DOCTOR-SECRET-PW/)
})
