// RedisTokenStore against a real redis-server, through node-redis and through ioredis: entries, TTLs, prefixes,
// sealing, the lease, clients sharing one Redis, and Redis failing under them. Plus clients that answer nonsense.
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { inspect } from 'node:util'
import { after, before, test } from 'node:test'
import { MaskinportenClient } from '../../src/client/client.ts'
import type { ClientEvent } from '../../src/client/options.ts'
import type { StoredToken } from '../../src/client/store.ts'
import { isMaskinportenError } from '../../src/errors/errors.ts'
import { RedisTokenStore, type RedisStoreError } from '../../src/stores/redis/index.ts'
import { connectRedis, REDIS_KINDS, type ConnectedRedis } from '../support/redis-clients.ts'
import { redisAvailable, startRedis, type RedisServer } from '../support/redis-server.ts'
import { FLEET_SCOPE, startFleetSetup, type FleetSetup } from '../support/fleet-setup.ts'
import { keyFragments, assertNoSecrets } from '../support/fixtures.ts'

const available = redisAvailable()
const skip = available ? false : 'redis-server not installed'
let server: RedisServer
let fx: FleetSetup
const open: ConnectedRedis[] = []

before(async () => {
  if (!available) return
  server = await startRedis()
  fx = await startFleetSetup()
})
after(async () => {
  await Promise.all(open.map((c) => c.close()))
  await server?.stop()
  await fx?.close()
})

async function redis(kind: (typeof REDIS_KINDS)[number]): Promise<ConnectedRedis> {
  const c = await connectRedis(kind, server.socket)
  open.push(c)
  return c
}

function token(lifeMs = 60_000): StoredToken {
  const now = Date.now()
  return { accessToken: `eyJhbGciOiJSUzI1NiJ9.eyJzY29wZSI6ImEifQ.${'s'.repeat(40)}${now}`, tokenType: 'Bearer', scope: FLEET_SCOPE, obtainedAt: now, expiresAt: now + lifeMs }
}

const rejectsAsStoreFailure = (p: Promise<unknown>): Promise<void> =>
  assert.rejects(p, (err: unknown) => isMaskinportenError(err) && err.code === 'token_store_failed')

const KEY32 = Buffer.alloc(32, 7)

