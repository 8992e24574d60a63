// A fleet on one Redis: 1, 10 and 50 child processes (each its own connection and MaskinportenClient, half
// node-redis, half ioredis) asking together for a cold key. Counted: token requests per cold key, with the lease
// and, as the baseline, the same store without it. Timed: a waiter's call against the holder's (what waiting adds
// over fetching: when each had its token) and against a cached hit. Then the two ways a waiter can learn that the token is there, side by
// side on one connection each: polling the lease (what RedisTokenStore does) and a pub/sub message.
// Run alone with `npm run bench -- fleet`.
import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import { startFleet, stopFleet, type FleetMember } from '../test/support/fleet.ts'
import type { FleetChildConfig, FleetChildReply } from '../test/support/fleet-child.ts'
import { FLEET_SCOPE, startFleetSetup } from '../test/support/fleet-setup.ts'
import { connectRedis } from '../test/support/redis-clients.ts'
import { redisAvailable, startRedis } from '../test/support/redis-server.ts'

const ROUNDS = 3
const line = (label: string, value: string): void => console.log(`${label.padEnd(64)} ${value}`)
const ms = (v: number): string => `${v.toFixed(1)} ms`
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN
const p95 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))] ?? Number.NaN

async function everyone(fleet: FleetMember[]): Promise<FleetChildReply[]> {
  for (const m of fleet) m.send('get')
  return Promise.all(fleet.map((m) => m.next(60_000)))
}

export default async function bench(): Promise<void> {
  if (!redisAvailable()) return
  const server = await startRedis()
  const fx = await startFleetSetup()
  const admin = await connectRedis('ioredis', server.socket)
  const requests = (): number => fx.emu.stats().token.requests
  try {
    for (const n of [1, 10, 50]) {
      for (const noLease of [false, true]) {
        const config = (kind: FleetChildConfig['kind']): FleetChildConfig => ({ ...fx.childConfig, socket: server.socket, kind, keyPrefix: `bench-${n}-${noLease}:`, scope: FLEET_SCOPE, noLease })
        const fleet = (await Promise.all([startFleet(Math.ceil(n / 2), config('node-redis')), startFleet(Math.floor(n / 2), config('ioredis'))])).flat()
        const perKey: number[] = []
        const added: number[] = []
        const waiterMs: number[] = []
        const holderMs: number[] = []
        const hitMs: number[] = []
        for (let round = 0; round < ROUNDS; round++) {
          await admin.raw(['FLUSHALL'])
          await sleep(50)
          const sentBefore = fleet.map((m) => m.sent)
          const before = requests()
          const cold = await everyone(fleet)
          perKey.push(requests() - before)
          const holders = fleet.map((m, i) => m.sent > sentBefore[i]!)
          const holder = cold.filter((_, i) => holders[i])
          const waiters = cold.filter((_, i) => !holders[i])
          holderMs.push(...holder.map((r) => r.ms!))
          waiterMs.push(...waiters.map((r) => r.ms!))
          // When a waiter had its token against when the holder had it: what the waiting itself adds.
          const holderDone = Math.min(...holder.map((r) => r.endedAt!))
          if (holder.length > 0) for (const w of waiters) added.push(w.endedAt! - holderDone)
          const warm = await everyone(fleet)
          hitMs.push(...warm.map((r) => r.ms!))
        }
        await stopFleet(fleet)
        const label = `${n} process${n === 1 ? '' : 'es'}${noLease ? ', no lease (baseline)' : ''}`
        line(`${label}: token requests per cold key (${ROUNDS} keys)`, `${perKey.join(', ')}  → ${(perKey.reduce((a, b) => a + b, 0) / ROUNDS).toFixed(1)} per key`)
        if (noLease) continue
        line(`${label}: cached hit (a Redis GET), median / p95`, `${ms(median(hitMs))} / ${ms(p95(hitMs))}`)
        line(`${label}: the holder's call (lease, fetch, write, release), median`, ms(median(holderMs)))
        if (waiterMs.length > 0) {
          line(`${label}: a waiter's call, median / p95`, `${ms(median(waiterMs))} / ${ms(p95(waiterMs))}`)
          line(`${label}: waiter's token after the holder's (what waiting adds), median / p95`, `${ms(median(added))} / ${ms(p95(added))}`)
          line(`${label}: waiter over a cached hit, median`, `+${ms(median(waiterMs) - median(hitMs))} (${(median(waiterMs) / median(hitMs)).toFixed(1)}×)`)
        }
      }
    }
    await notification(server.socket)
  } finally {
    await admin.close()
    await server.stop()
    await fx.close()
  }
}

/**
 * How soon a waiter learns that the lease is gone: 10 pollers (`PTTL` every `pollMs`, as RedisTokenStore waits)
 * against 10 pub/sub subscribers (each a dedicated connection, as pub/sub needs), 20 releases each.
 */
async function notification(socket: string): Promise<void> {
  const K = 10
  const RELEASES = 20
  const pub = new Redis({ path: socket })
  const subs = Array.from({ length: K }, () => new Redis({ path: socket }))
  const pollers = Array.from({ length: K }, () => new Redis({ path: socket }))
  try {
    await Promise.all(subs.map((s) => s.subscribe('bench-released')))
    for (const pollMs of [10, 25]) {
      const seenPoll: number[] = []
      const seenSub: number[] = []
      let polls = 0
      for (let r = 0; r < RELEASES; r++) {
        await pub.set('bench-lease', 'x', 'PX', 5_000)
        let released = 0
        const subDone = subs.map((s) => new Promise<void>((resolve) => s.once('message', () => (seenSub.push(performance.now() - released), resolve()))))
        const pollDone = pollers.map(async (p) => {
          for (;;) {
            polls++
            const ttl = (await p.call('PTTL', ['bench-lease'])) as number
            if (ttl < 0 && released > 0) return void seenPoll.push(performance.now() - released)
            await sleep(pollMs)
          }
        })
        await sleep(20 + Math.random() * 30) // released at a random point of the pollers' cycle
        released = performance.now()
        await pub.del('bench-lease')
        await pub.publish('bench-released', '1')
        await Promise.all([...subDone, ...pollDone])
      }
      line(`release seen by polling every ${pollMs} ms: median / p95`, `${ms(median(seenPoll))} / ${ms(p95(seenPoll))}  (${(polls / K / RELEASES).toFixed(1)} PTTL per wait)`)
      line(`release seen through pub/sub (dedicated connections): median / p95`, `${ms(median(seenSub))} / ${ms(p95(seenSub))}`)
    }
  } finally {
    pub.disconnect()
    for (const c of [...subs, ...pollers]) c.disconnect()
  }
}
