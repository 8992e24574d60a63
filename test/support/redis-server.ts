// A real redis-server for one test file: on a unix socket in a private temporary directory (no TCP port, nothing
// written to disk: --save '' --appendonly no), stopped after. Outside CI a machine without redis-server skips
// the Redis tests with one line; in CI (CI=true) they must run, so a missing server fails them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

export interface RedisServer {
  /** The unix socket it listens on. */
  socket: string
  /** Stops it (SIGTERM, then SIGKILL); idempotent. */
  stop(): Promise<void>
  /** Kills it at once, as a crash would (SIGKILL). */
  kill(): Promise<void>
  /** Starts it again on the same socket, empty. */
  restart(): Promise<void>
}

let notified = false

/** True when redis-server can be run here; else, outside CI, prints the notice once and the caller skips. */
export function redisAvailable(): boolean {
  const found = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
  if (found) return true
  if (process.env.CI) throw new Error('redis-server is not installed, and CI must run the Redis tests: .ci/run installs it with apt-get')
  if (!notified) {
    notified = true
    process.stderr.write('notice: redis-server not found, Redis tests skipped (apt-get install redis-server to run them)\n')
  }
  return false
}

/** Resolves once something accepts connections on `socket`, or throws after `timeoutMs`. */
async function listening(socket: string, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`)
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(socket)
      s.once('connect', () => {
        s.end()
        resolve(true)
      })
      s.once('error', () => resolve(false))
    })
    if (ok) return
    await sleep(20)
  }
  throw new Error(`redis-server did not listen on ${socket} within ${timeoutMs} ms`)
}

/** Starts a private redis-server. */
export async function startRedis(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mp-redis-'))
  const socket = join(dir, 'redis.sock')
  let child: ChildProcess | undefined
  const launch = async (): Promise<void> => {
    const args = ['--port', '0', '--unixsocket', socket, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning']
    child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'] })
    await listening(socket, child)
  }
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    const running = child
    child = undefined
    if (running === undefined || running.exitCode !== null || running.signalCode !== null) return
    const exited = new Promise((resolve) => running.once('exit', resolve))
    running.kill(signal)
    const timer = setTimeout(() => running.kill('SIGKILL'), 3_000)
    await exited
    clearTimeout(timer)
    rmSync(socket, { force: true })
  }
  await launch()
  return {
    socket,
    kill: () => end('SIGKILL'),
    async stop() {
      await end('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    },
    async restart() {
      await end('SIGKILL')
      await launch()
    },
  }
}
