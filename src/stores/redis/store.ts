/**
 * {@link RedisTokenStore}: tokens shared by every process of a service through Redis (or Valkey), with the
 * {@link TokenLease} that makes the fleet fetch each token once. The user's own client (node-redis or ioredis) is
 * used as it is; connecting and reconnecting stay its job.
 *
 * Layout, for a cache key K (hashed, so that any key fits and no glob character reaches a command):
 * `<prefix>{<sha256(K)>}:token` holds the entry with a TTL of the token's remaining life, and
 * `<prefix>{<sha256(K)>}:lease` holds the lease owner's random id with a TTL of `leaseMs` (`SET NX PX`). Both sit in
 * one hash slot (the braces), so a Redis Cluster puts them on one node.
 *
 * @see https://redis.io/docs/latest/commands/set/ (NX, PX)
 * @see https://redis.io/docs/latest/develop/use/patterns/distributed-locks/ (the compare-and-delete release)
 */
import { createHash, randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { invalidConfig } from '../../errors/errors.js'
import type { TokenLease, TokenLeaseHandle } from '../../client/lease.js'
import type { StoredToken, TokenStore } from '../../client/store.js'
import { bulkText, clientKind, commandSender, integer, setReply, storeFailed, type RedisClientLike, type SendCommand } from './commands.js'
import { decodeEntry, encodeEntry, encryptionKeyBytes, MAX_ENTRY_BYTES, type EncryptionKey } from './codec.js'

/** Default {@link RedisTokenStoreOptions.keyPrefix}. */
export const DEFAULT_KEY_PREFIX = 'maskinporten:'
/** Default {@link RedisTokenStoreOptions.leaseMs}. */
export const DEFAULT_LEASE_MS = 5_000
/** Default {@link RedisTokenStoreOptions.pollMs}. */
export const DEFAULT_POLL_MS = 10
/** Default {@link RedisTokenStoreOptions.timeoutMs}. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 1_000
/** Default {@link RedisTokenStoreOptions.fallbackEntries}. */
export const DEFAULT_FALLBACK_ENTRIES = 1_000

/** Deletes the lease only while it is still ours: a slow holder never removes the lease of the one after it. */
const RELEASE_SCRIPT = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end"

/** Keys `clear()` deletes per round, and the most rounds it makes (a million keys). */
const SCAN_COUNT = 500
const MAX_SCAN_ROUNDS = 2_000

/** What a {@link RedisTokenStore} reports through {@link RedisTokenStoreOptions.onError}. */
export interface RedisStoreError {
  /** What was being done. */
  operation: 'get' | 'set' | 'delete' | 'clear' | 'lease'
  /** Why, without any token or key material (a `MaskinportenError` with code `token_store_failed`). */
  error: Error
}

/** The {@link TokenLease} of a {@link RedisTokenStore} (always a promise). */
export interface RedisLease extends TokenLease {
  acquire(key: string): Promise<TokenLeaseHandle | undefined>
  wait(key: string, timeoutMs: number): Promise<void>
}

/** Options of {@link RedisTokenStore}. All optional. */
export interface RedisTokenStoreOptions {
  /** Prefix of every Redis key this store uses. Default `maskinporten:`. Give each service (or client id) its own. */
  keyPrefix?: string
  /**
   * 32 bytes (or their base64): tokens are stored AES-256-GCM-sealed, bound to their cache key. Every process of
   * the fleet needs the same key. Without it tokens are stored as plain JSON, readable by whoever can read Redis.
   */
  encryptionKey?: EncryptionKey
  /**
   * How long a lease lasts (milliseconds), 100 to 60000. Default 5000. A holder that dies holds the others up at
   * most this long; a fetch that takes longer lets another process fetch too.
   */
  leaseMs?: number
  /** How often a waiting process looks whether the lease is gone (milliseconds), 1 to 1000. Default 10. */
  pollMs?: number
  /** Longest wait for one Redis command (milliseconds), 1 to 60000. Default 1000; then it counts as failed. */
  timeoutMs?: number
  /**
   * Tokens this process wrote or read, kept in memory and answered while Redis fails, so that an outage costs one
   * request per process and token life rather than one per call. Default 1000; 0 turns it off.
   */
  fallbackEntries?: number
  /** Told of every failure (the client's `store-error` event tells of most of them too). Exceptions are ignored. */
  onError?: (error: RedisStoreError) => void
}

function bounded(field: string, value: number | undefined, min: number, max: number, fallback: number): number {
  const v = value ?? fallback
  if (!Number.isInteger(v) || v < min || v > max) throw invalidConfig(field, `must be a whole number from ${min} to ${max}`)
  return v
}

/**
 * A {@link TokenStore} in Redis or Valkey, shared by every process of a service, with a lease so that a cold key
 * or a refresh costs the whole fleet one request: one process fetches, the others wait for its token (they look
 * every `pollMs`) and never send their own while the lease is alive. A holder that dies frees the lease after
 * `leaseMs`. When Redis is down, slow or answers nonsense, each process fetches for itself (and keeps its tokens
 * in memory meanwhile): the fleet degrades to one request per process, never to failing callers.
 *
 * Takes the client you already have: node-redis 4 or later (`createClient()`, connected) or ioredis 5 or later
 * (`new Redis()`). This package depends on neither.
 *
 * @example node-redis
 * ```ts
 * import { createClient } from 'redis'
 * import { RedisTokenStore } from 'wenche-maskinporten/redis'
 * const redis = await createClient({ url: process.env.REDIS_URL }).connect()
 * const client = new MaskinportenClient(configFromEnv(), { store: new RedisTokenStore(redis, { keyPrefix: 'myapp:mp:' }) })
 * ```
 * @example ioredis, encrypted at rest
 * ```ts
 * import { Redis } from 'ioredis'
 * const store = new RedisTokenStore(new Redis(process.env.REDIS_URL), { encryptionKey: process.env.TOKEN_CACHE_KEY })
 * ```
 */
export class RedisTokenStore implements TokenStore {
  readonly #send: SendCommand
  readonly #kind: 'ioredis' | 'node-redis'
  readonly #prefix: string
  readonly #secret: Buffer | undefined
  readonly #leaseMs: number
  readonly #pollMs: number
  readonly #fallbackEntries: number
  readonly #fallback = new Map<string, StoredToken>()
  readonly #onError: ((error: RedisStoreError) => void) | undefined
  /** Cross-process single flight, for `MaskinportenClient`. */
  readonly lease: RedisLease

  /** Checks the options; sends nothing. Throws `invalid_config`. */
  constructor(client: RedisClientLike, options: RedisTokenStoreOptions = {}) {
    const timeoutMs = bounded('timeoutMs', options.timeoutMs, 1, 60_000, DEFAULT_COMMAND_TIMEOUT_MS)
    this.#send = commandSender(client, timeoutMs)
    this.#kind = clientKind(client)!
    const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX
    if (typeof prefix !== 'string' || prefix.length > 200 || /[\s\0]/.test(prefix)) {
      throw invalidConfig('keyPrefix', 'must be a string of at most 200 characters without spaces')
    }
    this.#prefix = prefix
    this.#secret = options.encryptionKey === undefined ? undefined : encryptionKeyBytes(options.encryptionKey)
    this.#leaseMs = bounded('leaseMs', options.leaseMs, 100, 60_000, DEFAULT_LEASE_MS)
    this.#pollMs = bounded('pollMs', options.pollMs, 1, 1_000, DEFAULT_POLL_MS)
    this.#fallbackEntries = bounded('fallbackEntries', options.fallbackEntries, 0, 1_000_000, DEFAULT_FALLBACK_ENTRIES)
    if (options.onError !== undefined && typeof options.onError !== 'function') throw invalidConfig('onError', 'must be a function')
    this.#onError = options.onError
    this.lease = { acquire: (key) => this.#acquire(key), wait: (key, timeoutMs) => this.#wait(key, timeoutMs) }
  }

  /**
   * The token under `key`, checked for size and shape (and opened, with an encryption key). Rejects with
   * `token_store_failed` for a failure or an entry that is not ours; while Redis fails, a token this process
   * wrote or read before is answered instead.
   */
  async get(key: string): Promise<StoredToken | undefined> {
    const where = this.#keys(key)
    let text: string | undefined
    try {
      text = bulkText(await this.#send(['GET', where.token]), MAX_ENTRY_BYTES)
    } catch (err) {
      const kept = this.#fallback.get(key)
      this.#report('get', err)
      if (kept !== undefined) return kept
      throw err
    }
    if (text === undefined) {
      this.#fallback.delete(key)
      return undefined
    }
    try {
      const token = decodeEntry(text, key, this.#secret)
      this.#keep(key, token)
      return token
    } catch (err) {
      this.#report('get', err)
      throw err
    }
  }

  /** Stores the token for `ttlMs` (milliseconds, the rest of its life). Kept in memory too, for an outage. */
  async set(key: string, token: StoredToken, ttlMs: number): Promise<void> {
    this.#keep(key, token)
    const ttl = Math.min(Math.max(1, Math.ceil(ttlMs)), 24 * 60 * 60 * 1000)
    try {
      setReply(await this.#send(['SET', this.#keys(key).token, encodeEntry(token, key, this.#secret), 'PX', String(ttl)]))
    } catch (err) {
      this.#report('set', err)
      throw err
    }
  }

  async delete(key: string): Promise<void> {
    this.#fallback.delete(key)
    try {
      integer(await this.#send(['DEL', this.#keys(key).token]))
    } catch (err) {
      this.#report('delete', err)
      throw err
    }
  }

  /** Deletes every key under this store's prefix (`SCAN` in rounds, then `DEL`): tokens and leases. */
  async clear(): Promise<void> {
    this.#fallback.clear()
    const pattern = `${this.#prefix.replace(/[*?[\]\\]/g, '\\$&')}*`
    try {
      let cursor = '0'
      for (let round = 0; round < MAX_SCAN_ROUNDS; round++) {
        const reply = await this.#send(['SCAN', cursor, 'MATCH', pattern, 'COUNT', String(SCAN_COUNT)])
        const [next, keys] = scanReply(reply)
        if (keys.length > 0) await this.#send(['DEL', ...keys])
        cursor = next
        if (cursor === '0') return
      }
      throw storeFailed(`clear() gave up after ${MAX_SCAN_ROUNDS} rounds of SCAN`)
    } catch (err) {
      this.#report('clear', err)
      throw err
    }
  }

  /** `SET lease id NX PX leaseMs`: a handle when taken, undefined while another process holds it. */
  async #acquire(key: string): Promise<TokenLeaseHandle | undefined> {
    const leaseKey = this.#keys(key).lease
    const owner = randomBytes(16).toString('hex')
    let taken: boolean
    try {
      taken = setReply(await this.#send(['SET', leaseKey, owner, 'NX', 'PX', String(this.#leaseMs)]))
    } catch (err) {
      this.#report('lease', err)
      // The SET may still land (it timed out in a queue): the release goes after it on the same connection, so no
      // lease is left that nobody knows it holds, which would keep the others waiting until it expires.
      this.#send(['EVAL', RELEASE_SCRIPT, '1', leaseKey, owner]).catch(() => {})
      throw err
    }
    if (!taken) return undefined
    return {
      release: async () => {
        try {
          integer(await this.#send(['EVAL', RELEASE_SCRIPT, '1', leaseKey, owner]))
        } catch (err) {
          this.#report('lease', err)
          throw err
        }
      },
    }
  }

  /** Looks every `pollMs` whether the lease is gone (`PTTL` says -2), for at most `timeoutMs`. */
  async #wait(key: string, timeoutMs: number): Promise<void> {
    const leaseKey = this.#keys(key).lease
    const until = Date.now() + timeoutMs
    try {
      for (;;) {
        const ttl = integer(await this.#send(['PTTL', leaseKey]))
        // -2: no such key; -1 (no expiry) is not a lease of ours: waiting for it would never end.
        if (ttl < 0) return
        const left = until - Date.now()
        if (left <= 0) return
        await sleep(Math.min(this.#pollMs, left, ttl))
      }
    } catch (err) {
      this.#report('lease', err)
      throw err
    }
  }

  #keys(key: string): { token: string; lease: string } {
    const slot = `${this.#prefix}{${createHash('sha256').update(key).digest('hex')}}`
    return { token: `${slot}:token`, lease: `${slot}:lease` }
  }

  /** Keeps a copy for an outage (the least recently stored goes first when full). */
  #keep(key: string, token: StoredToken): void {
    if (this.#fallbackEntries === 0) return
    this.#fallback.delete(key)
    this.#fallback.set(key, token)
    if (this.#fallback.size > this.#fallbackEntries) this.#fallback.delete(this.#fallback.keys().next().value!)
  }

  #report(operation: RedisStoreError['operation'], error: unknown): void {
    try {
      this.#onError?.({ operation, error: error instanceof Error ? error : storeFailed('unknown failure') })
    } catch {
      // A listener's bug must not break the store.
    }
  }

  /** Never a token or the key: `RedisTokenStore { client: 'ioredis', keyPrefix: 'maskinporten:', encrypted: true }`. */
  toJSON(): Record<string, unknown> {
    return { client: this.#kind, keyPrefix: this.#prefix, encrypted: this.#secret !== undefined, leaseMs: this.#leaseMs }
  }

  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    return `RedisTokenStore ${inspect(this.toJSON(), options)}`
  }
}

/** `[cursor, keys]` from a SCAN reply; anything else throws. */
function scanReply(reply: unknown): [string, string[]] {
  if (!Array.isArray(reply) || reply.length !== 2) throw storeFailed('Redis answered SCAN with something that is not [cursor, keys]')
  const text = (v: unknown): string => {
    const t = bulkText(v, 4096)
    if (t === undefined) throw storeFailed('Redis answered SCAN with an empty entry')
    return t
  }
  const [cursor, keys] = reply as [unknown, unknown]
  if (!Array.isArray(keys) || keys.length > SCAN_COUNT * 10) throw storeFailed('Redis answered SCAN with a key list that is not one')
  return [text(cursor), keys.map(text)]
}
