/**
 * Where `MaskinportenClient` keeps tokens: the {@link TokenStore} interface (async, so that pods can share tokens
 * through Redis or the like) and the bounded in-memory LRU that is the default.
 */
import { describeValue, invalidConfig } from '../errors/errors.js'
import { isTokenText, MAX_CLOCK_OFFSET_MS, MAX_TOKEN_LIFETIME_MS } from '../exchange/limits.js'

/**
 * A token as a {@link TokenStore} holds it: plain JSON-safe data, so a shared store can serialise it as is.
 * Times are epoch milliseconds of the clock of the process that fetched it.
 */
export interface StoredToken {
  /** The token itself (a Maskinporten access token, or an Altinn token). Secret. */
  accessToken: string
  /** `Bearer`. */
  tokenType: string
  /** The scopes granted, space-separated. */
  scope: string
  /** When it was asked for (epoch ms, taken before the request was sent, so the life below is never overstated). */
  obtainedAt: number
  /** When it stops being valid (epoch ms): `obtainedAt + expires_in` for Maskinporten, from `exp` for Altinn. */
  expiresAt: number
}

/**
 * Storage for cached tokens. Every method may answer directly or with a promise; the client awaits only what is
 * a promise, so a synchronous store keeps cache hits free of promise round trips.
 *
 * Keys are printable strings naming the issuer, client id, scope set, org and so on: no secret is in a key. The
 * values are tokens: a store shared between processes holds secrets at rest, so keep it private and encrypted in
 * transit. A store that fails (throws or rejects), or does not answer within the client's `storeTimeoutMs`
 * (default 1 s), is treated as a miss on `get` and ignored on `set`/`delete`/`clear`: the client then fetches a
 * token rather than failing or stalling the caller, and reports a `store-error` event. What `get` answers is
 * checked before it is used: `null` or `undefined` is a miss, and anything that is not a token for that key (see
 * {@link storedTokenProblem}) is a miss and a `store-error` event.
 *
 * @example A Redis store (node-redis 4), shared by every pod of a service:
 * ```ts
 * const store: TokenStore = {
 *   async get(key) {
 *     const text = await redis.get(`maskinporten:${key}`)
 *     return text ? (JSON.parse(text) as StoredToken) : undefined
 *   },
 *   async set(key, token, ttlMs) {
 *     await redis.set(`maskinporten:${key}`, JSON.stringify(token), { PX: ttlMs })
 *   },
 *   async delete(key) {
 *     await redis.del(`maskinporten:${key}`)
 *   },
 * }
 * ```
 */
export interface TokenStore {
  /**
   * The token stored under `key`, or `undefined` (or `null`, as node-redis says). Expired tokens may be returned;
   * the client checks expiry.
   */
  get(key: string): Promise<StoredToken | undefined | null> | StoredToken | undefined | null
  /** Stores `token` under `key`. `ttlMs` (milliseconds) is how long it is worth keeping: use it as the store's TTL. */
  set(key: string, token: StoredToken, ttlMs: number): Promise<void> | void
  /** Forgets `key`. */
  delete(key: string): Promise<void> | void
  /** Forgets everything (optional; without it `client.clear()` deletes the keys that client wrote). */
  clear?(): Promise<void> | void
  /**
   * Cross-process single flight (optional, for stores shared between processes): on a miss, one process takes
   * the lease and fetches; the others wait for its token. See {@link TokenLease}. Without it each process fetches.
   */
  lease?: TokenLease
}

/** Default {@link MemoryTokenStore} capacity: one entry per (scope set, org, ...) combination. */
export const DEFAULT_MAX_ENTRIES = 10_000

/**
 * The default store: an in-memory LRU of at most `maxEntries` tokens. Synchronous, so a cache hit costs a map
 * lookup. When full, the least recently used entry goes.
 *
 * @example
 * ```ts
 * const client = new MaskinportenClient(config, { store: new MemoryTokenStore(50_000) })
 * ```
 */
export class MemoryTokenStore implements TokenStore {
  readonly #entries = new Map<string, StoredToken>()
  readonly #maxEntries: number

  /** @param maxEntries how many tokens to keep (default {@link DEFAULT_MAX_ENTRIES}). */
  constructor(maxEntries: number = DEFAULT_MAX_ENTRIES) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw invalidConfig('maxEntries', `must be a positive integer, got ${describeValue(maxEntries, false)}`)
    }
    this.#maxEntries = maxEntries
  }

  /** How many tokens are held. */
  get size(): number {
    return this.#entries.size
  }

  get(key: string): StoredToken | undefined {
    const entry = this.#entries.get(key)
    // A Map iterates in insertion order: re-inserting makes this the most recently used entry.
    if (entry !== undefined && this.#entries.size > 1) {
      this.#entries.delete(key)
      this.#entries.set(key, entry)
    }
    return entry
  }

  set(key: string, token: StoredToken): void {
    this.#entries.delete(key)
    this.#entries.set(key, token)
    if (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!)
  }

  delete(key: string): void {
    this.#entries.delete(key)
  }

  clear(): void {
    this.#entries.clear()
  }

  /** Never the tokens: `MemoryTokenStore { size: 3 }`. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `MemoryTokenStore { size: ${this.#entries.size}, maxEntries: ${this.#maxEntries} }`
  }

  toJSON(): Record<string, number> {
    return { size: this.#entries.size, maxEntries: this.#maxEntries }
  }
}

/** True for a promise or promise-like (a store may use any promise library). */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function'
}

