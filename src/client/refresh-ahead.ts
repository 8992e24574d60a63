/**
 * {@link RefreshAhead}: when a cache hit also starts a background refresh, and how long a refresh that failed holds
 * the next one back. Apart from cache.ts because it is a policy about time, not about who fetches: the single flight
 * there asks it on a hit whether to start one, and tells it how that refresh ended.
 */
import type { TokenCacheOptions } from './cache-types.js'
import type { StoredToken } from './store.js'

/** Background refreshes of one key that failed: none is started again before `notBefore` (epoch ms). */
interface RefreshBackoff {
  /** The token being refreshed (its `expiresAt`): a new token starts afresh. */
  expiresAt: number
  failures: number
  notBefore: number
}

/** Keys with a backing-off refresh beyond which those with an expired token are swept out. */
const MAX_BACKOFFS = 1024

/**
 * The refresh-ahead policy of one {@link TokenCache}: the moment a hit starts a refresh ({@link RefreshAhead.at}),
 * and per key the backoff of refreshes that failed (bounded: keys nobody asks for again are swept out).
 *
 * @example
 * ```ts
 * const refresh = new RefreshAhead({ marginMs: 10_000, refreshAhead: 0.75, refreshBackoffMs: 200, now: Date.now })
 * if (Date.now() >= refresh.at(entry, entry.expiresAt - 10_000) && refresh.allowed(key, entry, Date.now())) startRefresh()
 * ```
 */
export class RefreshAhead {
  readonly #o: Pick<TokenCacheOptions, 'marginMs' | 'refreshAhead' | 'refreshBackoffMs' | 'now'>
  readonly #backoff = new Map<string, RefreshBackoff>()

  constructor(options: Pick<TokenCacheOptions, 'marginMs' | 'refreshAhead' | 'refreshBackoffMs' | 'now'>) {
    this.#o = options
  }

  /**
   * When a hit also starts a refresh (epoch ms): the share of the life, but never later than the margin allows a
   * refresh to land: at least the margin (or a quarter of the usable life, for short tokens) before it, so that a
   * 10 s token under a 5 s margin is renewed too.
   */
  at(entry: StoredToken, usableUntil: number): number {
    const usableLife = usableUntil - entry.obtainedAt
    return Math.min(
      entry.obtainedAt + (entry.expiresAt - entry.obtainedAt) * this.#o.refreshAhead,
      usableUntil - Math.min(this.#o.marginMs, usableLife * (1 - this.#o.refreshAhead)),
    )
  }

  /** False while a refresh of this token backs off after failing. */
  allowed(key: string, entry: StoredToken, now: number): boolean {
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
  failed(key: string, entry: StoredToken, usableUntil: number): void {
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

  /** A fetch for `key` succeeded: its next refresh is not held back. */
  succeeded(key: string): void {
    this.#backoff.delete(key)
  }

  /** Forgets every backoff (the cache was cleared or closed). */
  clear(): void {
    this.#backoff.clear()
  }
}
