/**
 * Where `MaskinportenClient` keeps tokens: the {@link TokenStore} interface (async, so that pods can share tokens
 * through Redis or the like), the bounded in-memory LRU that is the default, and {@link TokenCache}, which puts
 * expiry, refresh-ahead and single flight in front of a store.
 */
import { performance } from 'node:perf_hooks'
import type { ClientEndpoint, ClientEvent } from './client-options.js'
import { invalidConfig, type MaskinportenError } from './errors.js'

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


/** One fetch in progress for one key, shared by every caller of that key. */
export interface Flight {
  promise: Promise<StoredToken>
  /** A caller waits on it, so its retry waits keep the process alive; a background refresh's do not. */
  foreground: boolean
  /** Attempts made so far (for events). */
  attempts: number
  timer?: NodeJS.Timeout
  wake?: () => void
}

/** Fetches a token for a key; `flight` is for its retry waits ({@link TokenCache.sleep}) and attempt count. */
export type Fetcher = (flight: Flight) => Promise<StoredToken>

/** How a {@link TokenCache} judges a cached token. */
export interface TokenCacheOptions {
  store: TokenStore
  /** Less than this left (milliseconds) and a token is not handed out. */
  marginMs: number
  /** Share of a token's life after which a hit also starts a background refresh. */
  refreshAhead: number
  now: () => number
  /** Undefined when nobody listens, so that a hit builds no event. */
  emit: ((event: ClientEvent) => void) | undefined
}

/**
 * Expiry, refresh-ahead and single flight in front of a {@link TokenStore}. A failed fetch is never stored; a
 * failing store is reported and worked around, never thrown to the caller.
 */
export class TokenCache {
  readonly #o: TokenCacheOptions
  readonly #flights = new Map<string, Flight>()
  readonly #written = new Set<string>()

  constructor(options: TokenCacheOptions) {
    this.#o = options
  }

  /**
   * A usable cached token, or the result of `fetch` shared with every concurrent caller of `key`. A hit in a
   * synchronous store is answered synchronously: a store lookup and a clock read; no signing, no I/O, no timers,
   * not even a promise.
   */
  obtain(key: string, endpoint: ClientEndpoint, fetch: Fetcher, force: boolean, foreground = true): StoredToken | Promise<StoredToken> {
    if (force) return this.#join(key, endpoint, fetch, foreground)
    const read = this.#read(key)
    if (isThenable(read)) return read.then((entry) => this.#usable(key, endpoint, fetch, entry) ?? this.#join(key, endpoint, fetch, foreground))
    return this.#usable(key, endpoint, fetch, read) ?? this.#join(key, endpoint, fetch, foreground)
  }

  /** The entry if it has more than the margin left (starting a background refresh when it is getting old). */
  #usable(key: string, endpoint: ClientEndpoint, fetch: Fetcher, entry: StoredToken | undefined): StoredToken | undefined {
    if (entry === undefined) return undefined
    const now = this.#o.now()
    if (now >= entry.expiresAt - this.#o.marginMs) return undefined
    const refreshAt = entry.obtainedAt + (entry.expiresAt - entry.obtainedAt) * this.#o.refreshAhead
    if (now >= refreshAt && !this.#flights.has(key)) {
      this.#o.emit?.({ type: 'refresh', key, endpoint })
      this.#join(key, endpoint, fetch, false).catch(() => {}) // reported to onEvent as 'failed'
    }
    this.#o.emit?.({ type: 'hit', key, expiresAt: entry.expiresAt })
    return entry
  }

  /** Waits `ms` for a retry. The timer is unref'd unless a caller waits on the flight; `close()` ends it early. */
  sleep(flight: Flight, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(flight.timer)
        flight.timer = undefined
        flight.wake = undefined
        resolve()
      }
      flight.timer = setTimeout(wake, ms)
      if (!flight.foreground) flight.timer.unref()
      flight.wake = wake
    })
  }

  /** Forgets every token: the whole store if it can, else the keys written through this cache. */
  async clear(): Promise<void> {
    const keys = [...this.#written]
    this.#written.clear()
    try {
      const { store } = this.#o
      if (store.clear) await store.clear()
      else await Promise.all(keys.map((key) => store.delete(key)))
    } catch {
      this.#o.emit?.({ type: 'store-error', key: '*', operation: 'clear' })
    }
  }

  /** Ends every retry wait at once (the flights then see that the client is closed). */
  wakeAll(): void {
    for (const flight of this.#flights.values()) flight.wake?.()
  }

  #join(key: string, endpoint: ClientEndpoint, fetch: Fetcher, foreground: boolean): Promise<StoredToken> {
    const running = this.#flights.get(key)
    if (running) {
      if (foreground && !running.foreground) {
        running.foreground = true
        running.timer?.ref()
      }
      return running.promise
    }
    const flight: Flight = { foreground, attempts: 0, promise: undefined as never }
    const started = performance.now()
    flight.promise = fetch(flight).then(
      (entry) => {
        this.#write(key, entry)
        return entry
      },
      (err: MaskinportenError) => {
        const status = err.status === undefined ? {} : { status: err.status }
        const durationMs = performance.now() - started
        this.#o.emit?.({ type: 'failed', key, endpoint, attempt: flight.attempts, ...status, code: err.code, durationMs, background: !flight.foreground })
        throw err
      },
    )
    const done = (): void => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key)
    }
    flight.promise.then(done, done)
    this.#flights.set(key, flight)
    return flight.promise
  }

  /** The stored token; a synchronous store's answer is passed on as is, so a hit needs no promise. */
  #read(key: string): StoredToken | undefined | Promise<StoredToken | undefined> {
    const failed = (): undefined => {
      this.#o.emit?.({ type: 'store-error', key, operation: 'get' })
      return undefined
    }
    try {
      const got = this.#o.store.get(key)
      return isThenable(got) ? Promise.resolve(got).catch(failed) : got
    } catch {
      return failed()
    }
  }

  #write(key: string, entry: StoredToken): void {
    const failed = (): void => this.#o.emit?.({ type: 'store-error', key, operation: 'set' })
    try {
      const ttlMs = Math.max(1, entry.expiresAt - this.#o.now())
      const done = this.#o.store.set(key, entry, ttlMs)
      if (isThenable(done)) Promise.resolve(done).catch(failed)
      // Only a store that cannot clear itself needs its keys remembered, for clear().
      if (!this.#o.store.clear) this.#written.add(key)
    } catch {
      failed()
    }
  }
}

/** True for a promise or promise-like (a store may use any promise library). */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function'
}