for (const kind of REDIS_KINDS) {
  test(`${kind}: entries as JSON with the token's TTL, under the prefix; delete and clear stay within it`, { skip }, async () => {
    const r = await redis(kind)
    const store = new RedisTokenStore(r.client, { keyPrefix: `t1-${kind}:` })
    const t = token(30_000)
    await store.set('k1', t, 30_000)
    assert.deepEqual(await store.get('k1'), t)
    assert.equal(await store.get('absent'), undefined)
    const keys = (await r.raw(['KEYS', `t1-${kind}:*`])) as string[]
    assert.equal(keys.length, 1)
    assert.match(keys[0]!, new RegExp(`^t1-${kind}:\\{[0-9a-f]{64}\\}:token$`))
    assert.deepEqual(JSON.parse((await r.raw(['GET', keys[0]!])) as string), t)
    const pttl = Number(await r.raw(['PTTL', keys[0]!]))
    assert.ok(pttl > 25_000 && pttl <= 30_000, `TTL ${pttl} ms from the token's life`)

    await r.raw(['SET', 'unrelated', 'x'])
    await store.set('k2', t, 30_000)
    await store.delete('k1')
    assert.equal(await store.get('k1'), undefined)
    await store.clear()
    assert.equal(await store.get('k2'), undefined)
    assert.equal(await r.raw(['GET', 'unrelated']), 'x', 'clear() leaves keys outside its prefix')
    assert.equal(inspect(store).includes(t.accessToken), false)
    assert.deepEqual(JSON.parse(JSON.stringify(store)), { client: kind, keyPrefix: `t1-${kind}:`, encrypted: false, leaseMs: 5000 })
  })

  test(`${kind}: what Redis holds is checked: garbage, foreign shapes and oversized entries are failures, not tokens`, { skip }, async () => {
    const r = await redis(kind)
    const errors: RedisStoreError[] = []
    // No in-memory copy: it would (rightly) answer for Redis failing with WRONGTYPE below.
    const store = new RedisTokenStore(r.client, { keyPrefix: `t2-${kind}:`, onError: (e) => errors.push(e), fallbackEntries: 0 })
    await store.set('k', token(), 60_000)
    const [key] = (await r.raw(['KEYS', `t2-${kind}:*`])) as string[]
    const bad = [
      'not json',
      JSON.stringify({ accessToken: 5 }),
      JSON.stringify({ ...token(), expiresAt: Date.now() + 3 * 86_400_000 }),
      JSON.stringify([1, 2]),
      'x'.repeat(70 * 1024),
    ]
    for (const value of bad) {
      await r.raw(['SET', key!, value])
      await rejectsAsStoreFailure(store.get('k'))
    }
    await r.raw(['DEL', key!])
    await r.raw(['HSET', key!, 'a', 'b']) // the wrong type: Redis itself answers with an error
    await rejectsAsStoreFailure(store.get('k'))
    assert.ok(errors.length >= bad.length + 1 && errors.every((e) => e.operation === 'get'))
  })

  test(`${kind}: with an encryptionKey the keyspace holds no usable token; a wrong key, a tampered or moved entry is a miss`, { skip }, async () => {
    const r = await redis(kind)
    const prefix = `t3-${kind}:`
    const store = new RedisTokenStore(r.client, { keyPrefix: prefix, encryptionKey: KEY32 })
    const t = token()
    await store.set('k', t, 60_000)
    const [key] = (await r.raw(['KEYS', `${prefix}*`])) as string[]
    const sealed = (await r.raw(['GET', key!])) as string
    assert.match(sealed, /^mp-gcm1:[\w-]+$/)
    assert.equal(sealed.includes(t.accessToken.split('.')[2]!), false)
    assert.equal(Buffer.from(sealed.slice(8), 'base64url').includes(Buffer.from(t.accessToken)), false)
    assert.deepEqual(await store.get('k'), t)
    // The same key as base64 opens it too.
    assert.deepEqual(await new RedisTokenStore(r.client, { keyPrefix: prefix, encryptionKey: KEY32.toString('base64') }).get('k'), t)

    await rejectsAsStoreFailure(new RedisTokenStore(r.client, { keyPrefix: prefix, encryptionKey: Buffer.alloc(32, 8) }).get('k'))
    await rejectsAsStoreFailure(new RedisTokenStore(r.client, { keyPrefix: prefix }).get('k'))
    const flipped = sealed.slice(0, 20) + (sealed[20] === 'A' ? 'B' : 'A') + sealed.slice(21)
    await r.raw(['SET', key!, flipped])
    await rejectsAsStoreFailure(store.get('k'))
    // A sealed entry of another cache key does not open under this one (the cache key is authenticated).
    await store.set('other', t, 60_000)
    const otherKey = ((await r.raw(['KEYS', `${prefix}*`])) as string[]).find((k) => k !== key)!
    await r.raw(['SET', key!, (await r.raw(['GET', otherKey])) as string])
    await rejectsAsStoreFailure(store.get('k'))
    // With a key, a plain entry is not believed (anyone who can write could have planted it).
    await r.raw(['SET', key!, JSON.stringify(t)])
    await rejectsAsStoreFailure(store.get('k'))

    // Through a client: an entry sealed with another key is a miss and a store-error event, then a fetch.
    const sealedElsewhere = new RedisTokenStore(r.client, { keyPrefix: `${prefix}client:`, encryptionKey: Buffer.alloc(32, 9) })
    const events: ClientEvent[] = []
    const writer = new MaskinportenClient(fx.config, { store: sealedElsewhere })
    const reader = new MaskinportenClient(fx.config, { store: new RedisTokenStore(r.client, { keyPrefix: `${prefix}client:`, encryptionKey: KEY32 }), onEvent: (e) => events.push(e) })
    const written = await writer.getToken({ scope: FLEET_SCOPE })
    const before = fx.emu.stats().token.requests
    const read = await reader.getToken({ scope: FLEET_SCOPE })
    assert.notEqual(read.accessToken, written.accessToken)
    assert.equal(fx.emu.stats().token.requests, before + 1)
    assert.ok(events.some((e) => e.type === 'store-error' && e.operation === 'get'))
    writer.close()
    reader.close()

    assert.throws(() => new RedisTokenStore(r.client, { encryptionKey: Buffer.alloc(16) }), /encryptionKey must be 32 bytes/)
    const err = (() => {
      try {
        new RedisTokenStore(r.client, { encryptionKey: 'not-a-key-but-a-secret-looking-string' })
      } catch (e) {
        return e as Error
      }
      return undefined
    })()!
    assert.equal(err.message.includes('secret-looking'), false, 'the key is never quoted')
  })

  test(`${kind}: the lease is taken once, released only by its owner, and waited for`, { skip }, async () => {
    const r = await redis(kind)
    const store = new RedisTokenStore(r.client, { keyPrefix: `t4-${kind}:`, leaseMs: 200 })
    const first = await store.lease.acquire('k')
    assert.ok(first)
    assert.equal(await store.lease.acquire('k'), undefined, 'held: nobody else gets it')
    let waited = false
    const waiting = store.lease.wait('k', 5_000).then(() => (waited = true))
    await new Promise((resolve) => setTimeout(resolve, 30))
    assert.equal(waited, false)
    await first.release()
    await waiting
    // A holder past its lease: the next one takes it, and the late release leaves the new lease alone.
    const slow = (await store.lease.acquire('k'))!
    await new Promise((resolve) => setTimeout(resolve, 300))
    const next = await store.lease.acquire('k')
    assert.ok(next, 'an expired lease is free')
    await slow.release()
    assert.equal(await store.lease.acquire('k'), undefined, 'the slow holder did not delete the next lease')
    await next.release()
    assert.ok(await store.lease.acquire('k'))
  })

  test(`${kind}: two clients on two connections, 20 callers each, cold key: 1 request; a sealed store works the same`, { skip }, async () => {
    for (const encryptionKey of [undefined, KEY32]) {
      const prefix = `t5-${kind}-${encryptionKey ? 'sealed' : 'plain'}:`
      const clients = await Promise.all(
        [0, 1].map(async () => new MaskinportenClient(fx.config, { store: new RedisTokenStore((await redis(kind)).client, { keyPrefix: prefix, encryptionKey }) })),
      )
      const before = fx.emu.stats().token.requests
      const got = await Promise.all(clients.flatMap((c) => Array.from({ length: 20 }, () => c.getToken({ scope: FLEET_SCOPE }))))
      assert.equal(fx.emu.stats().token.requests, before + 1)
      assert.equal(new Set(got.map((t) => t.accessToken)).size, 1)
      for (const c of clients) c.close()
    }
  })

  test(`${kind}: Redis killed under the clients: callers keep getting tokens, one request per process; store-error events`, { skip }, async () => {
    const prefix = `t6-${kind}:`
    const events: ClientEvent[] = []
    const mk = async (): Promise<MaskinportenClient> =>
      new MaskinportenClient(fx.config, { store: new RedisTokenStore((await redis(kind)).client, { keyPrefix: prefix, timeoutMs: 200 }), onEvent: (e) => events.push(e) })
    const [a, b] = [await mk(), await mk()]
    const scope = FLEET_SCOPE
    const first = await a.getToken({ scope })
    assert.equal((await b.getToken({ scope })).accessToken, first.accessToken)
    await server.kill()
    try {
      const before = fx.emu.stats().token.requests
      // A token each process saw is still served; a new key costs one request per process, not per call.
      for (let i = 0; i < 3; i++) {
        assert.equal((await a.getToken({ scope })).accessToken, first.accessToken)
        assert.equal((await b.getToken({ scope })).accessToken, first.accessToken)
      }
      const org = { scope, forceRefresh: true }
      const [fa, fb] = await Promise.all([a.getToken(org), b.getToken(org)])
      assert.notEqual(fa.accessToken, first.accessToken)
      for (let i = 0; i < 3; i++) {
        assert.equal((await a.getToken({ scope })).accessToken, fa.accessToken)
        assert.equal((await b.getToken({ scope })).accessToken, fb.accessToken)
      }
      assert.equal(fx.emu.stats().token.requests, before + 2, 'one request per process')
      // The writes were not awaited by the callers: their failures come when the client gives up on them.
      for (let i = 0; i < 100 && !events.some((e) => e.type === 'store-error' && e.operation === 'set'); i++) await sleep(50)
      const storeErrors = events.filter((e) => e.type === 'store-error')
      assert.ok(storeErrors.some((e) => e.type === 'store-error' && e.operation === 'lease'))
      assert.ok(storeErrors.some((e) => e.type === 'store-error' && e.operation === 'set'))
      assertNoSecrets([JSON.stringify(events)], [first.accessToken, fa.accessToken, ...keyFragments(fx.pem)])
    } finally {
      await server.restart()
    }
    a.close()
    b.close()
  })
}

