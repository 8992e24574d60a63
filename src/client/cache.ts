/**
 * {@link TokenCache}: expiry, refresh-ahead and single flight in front of a {@link TokenStore}.
 */
import { performance } from 'node:perf_hooks'
import type { ClientEndpoint, ClientEvent } from './options.js'
import type { RetryBudget } from './retry.js'
import { MaskinportenError } from '../errors/errors.js'
import { isThenable, storedTokenProblem, type StoredToken, type TokenStore } from './store.js'

/**
 * One fetch for one key, shared by every caller of that key. Once settled it stays a moment (see {@link TokenCache})
 * so that callers whose store read raced its write still share its outcome.
 */
export interface Flight {
  promise: Promise<StoredToken>
  /** A caller waits on it, so its retry waits keep the process alive; a background refresh's do not. */
  foreground: boolean
  /** Started by `forceRefresh`; callers that only want a usable token do not queue behind it unasked. */
  forced: boolean
  /** Attempts made so far (for events). */
  attempts: number
  /** `performance.now()` by which it must give up, when sooner than the retry deadline (an exchange's remaining time). */
  deadline: number | undefined
  /** Retries left to the call that started it, when it shares them with another step of that call. */
  budget?: RetryBudget
  timer?: NodeJS.Timeout
  wake?: () => void
  /** Once settled: the token, or the error. */
  outcome?: { entry: StoredToken } | { error: unknown }
  /** Its token's store write, until it has landed (or failed); never rejects. */
  written?: Promise<void>
  /** The async store reads of this key that were already issued when it settled. */
  readsBefore?: ReadEra
}

/** Async store reads of one key issued between two settlements of its flights; `pending` have not answered yet. */
interface ReadEra {
  pending: number
}

/** Background refreshes of one key that failed: none is started again before `notBefore` (epoch ms). */
interface RefreshBackoff {
  /** The token being refreshed (its `expiresAt`): a new token starts afresh. */
  expiresAt: number
  failures: number
  notBefore: number
}

/** Keys with a backing-off refresh beyond which those with an expired token are swept out. */
const MAX_BACKOFFS = 1024

/** Fetches a token for a key; `flight` is for its retry waits ({@link TokenCache.sleep}), attempt count and deadline. */
export type Fetcher = (flight: Flight) => Promise<StoredToken>

/** How a {@link TokenCache} judges a cached token. */
export interface TokenCacheOptions {
  store: TokenStore
  /** Less than this left (milliseconds) and a token is not handed out. */
  marginMs: number
  /** Share of a token's life after which a hit also starts a background refresh. */
  refreshAhead: number
  /** First wait (milliseconds) after a failed background refresh before a hit starts another; doubled per failure. */
  refreshBackoffMs: number
  now: () => number
  /** Undefined when nobody listens, so that a hit builds no event. */
  emit: ((event: ClientEvent) => void) | undefined
  /**
   * Longest wait (milliseconds) for one store call; a later answer counts as none (a miss, an unwritten token).
   * Default {@link DEFAULT_STORE_TIMEOUT_MS}.
   */
  storeTimeoutMs?: number
  /** The scope set a key is for, to check a store's answer against; undefined skips that check. */
  scopeOf?: (key: string) => string | undefined
}

/** Default {@link TokenCacheOptions.storeTimeoutMs}: one second, far inside any retry deadline. */
export const DEFAULT_STORE_TIMEOUT_MS = 1_000

/** What a closed client's callers get. */
export function clientClosed(): MaskinportenError {
  return new MaskinportenError('client_closed', 'This MaskinportenClient is closed: make a new one')
}

/** Errors a `failed` event was sent for already. */
const REPORTED = new WeakSet<object>()

/** What a bounded store call resolves to when the store failed, answered too late, or not at all. */
const NO_ANSWER: unique symbol = Symbol('no answer')

/** Store operations, as events name them. */
type StoreOperation = Extract<ClientEvent, { type: 'store-error' }>['operation']
type StoreProblem = NonNullable<Extract<ClientEvent, { type: 'store-error' }>['reason']>

