// The built bin against the emulator, for what a newcomer meets: a world-readable key warned about once, --timeout
// making the hang advice true, MP-110 pointing at doctor, the emulator's port taken, and the README's recipe that
// points the command at the emulator with the .env lines it prints.
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { test } from 'node:test'
import { decodeToken } from '../../src/exchange/token.ts'
import { BIN, runCli, tempDir } from './run-cli.ts'
import { CUSTOMER_ORG, emulatorFixture } from './emulator-setup.ts'

const fx = emulatorFixture()

test('token with a key file of mode 0644: one warning on stderr, the token still printed', async () => {
  const { dir, cleanup } = tempDir()
  try {
    const keyFile = fx.setup.writeKey(dir)
    chmodSync(keyFile, 0o644)
    const r = await runCli(['token', '--no-cache'], { cwd: dir, env: fx.setup.env(keyFile) })
    assert.equal(r.code, 0, r.stderr)
    const warnings = r.stderr.split('\n').filter((line) => line.startsWith('Warning:'))
    assert.deepEqual(warnings, [`Warning: the key file ${keyFile} is open to other users (mode 0644): chmod 600 ${keyFile}`])
    chmodSync(keyFile, 0o600)
    const quiet = await runCli(['token', '--no-cache'], { cwd: dir, env: fx.setup.env(keyFile) })
    assert.equal(quiet.code, 0)
    assert.doesNotMatch(quiet.stderr, /Warning/)
  } finally {
    cleanup()
  }
})

test('--timeout and MASKINPORTEN_TIMEOUT_MS limit each request, and the hang advice names them', async () => {
  fx.setup.emu.injectFault({ endpoint: 'token', kind: 'hang', times: 10 })
  try {
    const r = await runCli(['token', '--no-cache', '--timeout', '300'], { cwd: fx.dir, env: fx.setup.env(fx.keyFile) })
    assert.equal(r.code, 1)
    assert.match(r.stderr, /No answer from Maskinporten at \S+ within 300 ms/)
    assert.match(r.stderr, /raise the limit with --timeout MS \(or MASKINPORTEN_TIMEOUT_MS\)/)
    assert.doesNotMatch(r.stderr, /timeoutMs/)
    const viaEnv = await runCli(['token', '--no-cache'], { cwd: fx.dir, env: fx.setup.env(fx.keyFile, { MASKINPORTEN_TIMEOUT_MS: '250' }) })
    assert.match(viaEnv.stderr, /within 250 ms/)
  } finally {
    fx.setup.emu.clearFaults()
  }
  const bad = await runCli(['token', '--timeout', '3s'], { cwd: fx.dir, env: fx.setup.env(fx.keyFile) })
  assert.equal(bad.code, 1)
  assert.match(bad.stderr, /MASKINPORTEN_TIMEOUT_MS must be a whole number of milliseconds from 1 to \d+, got "3s"/)
})

test("token's MP-110 (wrong aud) suggests maskinporten doctor", async () => {
  // The issuer without its trailing slash: the same token endpoint, but a grant aud the emulator does not take.
  const issuer = fx.setup.emu.issuer.replace(/\/$/, '')
  const r = await runCli(['token', '--no-cache'], { cwd: fx.dir, env: fx.setup.env(fx.keyFile, { MASKINPORTEN_ISSUER: issuer }) })
  assert.equal(r.code, 1)
  assert.match(r.stderr, /Invalid JWT claim aud/)
  assert.match(r.stderr, /`maskinporten doctor` \(with the same flags\) shows which of them is off/)
})

test('emulator on a port in use: a plain message, exit 1', async () => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  try {
    const r = await runCli(['emulator', '--port', String(port)], { cwd: fx.dir })
    assert.equal(r.code, 1)
    assert.equal(r.stdout, '')
    assert.equal(
      r.stderr,
      `maskinporten: Invalid configuration: --port ${port}: 127.0.0.1:${port} is in use by another program; stop it, or choose another --port (0 picks a free one)\n`,
    )
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
})

/** Lines of a stream, as they come. */
function lines(stream: NodeJS.ReadableStream): AsyncIterator<string> {
  return createInterface({ input: stream })[Symbol.asyncIterator]()
}

test("README recipe: keygen, a clients.json, the emulator's .env lines, then doctor and token --altinn", async () => {
  const { dir, cleanup } = tempDir('maskinporten-recipe-')
  let child: ChildProcess | undefined
  try {
    const keygen = await runCli(['keygen', '--kid', 'emu-key'], { cwd: dir })
    assert.equal(keygen.code, 0, keygen.stderr)
    const jwk = JSON.parse(readFileSync(join(dir, 'maskinporten_public_jwk.json'), 'utf8')) as Record<string, unknown>
    const client = {
      clientId: 'my-client',
      orgNummer: '991825827',
      jwks: { keys: [jwk] },
      scopes: ['altinn:instances.read', 'altinn:instances.write'],
      systemUsers: [{ orgNummer: CUSTOMER_ORG }],
    }
    writeFileSync(join(dir, 'clients.json'), JSON.stringify({ clients: [client] }))
    child = spawn(process.execPath, [BIN, 'emulator', '--port', '0', '--config', 'clients.json'], { cwd: dir })
    const out = lines(child.stdout!)
    const first = (await out.next()).value as string
    assert.match(first, /^Maskinporten emulator listening on http:\/\/127\.0\.0\.1:\d+$/)
    const env: string[] = []
    const err = lines(child.stderr!)
    for (let line = await err.next(); !line.done; line = await err.next()) {
      if (/^[A-Z_]+=/.test(line.value)) env.push(line.value)
      if (line.value.startsWith('MASKINPORTEN_PRIVAT_NOKKEL=')) break
    }
    const url = first.slice(first.indexOf('http'))
    assert.deepEqual(env, [
      `MASKINPORTEN_ISSUER=${url}/`,
      `ALTINN_URL=${url}`,
      'MASKINPORTEN_CLIENT_ID=my-client',
      'MASKINPORTEN_KID=emu-key',
      'MASKINPORTEN_PRIVAT_NOKKEL=maskinporten_privat.pem',
    ])
    writeFileSync(join(dir, '.env'), `${env.join('\n')}\n`)
    const doctor = await runCli(['doctor', '--altinn', '--org', CUSTOMER_ORG], { cwd: dir })
    assert.equal(doctor.code, 0, doctor.stdout)
    const token = await runCli(['token', '--altinn', '--org', CUSTOMER_ORG], { cwd: dir })
    assert.equal(token.code, 0, token.stderr)
    assert.equal(decodeToken(token.stdout.trim()).claims['urn:altinn:orgNumber'], '991825827')
  } finally {
    child?.kill('SIGTERM')
    if (child && child.exitCode === null) await new Promise((resolve) => child!.once('exit', resolve))
    cleanup()
  }
})