/** Longest `tokenType` and `scope` taken from a store (characters). */
const MAX_TOKEN_TYPE_CHARS = 32
const MAX_SCOPE_CHARS = 8 * 1024

/**
 * Why a store's answer is not a usable token for a key whose scope set is `scopeSet`, or undefined when it is one:
 * a plain object with a JWT-shaped `accessToken` of sane size, short `tokenType` and `scope` strings, finite
 * `obtainedAt` and `expiresAt` with a life of no more than a day, not obtained in the future (beyond the clock
 * skew a fleet may have), and a `scope` that holds every scope of the key. Never quotes the answer.
 *
 * @param now epoch milliseconds.
 * @param scopeSet the key's scopes, space-separated; undefined skips the scope check.
 * @example
 * ```ts
 * storedTokenProblem({ accessToken: 5 }, Date.now(), 'a') // 'accessToken is not a token'
 * ```
 */
export function storedTokenProblem(value: unknown, now: number, scopeSet?: string): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not an object'
  const v = value as Record<string, unknown>
  if (!isTokenText(v.accessToken)) return 'accessToken is not a token'
  if (typeof v.tokenType !== 'string' || v.tokenType === '' || v.tokenType.length > MAX_TOKEN_TYPE_CHARS) return 'tokenType is not a token type'
  if (typeof v.scope !== 'string' || v.scope.length > MAX_SCOPE_CHARS) return 'scope is not a scope string'
  const { obtainedAt, expiresAt } = v
  if (typeof obtainedAt !== 'number' || typeof expiresAt !== 'number' || !Number.isFinite(obtainedAt) || !Number.isFinite(expiresAt)) {
    return 'obtainedAt or expiresAt is not a finite time'
  }
  const life = expiresAt - obtainedAt
  if (!(life > 0 && life <= MAX_TOKEN_LIFETIME_MS)) return 'its life is not between 0 and a day'
  if (obtainedAt > now + MAX_CLOCK_OFFSET_MS) return 'obtainedAt is in the future'
  if (scopeSet !== undefined) {
    const granted = new Set(v.scope.split(' '))
    for (const scope of scopeSet.split(' ')) if (scope !== '' && !granted.has(scope)) return 'it is for another scope set'
  }
  return undefined
}

/**
 * A lease once taken: the holder fetches, stores the token, then releases. Releasing must only remove this very
 * lease (compare-and-delete), never one another process took after this one expired.
 */
export interface TokenLeaseHandle {
  /** Gives the lease up. May fail: the lease then expires by itself. */
  release(): Promise<void> | void
}

/**
 * The optional lease of a {@link TokenStore} shared between processes (Redis, a database, memcached ...). The store
 * chooses the lease's lifetime: long enough for one fetch, short enough that a holder that died (killed, its
 * machine gone) holds nobody up for long. A holder does not extend it: one that outlives it shares the work with
 * the next holder, which is what should happen when Maskinporten is slow.
 *
 * @example A store whose `lease` lives in a SQL table (sketch):
 * ```ts
 * const lease: TokenLease = {
 *   async acquire(key) {
 *     const owner = randomUUID()
 *     const taken = await db.tryInsertLease(key, owner, Date.now() + 5_000) // false while an unexpired one exists
 *     return taken ? { release: () => db.deleteLease(key, owner) } : undefined
 *   },
 *   async wait(key, timeoutMs) {
 *     const until = Date.now() + timeoutMs
 *     while (Date.now() < until && (await db.leaseAlive(key))) await sleep(25)
 *   },
 * }
 * ```
 */
export interface TokenLease {
  /**
   * Tries to take the lease on `key`: a handle when this process may fetch, `undefined` while another process
   * holds it. Throws (or rejects) when the store cannot tell: the caller then fetches for itself.
   */
  acquire(key: string): Promise<TokenLeaseHandle | undefined> | TokenLeaseHandle | undefined
  /**
   * Resolves once the lease on `key` is free (released or expired), or after `timeoutMs` (milliseconds) at the
   * latest. Rejects when the store cannot tell.
   */
  wait(key: string, timeoutMs: number): Promise<void>
}