/**
 * Expiry, refresh-ahead and single flight in front of a {@link TokenStore}. A failed fetch is never stored; a
 * failing store is reported and worked around, never thrown to the caller.
 *
 * Single flight holds with an async store too: a settled flight is kept until its token's store write has landed
 * and every store read issued before it settled has answered. A read that comes back without a usable token
 * then takes that flight's outcome instead of starting a second fetch.
 */
export class TokenCache {
  readonly #o: TokenCacheOptions
  readonly #flights = new Map<string, Flight>()
  readonly #eras = new Map<string, ReadEra>()
  readonly #backoff = new Map<string, RefreshBackoff>()
  readonly #written = new Set<string>()
  /** Per key, every async store write not landed yet (one promise for all of them); never rejects. */
  readonly #landing = new Map<string, Promise<void>>()
  /**
   * Entries known good for a key: fetched here, or a store answer already checked. A synchronous store hands back
   * the same object, so a hit is checked once, not on every call.
   */
  readonly #trusted = new WeakMap<object, string>()
  readonly #storeTimeoutMs: number
  #closed = false

  constructor(options: TokenCacheOptions) {
    this.#o = options
    this.#storeTimeoutMs = options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS
  }

  /**
   * A usable cached token, or the result of `fetch` shared with every concurrent caller of `key`. A hit in a
   * synchronous store is answered synchronously: a store lookup and a clock read; no signing, no I/O, no timers,
   * not even a promise.
   *
   * @param foreground false for a fetch no caller waits on (a refresh ahead).
   * @param deadline `performance.now()` by which a fetch started here must give up, if sooner than the retry deadline.
   * @param budget retries a fetch started here shares with the call that asks (see {@link RetryBudget}).
   */
  obtain(
    key: string,
    endpoint: ClientEndpoint,
    fetch: Fetcher,
    force: boolean,
    foreground = true,
    deadline?: number,
    budget?: RetryBudget,
  ): StoredToken | Promise<StoredToken> {
    if (force) return this.#join(key, endpoint, fetch, foreground, true, deadline, budget)
    // What this process already knows comes before the store: a token just fetched (its write may not have landed),
    // or a fetch that callers without a usable token already wait on.
    if (this.#flights.size !== 0) {
      const flight = this.#flights.get(key)
      const outcome = flight?.outcome
      if (outcome !== undefined) {
        const hit = 'entry' in outcome ? this.#usable(key, endpoint, fetch, outcome.entry) : undefined
        if (hit !== undefined) return hit
      } else if (flight !== undefined && flight.foreground && !flight.forced) {
        return flight.promise
      }
    }
    const read = this.#read(key)
    if (!isThenable(read)) return this.#usable(key, endpoint, fetch, read) ?? this.#join(key, endpoint, fetch, foreground, false, deadline, budget)
    let era = this.#eras.get(key)
    if (era === undefined) this.#eras.set(key, (era = { pending: 0 }))
    era.pending++
    const issued = era
    return read.then((entry) => {
      try {
        return this.#usable(key, endpoint, fetch, entry) ?? this.#afterMiss(key, issued, endpoint, fetch, foreground, deadline, budget)
      } finally {
        this.#answered(key, issued)
      }
    })
  }

  /** The entry if it has more than the margin left (starting a background refresh when it is getting old). */
  #usable(key: string, endpoint: ClientEndpoint, fetch: Fetcher, entry: StoredToken | undefined): StoredToken | undefined {
    if (entry === undefined) return undefined
    const now = this.#o.now()
    const usableUntil = entry.expiresAt - this.#o.marginMs
    if (now >= usableUntil) return undefined
    // The share of the life, but never later than the margin allows a refresh to land: at least the margin (or a
    // quarter of the usable life, for short tokens) before it, so that a 10 s token under a 5 s margin is renewed too.
    const usableLife = usableUntil - entry.obtainedAt
    const refreshAt = Math.min(
      entry.obtainedAt + (entry.expiresAt - entry.obtainedAt) * this.#o.refreshAhead,
      usableUntil - Math.min(this.#o.marginMs, usableLife * (1 - this.#o.refreshAhead)),
    )
    if (now >= refreshAt && !this.#closed && !this.#running(key) && this.#mayRefresh(key, entry, now)) {
      this.#o.emit?.({ type: 'refresh', key, endpoint })
      this.#join(key, endpoint, fetch, false, false, undefined).catch(() => this.#refreshFailed(key, entry, usableUntil))
    }
    this.#o.emit?.({ type: 'hit', key, expiresAt: entry.expiresAt })
    return entry
  }

