/**
 * `maskinporten emulator` as a process: the first stdout line, a client from --config, and a clean stop on
 * SIGTERM and SIGINT.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { generateSigningKey, type GeneratedKey } from '../../src/signing/keys.js'
import { VENDOR_ORG, requestToken, signGrant } from './fixtures.js'
import { ROOT } from '../support/paths.ts'

const root = ROOT

function run(args: string[]): ChildProcess {
  return spawn(process.execPath, ['dist/cli/bin.cjs', 'emulator', ...args], { cwd: root })
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.once('line', (line) => (lines.close(), resolve(line)))
    child.once('exit', (code) => reject(new Error(`exited ${code} before printing`)))
  })
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

describe('emulator: the CLI command', () => {
  let dir: string
  let key: GeneratedKey
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'emulator-cli-'))
    key = await generateSigningKey()
  })
  after(() => rm(dir, { recursive: true, force: true }))

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`prints the listening line, serves the configured client, stops on ${signal}`, async () => {
      const config = join(dir, 'clients.json')
      const client = { clientId: 'cli-client', orgNummer: VENDOR_ORG, jwks: { keys: [key.publicJwk] }, scopes: ['altinn:instances.read'] }
      await writeFile(config, JSON.stringify({ clients: [client] }))
      const child = run(['--port', '0', '--host', '127.0.0.1', '--config', config])
      const exited = exitCode(child)
      try {
        const line = await firstLine(child)
        const match = /^Maskinporten emulator listening on (http:\/\/127\.0\.0\.1:(\d+))$/.exec(line)
        assert.ok(match, line)
        const url = match[1]!
        const iat = Math.floor(Date.now() / 1000)
        const claims = { aud: `${url}/`, iss: 'cli-client', scope: 'altinn:instances.read', iat, exp: iat + 100, jti: `j-${signal}` }
        const answer = await requestToken({ issuer: `${url}/` }, signGrant(key.privateKey, { alg: 'RS256', kid: key.kid }, claims))
        assert.equal(answer.status, 200, answer.text)
      } finally {
        child.kill(signal)
      }
      assert.equal(await exited, 0)
    })
  }

  it('refuses a bad port with a usage error (exit 2), and a missing config file (exit 1)', async () => {
    const badPort = run(['--port', 'eighty'])
    assert.equal(await exitCode(badPort), 2)
    const missing = run(['--config', join(dir, 'missing.json')])
    assert.equal(await exitCode(missing), 1)
  })

  it('takes --debug as every command does, and prints the token endpoint under a slashless issuer', async () => {
    const child = run(['--debug', '--issuer', 'http://127.0.0.1:9/sky'])
    const exited = exitCode(child)
    let err = ''
    child.stderr!.on('data', (d) => (err += d))
    try {
      assert.match(await firstLine(child), /^Maskinporten emulator listening on http:\/\/127\.0\.0\.1:\d+$/)
      // Waits for the settings on stderr, but not for a child that is gone (its streams closed) nor past a deadline.
      let closed = false
      child.once('close', () => (closed = true))
      const deadline = Date.now() + 10_000
      while (!err.includes('altinnUrl')) {
        assert.ok(!closed, `the emulator stopped before printing its settings; stderr: ${err}`)
        assert.ok(Date.now() < deadline, `no settings on stderr within 10 s; stderr: ${err}`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      assert.match(err, /^token endpoint: http:\/\/127\.0\.0\.1:9\/sky\/token$/m)
    } finally {
      child.kill('SIGTERM')
    }
    assert.equal(await exited, 0)
    const missing = run(['--debug', '--config', join(dir, 'missing.json')])
    let stack = ''
    missing.stderr!.on('data', (d) => (stack += d))
    assert.equal(await exitCode(missing), 1)
    assert.match(stack, /--config cannot be read/)
    assert.match(stack, /\n\s+at /)
  })

  it('prints its help', async () => {
    const child = run(['--help'])
    let out = ''
    child.stdout!.on('data', (d) => (out += d))
    assert.equal(await exitCode(child), 0)
    assert.match(out, /Usage: maskinporten emulator \[--port N\] \[--host H\] \[--config FILE\]/)
  })
})
