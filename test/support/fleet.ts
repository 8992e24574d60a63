// Starts and steers a fleet of child processes (fleet-child.ts, run from its compiled copy under build/).
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { BUILD } from './paths.ts'
import type { FleetChildConfig, FleetChildReply } from './fleet-child.ts'

export const FLEET_CHILD = join(BUILD, 'test/support/fleet-child.js')

export interface FleetMember {
  child: ChildProcess
  /** Replies not yet taken (`sending` lines are counted apart, in `sent`). */
  replies: FleetChildReply[]
  /** How many token requests this process sent itself. */
  sent: number
  /** Called when this process sends a token request of its own. */
  onSending?: () => void
  send(command: 'get' | 'force' | 'exit'): void
  /** The next command reply (not `ready` or `sending`), or a rejection after `timeoutMs`. */
  next(timeoutMs?: number): Promise<FleetChildReply>
  kill(): Promise<void>
}

/** Starts `n` children with `config` and resolves once every one of them is connected and ready. */
export async function startFleet(n: number, config: FleetChildConfig): Promise<FleetMember[]> {
  if (!existsSync(FLEET_CHILD)) throw new Error(`${FLEET_CHILD} is missing: run \`npm run build:test\``)
  const members = Array.from({ length: n }, () => member(config))
  await Promise.all(members.map((m) => m.ready))
  return members.map((m) => m.member)
}

function member(config: FleetChildConfig): { member: FleetMember; ready: Promise<void> } {
  const child = spawn(process.execPath, [FLEET_CHILD], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', FLEET_CHILD: JSON.stringify(config) },
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const waiters: Array<(reply: FleetChildReply) => void> = []
  let readyResolve!: () => void
  let readyReject!: (err: Error) => void
  const ready = new Promise<void>((resolve, reject) => {
    readyResolve = resolve
    readyReject = reject
  })
  const m: FleetMember = {
    child,
    replies: [],
    sent: 0,
    send(command) {
      if (child.stdin?.writable) child.stdin.write(`${command}\n`)
    },
    next(timeoutMs = 20_000) {
      const queued = m.replies.shift()
      if (queued) return Promise.resolve(queued)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`fleet child ${child.pid} gave no answer in ${timeoutMs} ms`)), timeoutMs)
        waiters.push((reply) => {
          clearTimeout(timer)
          resolve(reply)
        })
      })
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    },
  }
  child.once('exit', (code, signal) => readyReject(new Error(`fleet child exited (${code ?? signal}) before it was ready`)))
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const reply = JSON.parse(line) as FleetChildReply
    if (reply.ready) return readyResolve()
    if (reply.sending) {
      m.sent++
      m.onSending?.()
      return
    }
    const waiter = waiters.shift()
    if (waiter) waiter(reply)
    else m.replies.push(reply)
  })
  return { member: m, ready }
}

/** Ends every member (`exit`, then SIGKILL for any still running after a moment). */
export async function stopFleet(members: FleetMember[]): Promise<void> {
  await Promise.all(
    members.map(async (m) => {
      if (m.child.exitCode !== null || m.child.signalCode !== null) return
      const exited = new Promise((resolve) => m.child.once('exit', resolve))
      m.send('exit')
      m.child.stdin?.end()
      const timer = setTimeout(() => m.child.kill('SIGKILL'), 3_000)
      await exited
      clearTimeout(timer)
    }),
  )
}