  /** True while a fetch for `key` is under way. */
  #running(key: string): boolean {
    const flight = this.#flights.get(key)
    return flight !== undefined && flight.outcome === undefined
  }

  /** False while a refresh of this token backs off after failing. */
  #mayRefresh(key: string, entry: StoredToken, now: number): boolean {
    if (this.#backoff.size === 0) return true
    const backoff = this.#backoff.get(key)
    if (backoff === undefined) return true
    if (backoff.expiresAt !== entry.expiresAt) {
      this.#backoff.delete(key) // another token now: its refresh starts afresh
      return true
    }
    return now >= backoff.notBefore
  }

  /**
   * After a failed background refresh (a withdrawn scope, a wrong kid, an outage): the next one waits the base
   * delay, doubled per failure, but never more than half the time left before the token's margin (nor less than
   * the base delay), so a cure is still picked up before callers would have to wait. Past the margin a caller's
   * own fetch is not held back.
   */
  #refreshFailed(key: string, entry: StoredToken, usableUntil: number): void {
    const now = this.#o.now()
    const previous = this.#backoff.get(key)
    const failures = previous?.expiresAt === entry.expiresAt ? previous.failures + 1 : 1
    const base = Math.max(1, this.#o.refreshBackoffMs)
    const exponential = base * 2 ** Math.min(failures - 1, 30)
    const delayMs = Math.min(exponential, Math.max(base, (usableUntil - now) / 2))
    // Keys nobody asks for again would stay: once there are many, those whose token has expired go.
    if (this.#backoff.size >= MAX_BACKOFFS) for (const [k, b] of this.#backoff) if (b.expiresAt <= now) this.#backoff.delete(k)
    this.#backoff.set(key, { expiresAt: entry.expiresAt, failures, notBefore: now + delayMs })
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

  /**
   * Forgets every token: the whole store if it can, else the keys written through this cache. Writes already on
   * their way land first, so that none of them brings a token back afterwards.
   */
  async clear(): Promise<void> {
    this.#dropSettled()
    this.#backoff.clear()
    if (this.#landing.size !== 0) await Promise.all(this.#landing.values())
    const keys = [...this.#written]
    this.#written.clear()
    const { store } = this.#o
    if (store.clear) await this.#call('*', 'clear', () => store.clear!())
    else await Promise.all(keys.map((key) => this.#call(key, 'delete', () => store.delete(key))))
  }

  /**
   * Forgets `entry` under `key` (a token the other side refused), in this process and in the store, unless the
   * store holds another token by now. Its write may not have landed yet: that is waited for first, else the write
   * would land after the check and keep the refused token in the store until it expires. Never throws.
   */
  async forget(key: string, entry: StoredToken): Promise<void> {
    const flight = this.#flights.get(key)
    if (flight?.outcome !== undefined && 'entry' in flight.outcome && flight.outcome.entry.accessToken === entry.accessToken) {
      this.#flights.delete(key)
    }
    const landing = this.#landing.get(key)
    if (landing !== undefined) await landing
    const read = this.#read(key)
    const stored = isThenable(read) ? await read : read
    if (stored?.accessToken !== entry.accessToken) return
    await this.#call(key, 'delete', () => this.#o.store.delete(key))
  }

  /** No fetch starts from now on (callers get {@link clientClosed}); every retry wait ends at once. */
  close(): void {
    this.#closed = true
    this.#dropSettled()
    this.#backoff.clear()
    for (const flight of this.#flights.values()) flight.wake?.()
  }

  #dropSettled(): void {
    for (const [key, flight] of this.#flights) if (flight.outcome !== undefined) this.#flights.delete(key)
  }

  /** A store read found no usable token: the outcome of a flight it raced, else a fetch (shared). */
  #afterMiss(
    key: string,
    era: ReadEra,
    endpoint: ClientEndpoint,
    fetch: Fetcher,
    foreground: boolean,
    deadline: number | undefined,
    budget: RetryBudget | undefined,
  ): StoredToken | Promise<StoredToken> {
    const flight = this.#flights.get(key)
    const outcome = flight?.outcome
    if (outcome !== undefined) {
      if ('entry' in outcome) {
        // Issued before the flight settled, or before its write landed: the store could not have had it yet.
        const hit = flight!.readsBefore === era || flight!.written !== undefined ? this.#usable(key, endpoint, fetch, outcome.entry) : undefined
        if (hit !== undefined) return hit
      } else if (flight!.readsBefore === era) {
        return flight!.promise // the error every caller of that moment gets
      }
    }
    return this.#join(key, endpoint, fetch, foreground, false, deadline, budget)
  }

  #join(
    key: string,
    endpoint: ClientEndpoint,
    fetch: Fetcher,
    foreground: boolean,
    forced: boolean,
    deadline: number | undefined,
    budget?: RetryBudget,
  ): Promise<StoredToken> {
    if (this.#closed) return Promise.reject(clientClosed())
    const running = this.#flights.get(key)
    if (running !== undefined && running.outcome === undefined) {
      if (foreground && !running.foreground) {
        running.foreground = true
        running.timer?.ref()
      }
      return running.promise
    }
    const flight: Flight = { foreground, forced, attempts: 0, deadline, promise: undefined as never }
    if (budget !== undefined) flight.budget = budget
    const started = performance.now()
    flight.promise = fetch(flight).then(
      (entry) => {
        this.#backoff.delete(key)
        // Closed meanwhile (the answer came as close() ran): nothing is stored after close(), least of all in the
        // client's own store, which close() has just emptied.
        const written = this.#closed ? undefined : this.#write(key, entry)
        if (written !== undefined) {
          flight.written = written
          void written.then(() => {
            flight.written = undefined
            this.#release(key, flight)
          })
        }
        this.#settled(key, flight, { entry })
        return entry
      },
      (err: MaskinportenError) => {
        const status = err.status === undefined ? {} : { status: err.status }
        const durationMs = performance.now() - started
        // Once per error: an Altinn fetch that fails because its Maskinporten step did is that one failure.
        if (!REPORTED.has(err)) {
          if (typeof err === 'object' && err !== null) REPORTED.add(err)
          this.#o.emit?.({ type: 'failed', key, endpoint, attempt: flight.attempts, ...status, code: err.code, durationMs, background: !flight.foreground })
        }
        this.#settled(key, flight, { error: err })
        throw err
      },
    )
    flight.promise.catch(() => {}) // kept after it settles: a rejection nobody else awaits is not unhandled
    this.#flights.set(key, flight)
    return flight.promise
  }

  /** Records the outcome; reads issued until now belong to this flight; it goes once none of them is pending. */
  #settled(key: string, flight: Flight, outcome: NonNullable<Flight['outcome']>): void {
    flight.outcome = outcome
    flight.readsBefore = this.#eras.get(key)
    this.#eras.delete(key)
    this.#release(key, flight)
  }

  /** One async read of `key` answered. */
  #answered(key: string, era: ReadEra): void {
    if (--era.pending !== 0) return
    if (this.#eras.get(key) === era) this.#eras.delete(key)
    const flight = this.#flights.get(key)
    if (flight?.readsBefore === era) this.#release(key, flight)
  }

  /** Drops a settled flight once nothing can need it: its write landed and the reads that raced it answered. */
  #release(key: string, flight: Flight): void {
    if (flight.outcome === undefined || flight.written !== undefined || (flight.readsBefore?.pending ?? 0) !== 0) return
    if (this.#flights.get(key) === flight) this.#flights.delete(key)
  }

  /**
   * The stored token, checked ({@link storedTokenProblem}); a synchronous store's answer is passed on as is, so a
   * hit needs no promise. A store that throws, rejects, answers late or answers garbage is a miss and an event.
   */
  #read(key: string): StoredToken | undefined | Promise<StoredToken | undefined> {
    let got: unknown
    try {
      got = this.#o.store.get(key)
    } catch {
      return this.#storeFailed(key, 'get', 'failed')
    }
    if (!isThenable(got)) return this.#checked(key, got)
    return this.#bounded(key, 'get', got).then((answer) => (answer === NO_ANSWER ? undefined : this.#checked(key, answer)))
  }

  /** A store's answer if it is a token for `key`, else undefined (a miss; garbage is reported). */
  #checked(key: string, answer: unknown): StoredToken | undefined {
    if (answer === undefined || answer === null) return undefined // node-redis and others say null for a miss
    if (typeof answer === 'object' && this.#trusted.get(answer) === key) return answer as StoredToken
    const problem = storedTokenProblem(answer, this.#o.now(), this.#o.scopeOf?.(key))
    if (problem !== undefined) return this.#storeFailed(key, 'get', 'invalid')
    this.#trusted.set(answer as object, key)
    return answer as StoredToken
  }

  #storeFailed(key: string, operation: StoreOperation, reason: StoreProblem): undefined {
    this.#o.emit?.({ type: 'store-error', key, operation, reason })
    return undefined
  }

  /**
   * A store's promise, bounded: its value, or {@link NO_ANSWER} when it rejects or has not answered within the
   * store timeout (reported either way). Never rejects. Its timer keeps the process alive only while it runs, as
   * a caller waits on it.
   */
  #bounded<T>(key: string, operation: StoreOperation, pending: PromiseLike<T>): Promise<T | typeof NO_ANSWER> {
    return new Promise((resolve) => {
      let done = false
      const finish = (value: T | typeof NO_ANSWER, reason?: StoreProblem): void => {
        if (done) return
        done = true
        clearTimeout(timer)
        if (reason !== undefined) this.#storeFailed(key, operation, reason)
        resolve(value)
      }
      const timer = setTimeout(() => finish(NO_ANSWER, 'timeout'), this.#storeTimeoutMs)
      try {
        pending.then(
          (value) => finish(value),
          () => finish(NO_ANSWER, 'failed'),
        )
      } catch {
        finish(NO_ANSWER, 'failed') // a thenable whose then() throws
      }
    })
  }

  /** One store call whose answer does not matter (`set`, `delete`, `clear`): bounded, never rejects. */
  #call(key: string, operation: StoreOperation, call: () => unknown): Promise<void> | undefined {
    let done: unknown
    try {
      done = call()
    } catch {
      this.#storeFailed(key, operation, 'failed')
      return undefined
    }
    return isThenable(done) ? this.#bounded(key, operation, done).then(() => {}) : undefined
  }

  /** Stores `entry`; for an async store, a promise of its landing (or failing, or timing out), which never rejects. */
  #write(key: string, entry: StoredToken): Promise<void> | undefined {
    this.#trusted.set(entry, key)
    const ttlMs = Math.max(1, entry.expiresAt - this.#o.now())
    const landed = this.#call(key, 'set', () => this.#o.store.set(key, entry, ttlMs))
    // Only a store that cannot clear itself needs its keys remembered, for clear().
    if (!this.#o.store.clear) this.#written.add(key)
    if (landed === undefined) return undefined
    const before = this.#landing.get(key)
    const all = before === undefined ? landed : Promise.all([before, landed]).then(() => {})
    this.#landing.set(key, all)
    void all.then(() => {
      if (this.#landing.get(key) === all) this.#landing.delete(key)
    })
    return landed
  }
}
