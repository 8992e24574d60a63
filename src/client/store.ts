/**
 * Where `MaskinportenClient` keeps tokens: the {@link TokenStore} interface (async, so that pods can share tokens
 * through Redis or the like) and the bounded in-memory LRU that is the default.
 */
import { invalidConfig } from '../errors/errors.js'

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
 * transit. A store that fails (throws or rejects) is treated as a miss on `get` and ignored on `set`/`delete`: the
 * client then fetches a token rather than failing the caller.
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
  /** The token stored under `key`, or `undefined`. Expired tokens may be returned; the client checks expiry. */
  get(key: string): Promise<StoredToken | undefined> | StoredToken | undefined
  /** Stores `token` under `key`. `ttlMs` (milliseconds) is how long it is worth keeping: use it as the store's TTL. */
  set(key: string, token: StoredToken, ttlMs: number): Promise<void> | void
  /** Forgets `key`. */
  delete(key: string): Promise<void> | void
  /** Forgets everything (optional; without it `client.clear()` deletes the keys that client wrote). */
  clear?(): Promise<void> | void
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
      throw invalidConfig('maxEntries', `must be a positive integer, got ${String(maxEntries)}`)
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
