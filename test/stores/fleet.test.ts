// A fleet: child processes, each with its own Redis connection (half node-redis, half ioredis) and its own
// MaskinportenClient, sharing one redis-server and one emulator. Counted at the emulator: one request per cold
// key and one per refresh for the whole fleet; a lease holder killed mid-fetch is taken over once; Redis gone,
// every process fetches for itself and callers keep getting tokens.
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, test } from 'node:test'
import type { FleetChildConfig, FleetChildReply } from '../support/fleet-child.ts'
import { startFleet, stopFleet, type FleetMember } from '../support/fleet.ts'
import { FLEET_SCOPE, startFleetSetup, type FleetSetup } from '../support/fleet-setup.ts'
import { redisAvailable, startRedis, type RedisServer } from '../support/redis-server.ts'

const available = redisAvailable()
const skip = available ? false : 'redis-server not installed'
/** Tokens of 20 s (expires_in 19): a refresh-ahead cycle within a test (refresh after 9.5 s, usable for 18 s). */
const LIFETIME_SECONDS = 20
let server: RedisServer
let fx: FleetSetup
const fleets: FleetMember[][] = []

before(async () => {
  if (!available) return
  server = await startRedis()
  fx = await startFleetSetup(LIFETIME_SECONDS)
})
after(async () => {
  await Promise.all(fleets.map(stopFleet))
  await server?.stop()
  await fx?.close()
})

function childConfig(kind: FleetChildConfig['kind'], keyPrefix: string, extra: Partial<FleetChildConfig> = {}): FleetChildConfig {
  return { ...fx.childConfig, socket: server.socket, kind, keyPrefix, scope: FLEET_SCOPE, marginMs: 1_000, refreshAhead: 0.5, ...extra }
}

/** `n` members, half on node-redis, half on ioredis. */
async function mixedFleet(n: number, keyPrefix: string, extra: Partial<FleetChildConfig> = {}): Promise<FleetMember[]> {
  const halves = await Promise.all([
    startFleet(Math.ceil(n / 2), childConfig('node-redis', keyPrefix, extra)),
    startFleet(Math.floor(n / 2), childConfig('ioredis', keyPrefix, extra)),
  ])
  const fleet = halves.flat()
  fleets.push(fleet)
  return fleet
}

async function everyone(fleet: FleetMember[], command: 'get' | 'force'): Promise<FleetChildReply[]> {
  for (const m of fleet) m.send(command)
  return Promise.all(fleet.map((m) => m.next()))
}

const requests = (): number => fx.emu.stats().token.requests

async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (const end = Date.now() + timeoutMs; !condition(); await sleep(20)) if (Date.now() > end) assert.fail(`${what} within ${timeoutMs} ms`)
}

test('50 processes, cold key, started together: 1 token request; a refresh-ahead cycle: 1 more', { skip }, async () => {
  // Generous timeouts: on a loaded machine a slow Redis answer, or a fetch outliving its lease, would (rightly) make
  // a process fetch for itself; here every process is alive and Redis is up.
  const fleet = await mixedFleet(50, 'fleet-a:', { timeoutMs: 5_000, leaseMs: 15_000 })
  const before = requests()
  const first = await everyone(fleet, 'get')
  assert.deepEqual(first.filter((r) => r.error), [])
  assert.equal(requests(), before + 1, 'one request for the whole fleet')
  assert.equal(new Set(first.map((r) => r.digest)).size, 1, 'one token for all')
  assert.equal(fleet.reduce((n, m) => n + m.sent, 0), 1)

  // Past the refresh point (half of the 19 s life) and before the margin: every hit starts a refresh, through the lease.
  const obtainedAt = first[0]!.expiresAt! - (LIFETIME_SECONDS - 1) * 1000
  await sleep(Math.max(0, obtainedAt + 9_700 - Date.now()))
  const hits = await everyone(fleet, 'get')
  assert.ok(hits.every((r) => r.digest === first[0]!.digest), 'hits get the cached token at once')
  await until('the refresh is sent', () => requests() === before + 2)
  // The holder gets its answer, writes it, then releases (on a loaded machine that can take a while); from then on
  // every process reads the new token from Redis.
  let landed = false
  for (const end = Date.now() + 20_000; !landed && Date.now() < end; await sleep(50)) {
    fleet[0]!.send('get')
    landed = (await fleet[0]!.next()).digest !== first[0]!.digest
  }
  const refreshed = await everyone(fleet, 'get')
  assert.equal(new Set(refreshed.map((r) => r.digest)).size, 1)
  assert.notEqual(refreshed[0]!.digest, first[0]!.digest, 'a new token')
  assert.equal(requests(), before + 2, 'one refresh for the whole fleet')
  assert.equal(fleet.reduce((n, m) => n + m.sent, 0), 2)
  await stopFleet(fleet)
})

test('the lease holder killed mid-fetch: one other process takes over after the lease expires; all get a token', { skip }, async () => {
  const leaseMs = 1_000
  const fleet = await mixedFleet(10, 'fleet-b:', { leaseMs, timeoutMs: 300 })
  fx.emu.injectFault({ endpoint: 'token', kind: 'delay', delayMs: 4_000 })
  let holder: FleetMember | undefined
  const before = requests()
  for (const m of fleet) {
    m.onSending = () => {
      if (holder !== undefined) return
      holder = m
      // Killed once its request is at the emulator (held there by the delay), not before it has left.
      void until('the held request arrives', () => requests() > before).then(() => m.kill())
    }
  }
  const started = Date.now()
  for (const m of fleet) m.send('get')
  await until('a holder sends', () => holder !== undefined)
  const survivors = fleet.filter((m) => m !== holder)
  const replies = await Promise.all(survivors.map((m) => m.next()))
  const tookMs = Date.now() - started
  assert.deepEqual(replies.filter((r) => r.error), [])
  assert.equal(new Set(replies.map((r) => r.digest)).size, 1)
  assert.equal(requests(), before + 2, "the killed holder's request and one take-over")
  assert.equal(survivors.reduce((n, m) => n + m.sent, 0), 1, 'one survivor fetched')
  process.stderr.write(`take-over: all ${survivors.length} survivors had a token ${tookMs} ms after the start (lease ${leaseMs} ms)\n`)
  fleets.push(survivors)

  // Redis gone: each process fetches for itself (one request each) and keeps serving what it has.
  await server.kill()
  try {
    const beforeDown = requests()
    const forced = await everyone(survivors, 'force')
    assert.deepEqual(forced.filter((r) => r.error), [])
    assert.equal(requests(), beforeDown + survivors.length, 'one request per process, none failed')
    assert.ok(forced.every((r) => (r.storeErrors ?? 0) > 0), 'each process reported store errors')
    const again = await everyone(survivors, 'get')
    assert.deepEqual(again.filter((r) => r.error), [])
    assert.deepEqual(again.map((r) => r.digest), forced.map((r) => r.digest), 'each keeps its own token meanwhile')
    assert.equal(requests(), beforeDown + survivors.length)
  } finally {
    await server.restart()
  }
  await stopFleet(survivors)
})
