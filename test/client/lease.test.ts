// The cache's use of a store's lease (cross-process single flight), with clients standing in for processes: each
// its own MaskinportenClient (its own cache, its own in-process single flight), all on one shared store.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MaskinportenClient } from '../../src/client/client.ts'
import type { TokenLease } from '../../src/client/lease.ts'
import type { ClientEvent, MaskinportenClientOptions } from '../../src/client/options.ts'
import { MemoryTokenStore, type StoredToken, type TokenStore } from '../../src/client/store.ts'
import { testConfig } from '../support/fixtures.ts'
import { fakeServices, manualClock, settle } from '../support/client-fakes.ts'

/** A shared store with a lease: `leaseMs` of life (real time), `Infinity` for one that never expires. */
function sharedStore(leaseMs = 1_000) {
  const entries = new Map<string, StoredToken>()
  const leases = new Map<string, { id: number; until: number }>()
  let ids = 0
  const stats = { acquired: 0, refused: 0, waits: 0 }
  const held = (key: string): boolean => {
    const l = leases.get(key)
    return l !== undefined && l.until > Date.now()
  }
  const lease: TokenLease = {
    async acquire(key) {
      if (held(key)) {
        stats.refused++
        return undefined
      }
      const id = ++ids
      leases.set(key, { id, until: Date.now() + leaseMs })
      stats.acquired++
      return { release: async () => void (leases.get(key)?.id === id && leases.delete(key)) }
    },
    async wait(key, timeoutMs) {
      stats.waits++
      const until = Date.now() + timeoutMs
      while (held(key) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 2))
    },
  }
  const store: TokenStore & { lease: TokenLease } = {
    get: async (key) => entries.get(key),
    set: async (key, token) => void entries.set(key, token),
    delete: async (key) => void entries.delete(key),
    lease,
  }
  return { store, entries, leases, stats }
}

function fleet(n: number, store: TokenStore, options: MaskinportenClientOptions = {}) {
  const services = fakeServices()
  const clock = manualClock(Date.now())
  const events: ClientEvent[] = []
  const clients = Array.from(
    { length: n },
    () => new MaskinportenClient(testConfig({ fetch: services.fetch }), { store, now: clock.now, onEvent: (e) => events.push(e), retry: { baseDelayMs: 1 }, ...options }),
  )
  const close = (): void => clients.forEach((c) => c.close())
  return { clients, services, clock, events, close }
}

test('three clients on one store with a lease, 10 callers each, cold key: 1 request; without the lease: 3', async () => {
  const shared = sharedStore()
  const f = fleet(3, shared.store)
  f.services.hold() // the first answer waits until every caller is in
  const calls = f.clients.flatMap((c) => Array.from({ length: 10 }, () => c.getToken()))
  for (let i = 0; i < 20; i++) await settle()
  f.services.open()
  const got = await Promise.all(calls)
  assert.equal(f.services.grants.length, 1)
  assert.equal(new Set(got.map((t) => t.accessToken)).size, 1)
  assert.equal(shared.stats.acquired, 1)
  assert.equal(shared.leases.size, 0, 'released')
  f.close()

  const { lease: _lease, ...plain } = sharedStore().store
  const g = fleet(3, plain)
  g.services.hold()
  const plainCalls = g.clients.map((c) => c.getToken())
  for (let i = 0; i < 20; i++) await settle()
  g.services.open()
  await Promise.all(plainCalls)
  assert.equal(g.services.grants.length, 3, 'each client on its own')
  g.close()
})

