// The file cache's lock: concurrent `maskinporten token` runs with one configuration send one request, and a run
// killed while holding the lock (SIGKILL: no cleanup) does not hold up the next one.
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { assertNoSecrets } from '../support/fixtures.ts'
import { emulatorFixture } from './emulator-setup.ts'
import { BIN, runCli } from './run-cli.ts'

const fx = emulatorFixture()

async function until(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !condition(); await sleep(20)) if (Date.now() > end) assert.fail(`${what} within ${timeoutMs} ms`)
}

test('10 concurrent runs, one configuration, a slow first answer: 1 token request, one token for all', async () => {
  const cache = join(fx.dir, 'cache-lock-a')
  const env = fx.setup.env(fx.keyFile, { XDG_CACHE_HOME: cache })
  // The first request is held for a while, so that every run is surely under way before it is answered.
  fx.setup.emu.injectFault({ endpoint: 'token', kind: 'delay', delayMs: 1_500 })
  const before = fx.setup.emu.stats().token.requests
  const runs = await Promise.all(Array.from({ length: 10 }, () => runCli(['token', '--admin'], { cwd: fx.dir, env, timeoutMs: 30_000 })))
  for (const run of runs) assert.equal(run.code, 0, run.stderr)
  assert.equal(new Set(runs.map((r) => r.stdout)).size, 1, 'one token')
  assert.equal(fx.setup.emu.stats().token.requests, before + 1, 'one request')
  assert.equal(runs.filter((r) => /Asking /.test(r.stderr)).length, 1, 'one run asked')
  assertNoSecrets(runs.map((r) => r.stderr), [...fx.setup.secrets, runs[0]!.stdout.trim()])
  const dir = join(cache, 'wenche-maskinporten')
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('lock-')), [], 'the lock is gone after')
})

test('a run killed with SIGKILL while holding the lock: the next run proceeds at once', async () => {
  const cache = join(fx.dir, 'cache-lock-b')
  const env = fx.setup.env(fx.keyFile, { XDG_CACHE_HOME: cache })
  const dir = join(cache, 'wenche-maskinporten')
  fx.setup.emu.injectFault({ endpoint: 'token', kind: 'delay', delayMs: 8_000 })
  const before = fx.setup.emu.stats().token.requests
  const holder = spawn(process.execPath, [BIN, 'token'], { cwd: fx.dir, env: { PATH: process.env.PATH ?? '', HOME: fx.dir, CI: 'true', ...env }, stdio: 'ignore' })
  await until('the holder has the lock and its request is at the emulator', () => fx.setup.emu.stats().token.requests > before && existsSync(dir) && readdirSync(dir).some((n) => n.startsWith('lock-')))
  const exited = new Promise((resolve) => holder.once('exit', resolve))
  holder.kill('SIGKILL')
  await exited
  assert.ok(readdirSync(dir).some((n) => n.startsWith('lock-')), 'the killed run left its lock behind')
  const next = await runCli(['token'], { cwd: fx.dir, env, timeoutMs: 30_000 })
  assert.equal(next.code, 0, next.stderr)
  assert.match(next.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/)
  assert.equal(fx.setup.emu.stats().token.requests, before + 2, "the killed run's request and the next run's")
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('lock-')), [], 'the stale lock was taken over and released')
})

test("logout removes locks nobody holds (dead holder, expired, left-overs) and leaves a live run's lock", async () => {
  const cache = join(fx.dir, 'cache-lock-c')
  const env = fx.setup.env(fx.keyFile, { XDG_CACHE_HOME: cache })
  assert.equal((await runCli(['token'], { cwd: fx.dir, env })).code, 0) // makes the directory as the bin does
  const dir = join(cache, 'wenche-maskinporten')
  const gone = spawnSync(process.execPath, ['-e', '0']).pid! // a pid that has just exited
  const lock = (name: string, owner: Record<string, unknown>): void => writeFileSync(join(dir, name), JSON.stringify(owner), { mode: 0o600 })
  const later = Date.now() + 60_000
  lock(`lock-${'a'.repeat(64)}`, { pid: process.pid, host: hostname(), id: 'live', expiresAt: later })
  lock(`lock-${'b'.repeat(64)}`, { pid: gone, host: hostname(), id: 'dead', expiresAt: later })
  lock(`lock-${'c'.repeat(64)}`, { pid: process.pid, host: hostname(), id: 'expired', expiresAt: Date.now() - 1 })
  lock(`lock-${'d'.repeat(64)}.1.abc.stale`, { pid: gone, host: hostname(), id: 'aside', expiresAt: later })
  const logout = await runCli(['logout'], { cwd: fx.dir, env })
  assert.equal(logout.code, 0, logout.stderr)
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('lock-')), [`lock-${'a'.repeat(64)}`])
})