test('clients that answer nonsense, hang, or are not Redis clients', async () => {
  assert.throws(() => new RedisTokenStore({} as never), /neither a node-redis client/)
  assert.throws(() => new RedisTokenStore(null as never), /neither a node-redis client/)
  for (const reply of [42, { a: 1 }, ['x'], true]) {
    const store = new RedisTokenStore({ sendCommand: async () => reply })
    await rejectsAsStoreFailure(store.get('k'))
    await rejectsAsStoreFailure(store.set('k', token(), 1000))
    await rejectsAsStoreFailure(store.lease.acquire('k'))
  }
  const throwing = new RedisTokenStore({ call: () => { throw new Error('boom eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.c2ln') } })
  const err = await throwing.get('k').catch((e: Error) => e)
  assert.ok(isMaskinportenError(err) && err.code === 'token_store_failed')
  assert.equal(JSON.stringify(err.toJSON()).includes('eyJhbGciOiJub25lIn0'), false, 'a token in the client error is masked')
  const hanging = new RedisTokenStore({ sendCommand: () => new Promise(() => {}) }, { timeoutMs: 20 })
  await assert.rejects(hanging.get('k'), /did not answer GET within 20 ms/)
  // A lease whose acquire hangs: the client fetches for itself after its store timeout, with a store-error.
  const events: ClientEvent[] = []
  const fxLocal = await startFleetSetup()
  try {
    const client = new MaskinportenClient(fxLocal.config, {
      store: { get: () => undefined, set: () => {}, delete: () => {}, lease: { acquire: () => new Promise(() => {}), wait: async () => {} } },
      storeTimeoutMs: 50,
      onEvent: (e) => events.push(e),
    })
    await client.getToken({ scope: FLEET_SCOPE })
    assert.equal(fxLocal.emu.stats().token.requests, 1)
    assert.ok(events.some((e) => e.type === 'store-error' && e.operation === 'lease' && e.reason === 'timeout'))
    client.close()
    assert.throws(() => new MaskinportenClient(fxLocal.config, { store: { get: () => undefined, set: () => {}, delete: () => {}, lease: {} as never } }), /store.lease must have/)
  } finally {
    await fxLocal.close()
  }
})
