// One process of a fleet, for the fleet tests and bench (run as `node build/test/support/fleet-child.js`): its own
// Redis connection, its own MaskinportenClient on a RedisTokenStore. Told what to do by lines on stdin (`get`,
// `force`, `exit`); says what happened as JSON lines on stdout: `ready`, `sending` (its own token request leaves,
// so a test can kill the lease holder mid-fetch), and per command the token's digest (never the token), its
// `expiresAt`, the time the call took, and the store-error events so far.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { MaskinportenClient } from '../../src/client/client.ts'
import type { TokenStore } from '../../src/client/store.ts'
import { RedisTokenStore } from '../../src/stores/redis/index.ts'
import { connectRedis, type RedisKind } from './redis-clients.ts'

export interface FleetChildConfig {
  clientId: string
  kid: string
  keyFile: string
  issuer: string
  socket: string
  kind: RedisKind
  keyPrefix: string
  scope: string
  leaseMs?: number
  pollMs?: number
  marginMs?: number
  refreshAhead?: number
  encryptionKey?: string
  /** Redis command and client store timeouts (milliseconds); default the library's (1000). */
  timeoutMs?: number
  /** The same store without its lease: each process on its own (the baseline a lease is measured against). */
  noLease?: boolean
}

export interface FleetChildReply {
  ready?: true
  sending?: true
  digest?: string
  expiresAt?: number
  ms?: number
  /** When the call ended (epoch ms, sub-millisecond): comparable between the processes of one machine. */
  endedAt?: number
  storeErrors?: number
  error?: string
}

const say = (reply: FleetChildReply): void => void process.stdout.write(`${JSON.stringify(reply)}\n`)

const cfg = JSON.parse(process.env.FLEET_CHILD ?? '{}') as FleetChildConfig
const redis = await connectRedis(cfg.kind, cfg.socket)
let storeErrors = 0
const redisStore = new RedisTokenStore(redis.client, { keyPrefix: cfg.keyPrefix, leaseMs: cfg.leaseMs, pollMs: cfg.pollMs, timeoutMs: cfg.timeoutMs, encryptionKey: cfg.encryptionKey })
const store: TokenStore = cfg.noLease
  ? { get: (k) => redisStore.get(k), set: (k, t, ms) => redisStore.set(k, t, ms), delete: (k) => redisStore.delete(k) }
  : redisStore
const client = new MaskinportenClient(
  {
    clientId: cfg.clientId,
    kid: cfg.kid,
    privateKeyPem: readFileSync(cfg.keyFile, 'utf8'),
    issuer: cfg.issuer,
    fetch: (input, init) => {
      say({ sending: true })
      return fetch(input, init)
    },
  },
  {
    store,
    marginMs: cfg.marginMs ?? 1_000,
    refreshAhead: cfg.refreshAhead ?? 0.75,
    storeTimeoutMs: cfg.timeoutMs,
    onEvent: (event) => {
      if (event.type === 'store-error') storeErrors++
    },
  },
)
say({ ready: true })
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'exit') break
  const started = performance.now()
  try {
    const token = await client.getToken({ scope: cfg.scope, forceRefresh: line === 'force' })
    const digest = createHash('sha256').update(token.accessToken).digest('hex').slice(0, 16)
    say({ digest, expiresAt: token.expiresAt, ms: performance.now() - started, endedAt: performance.timeOrigin + performance.now(), storeErrors })
  } catch (err) {
    say({ error: (err as { code?: string }).code ?? 'unknown', storeErrors })
  }
}
client.close()
await redis.close()