test('refresh ahead goes through the lease: three clients past the refresh point make one refresh', async () => {
  const shared = sharedStore()
  const f = fleet(3, shared.store)
  const first = await f.clients[0]!.getToken()
  for (const c of f.clients) assert.equal((await c.getToken()).accessToken, first.accessToken)
  f.clock.advance(95_000) // past 75 % of 119 s, before the margin
  await Promise.all(f.clients.map((c) => c.getToken()))
  for (let i = 0; i < 50 && f.events.filter((e) => e.type === 'fetched').length < 2; i++) await new Promise((r) => setTimeout(r, 5))
  await new Promise((r) => setTimeout(r, 30)) // the waiters see the new token
  assert.equal(f.services.grants.length, 2, 'one refresh for all three')
  const after = await Promise.all(f.clients.map((c) => c.getToken()))
  assert.equal(new Set(after.map((t) => t.accessToken)).size, 1)
  assert.notEqual(after[0]!.accessToken, first.accessToken)
  f.close()
})

test('a token that lands between the miss and the lease is taken, not fetched again', async () => {
  const shared = sharedStore()
  const scope = 'altinn:instances.read'
  const now = Date.now()
  const token: StoredToken = { accessToken: `opaque-token-landed.${'x'.repeat(40)}.sig`, tokenType: 'Bearer', scope, obtainedAt: now, expiresAt: now + 60_000 }
  const acquire = shared.store.lease.acquire.bind(shared.store.lease)
  // Another process's write lands just as this one takes the lease.
  const lease: TokenLease = { ...shared.store.lease, acquire: async (key) => {
    shared.entries.set(key, token)
    return acquire(key)
  } }
  const f = fleet(1, { ...shared.store, lease })
  const got = await f.clients[0]!.getToken({ scope })
  assert.equal(got.accessToken, token.accessToken)
  assert.equal(f.services.grants.length, 0)
  f.close()
})

test('a lease held by another process that never lets go: the wait ends at half the retry deadline, then a fetch of our own within it', async () => {
  let waits = 0
  const base = sharedStore()
  const lease: TokenLease = {
    acquire: async () => undefined, // always held elsewhere
    wait: (_key, timeoutMs) => {
      waits++
      return new Promise((resolve) => setTimeout(resolve, timeoutMs))
    },
  }
  const f = fleet(1, { ...base.store, lease }, { retry: { deadlineMs: 150, baseDelayMs: 1 } })
  const token = await f.clients[0]!.getToken()
  assert.match(token.accessToken, /^opaque-token-/)
  assert.equal(f.services.grants.length, 1)
  assert.ok(waits >= 1)
  f.close()
})

test('a lease that fails: throws, rejects, answers nonsense, or fails to release: a store-error, a token all the same', async () => {
  const base = sharedStore()
  const broken: Array<[string, TokenLease, string]> = [
    ['throws', { acquire: () => { throw new Error('down') }, wait: async () => {} }, 'failed'],
    ['rejects', { acquire: () => Promise.reject(new Error('down')), wait: async () => {} }, 'failed'],
    ['nonsense', { acquire: async () => ({ nope: true }) as never, wait: async () => {} }, 'invalid'],
    ['wait rejects', { acquire: async () => undefined, wait: () => Promise.reject(new Error('down')) }, 'failed'],
    ['release throws', { acquire: async () => ({ release: () => { throw new Error('down') } }), wait: async () => {} }, 'failed'],
  ]
  for (const [what, lease, reason] of broken) {
    const f = fleet(1, { ...base.store, lease })
    const token = await f.clients[0]!.getToken({ scope: `scope:${what.replace(' ', '-')}` })
    assert.match(token.accessToken, /^opaque-token-/, what)
    assert.equal(f.services.grants.length, 1, what)
    assert.ok(
      f.events.some((e) => e.type === 'store-error' && e.operation === 'lease' && e.reason === reason),
      `${what}: ${JSON.stringify(f.events.filter((e) => e.type === 'store-error'))}`,
    )
    f.close()
  }
})

test('MemoryTokenStore has no lease and behaves as before: a hit is synchronous, no lease events', async () => {
  const store = new MemoryTokenStore()
  assert.equal((store as TokenStore).lease, undefined)
  const f = fleet(1, store)
  await f.clients[0]!.getToken()
  await f.clients[0]!.getToken()
  assert.equal(f.services.grants.length, 1)
  assert.equal(f.events.filter((e) => e.type === 'store-error').length, 0)
  f.close()
})
