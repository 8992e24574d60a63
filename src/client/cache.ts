/**
 * {@link TokenCache}: expiry, refresh-ahead and single flight in front of a {@link TokenStore}. This file holds the
 * single flight (one fetch per key, shared by every caller, kept until the store reads that raced it have answered);
 * the policy of refreshing ahead is in refresh-ahead.ts, the bounded and checked store calls in guarded-store.ts,
 * the shapes they share in cache-types.ts.
 */
import { performance } from 'node:perf_hooks'
import type { ClientEndpoint } from './options.js'
import type { RetryBudget } from './retry.js'
import type { MaskinportenError } from '../errors/errors.js'
import { isThenable, type StoredToken } from './store.js'
import { fetchUnderLease } from './lease.js'
import { clientClosed, type Fetcher, type Flight, type ReadEra, type TokenCacheOptions } from './cache-types.js'
import { GuardedStore } from './guarded-store.js'
import { RefreshAhead } from './refresh-ahead.js'

// Their old home: importers of cache.js keep working.
export { clientClosed, DEFAULT_STORE_TIMEOUT_MS, type Fetcher, type Flight, type TokenCacheOptions } from './cache-types.js'

/** Errors a `failed` event was sent for already. */
const REPORTED = new WeakSet<object>()

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
  readonly #refresh: RefreshAhead
  readonly #store: GuardedStore
  #closed = false

  constructor(options: TokenCacheOptions) {
    this.#o = options
    this.#refresh = new RefreshAhead(options)
    this.#store = new GuardedStore(options)
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
    const read = this.#store.read(key)
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
    const refreshAt = this.#refresh.at(entry, usableUntil)
    if (now >= refreshAt && !this.#closed && !this.#running(key) && this.#refresh.allowed(key, entry, now)) {
      this.#o.emit?.({ type: 'refresh', key, endpoint })
      this.#join(key, endpoint, fetch, false, false, undefined).catch(() => this.#refresh.failed(key, entry, usableUntil))
    }
    this.#o.emit?.({ type: 'hit', key, expiresAt: entry.expiresAt })
    return entry
  }

  /**
   * A fetch through the store's lease (cross-process single flight, see lease.ts): one process of those sharing
   * the store fetches, the others take its token from the store. A token found there is this flight's outcome when
   * it is usable and, for a refresh, not due for one itself, or for a forced fetch, newer than the flight.
   */
  #leased(key: string, flight: Flight, fetch: Fetcher): Promise<StoredToken> {
    const lease = this.#o.store.lease!
    const startedAt = this.#o.now()
    // The caller's deadline covers waiting and fetching: waiting for another process takes at most half of it,
    // and a fetch of our own after that gets what is left.
    const start = performance.now()
    const deadline = Math.min(flight.deadline ?? Number.POSITIVE_INFINITY, start + (this.#o.leaseWaitMs ?? 30_000))
    flight.deadline = deadline
    const accept = (entry: StoredToken): boolean => {
      const now = this.#o.now()
      const usableUntil = entry.expiresAt - this.#o.marginMs
      if (now >= usableUntil) return false
      if (flight.forced) return entry.obtainedAt >= startedAt
      return flight.foreground || now < this.#refresh.at(entry, usableUntil)
    }
    return fetchUnderLease({
      lease,
      key,
      fetch: () => fetch(flight),
      read: () => this.#store.read(key),
      accept,
      write: (entry) => this.#store.write(key, entry),
      failed: (reason) => this.#store.failed(key, 'lease', reason),
      timeoutMs: this.#store.timeoutMs,
      until: start + (deadline - start) / 2,
      stopped: () => this.#closed,
      closed: clientClosed,
    }).then(({ entry, stored }) => {
      flight.stored = stored
      return entry
    })
  }

  /** True while a fetch for `key` is under way. */
  #running(key: string): boolean {
    const flight = this.#flights.get(key)
    return flight !== undefined && flight.outcome === undefined
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
  clear(): Promise<void> {
    this.#dropSettled()
    this.#refresh.clear()
    return this.#store.clear()
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
    const landing = this.#store.landing(key)
    if (landing !== undefined) await landing
    const read = this.#store.read(key)
    const stored = isThenable(read) ? await read : read
    if (stored?.accessToken !== entry.accessToken) return
    await this.#store.delete(key)
  }

  /** No fetch starts from now on (callers get {@link clientClosed}); every retry wait ends at once. */
  close(): void {
    this.#closed = true
    this.#dropSettled()
    this.#refresh.clear()
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
    const fetching = this.#o.store.lease === undefined ? fetch(flight) : this.#leased(key, flight, fetch)
    flight.promise = fetching.then(
      (entry) => {
        this.#refresh.succeeded(key)
        // Closed meanwhile (the answer came as close() ran): nothing is stored after close(), least of all in the
        // client's own store, which close() has just emptied. Through a lease it is stored already.
        const written = this.#closed || flight.stored === true ? undefined : this.#store.write(key, entry)
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
}
