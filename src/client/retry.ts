/**
 * When `MaskinportenClient` tries again, how long it waits, and how it learns Maskinporten's clock. Pure functions
 * and one loop; the client supplies the attempt, the clock and the sleep.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3 (Retry-After)
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_feilsoking (MP-130: iat/exp judged within ±10 s)
 */
import { describeValue, invalidConfig, isFinal, isMaskinportenError, MaskinportenError, safeCause } from '../errors/errors.js'
import { MAX_CLOCK_OFFSET_MS } from '../exchange/limits.js'

/** How the client retries. Every field is optional; the defaults suit production. */
export interface RetryOptions {
  /**
   * Overall time (in milliseconds) one fetch may take, retries and waits included. Default 30000. No retry starts
   * in its last tenth: there it would only time out.
   */
  deadlineMs?: number
  /** Wait (in milliseconds) before the first retry; doubled each retry. Default 200. */
  baseDelayMs?: number
  /** Longest backoff wait (in milliseconds), before jitter. Default 5000. */
  maxDelayMs?: number
  /** Longest wait (in milliseconds) a server's `Retry-After` can impose. Default 10000. */
  maxRetryAfterMs?: number
  /** Most attempts per fetch, the first included. Default: no limit but the deadline. */
  maxAttempts?: number
}

/** {@link RetryOptions} with every default filled in. */
export type RetryPolicy = Required<RetryOptions>

/** The defaults of {@link RetryOptions}. */
export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({
  deadlineMs: 30_000,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxRetryAfterMs: 10_000,
  maxAttempts: Number.POSITIVE_INFINITY,
})

/** Longest time (milliseconds) any retry setting may name: what a timer can wait. */
const MAX_RETRY_MS = 2_147_483_647

/**
 * Fills in defaults and checks values; throws `invalid_config` naming the field. Only own, known fields of a plain
 * object are read; every value must be a number (no BigInt, string or boolean coerced): times finite, from 0 to
 * what a timer can wait; `maxAttempts` a whole number of at least 1, or `Infinity`.
 */
export function retryPolicy(options: RetryOptions | undefined = {}): RetryPolicy {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidConfig('retry', `must be an object of retry settings, got ${describeValue(options, false)}`)
  }
  const policy: Record<string, number> = { ...DEFAULT_RETRY }
  for (const field of Object.keys(DEFAULT_RETRY) as Array<keyof RetryPolicy>) {
    const value: unknown = Object.prototype.hasOwnProperty.call(options, field) ? options[field] : undefined
    if (value === undefined) continue
    const ok =
      typeof value === 'number' &&
      (field === 'maxAttempts'
        ? value === Number.POSITIVE_INFINITY || (Number.isInteger(value) && value >= 1)
        : Number.isFinite(value) && value >= 0 && value <= MAX_RETRY_MS)
    if (!ok) {
      const want = field === 'maxAttempts' ? 'a whole number of at least 1 (or Infinity)' : `a number of milliseconds from 0 to ${MAX_RETRY_MS}`
      throw invalidConfig(`retry.${field}`, `must be ${want}, got ${describeValue(value, false)}`)
    }
    policy[field] = value
  }
  return policy as RetryPolicy
}

/**
 * True for failures another attempt may cure: no answer (refused, reset, timeout), 5xx, 429, 408, a 200 that is
 * not a token, and `Grant is used before` (MP-012; the next attempt has a new `jti`). Every other 4xx is a fault
 * in the request or the registration (wrong kid, unknown scope, missing delegation) that retrying cannot fix.
 */
export function isTransient(err: unknown): boolean {
  if (!isMaskinportenError(err) || isFinal(err)) return false
  if (err.code === 'maskinporten_request_failed' || err.code === 'altinn_exchange_failed') return true
  if (err.code !== 'maskinporten_error' && err.code !== 'altinn_exchange_error') return false
  const status = err.status ?? 0
  return status >= 500 || status === 429 || status === 408 || status === 200 || err.mpCode === 'MP-012'
}

const SKEW_TEXT = /JWT is expired|Issue time is after now/i

/**
 * The clock offset (server − local, in milliseconds) that an MP-130 answer reveals, or `undefined` when the answer
 * is not about time or its `Date` header agrees with the clock already in use.
 *
 * A `Date` header has whole seconds: the server's clock was somewhere in `[serverTime, serverTime + 1000)` while
 * answering, and the answer was written between `sentAt` and `receivedAt`, so the offset is taken at the middle of
 * both ranges. An offset within 1 s of `currentOffsetMs` is no news: the header cannot tell apart finer than that;
 * one beyond ±10 minutes is not believed.
 *
 * @param sentAt local clock (epoch ms) when the request went out.
 * @param receivedAt local clock (epoch ms) when the answer came.
 */
export function learnedClockOffset(
  err: unknown,
  sentAt: number,
  receivedAt: number,
  currentOffsetMs: number,
): number | undefined {
  if (!isMaskinportenError(err) || err.serverTime === undefined || err.status !== 400) return undefined
  if (err.mpCode !== 'MP-130' && !SKEW_TEXT.test(err.oauthErrorDescription ?? '')) return undefined
  const offset = Math.round(err.serverTime + 500 - (sentAt + receivedAt) / 2)
  // A clock more than ten minutes off is not skew to learn but a broken header (or a broken machine): ignored.
  if (!Number.isFinite(offset) || Math.abs(offset) > MAX_CLOCK_OFFSET_MS) return undefined
  return Math.abs(offset - currentOffsetMs) >= 1000 ? offset : undefined
}

/**
 * Milliseconds to wait before attempt `attempt + 1`: exponential (`baseDelayMs · 2^(attempt−1)`, capped at
 * `maxDelayMs`) with "equal jitter" (a random point in the upper half, so callers spread out but never hammer), and
 * never less than the server's `Retry-After`, itself capped at `maxRetryAfterMs`.
 *
 * @param random a number in [0, 1); `Math.random` outside tests.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, err: unknown, random: number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt - 1, 30))
  const jittered = exponential / 2 + (exponential / 2) * random
  const retryAfter = isMaskinportenError(err) ? (err.retryAfterMs ?? 0) : 0
  return Math.round(Math.max(jittered, Math.min(retryAfter, policy.maxRetryAfterMs)))
}

/** What the loop reports before each retry. */
export interface RetryInfo {
  /** The attempt that failed (1 for the first). */
  attempt: number
  /** Its error (a `MaskinportenError`). */
  error: MaskinportenError
  /** Milliseconds until the next attempt (0 after a clock correction). */
  delayMs: number
  /** Why the next attempt is made. */
  reason: 'transient' | 'clock-skew'
}

/** What the loop needs from its owner. */
export interface RetryHooks<T> {
  /** One attempt. `timeoutMs` is what is left of the deadline: no request may outlive it. */
  attempt(attempt: number, timeoutMs: number): Promise<T>
  /** After a failed attempt, before the transient check: true to retry at once (a clock correction was learned). */
  correct(err: unknown): boolean
  /** Monotonic milliseconds, for the deadline. */
  elapsed(): number
  /** Waits; resolves early when the client is closed. */
  sleep(ms: number): Promise<void>
  /** True once the client is closed: stop at once. */
  stopped(): boolean
  /** Told before every retry. */
  onRetry(info: RetryInfo): void
  /** [0, 1) for jitter. */
  random(): number
  /**
   * Asked before each retry: false when the call's shared budget of retries is spent (then the error is thrown);
   * true takes one from it. Without it, only `maxAttempts` counts.
   */
  spend?(): boolean
}

/**
 * Retries left to one call, shared by every request it makes (an Altinn token's Maskinporten fetch and its
 * exchange): `maxAttempts` bounds the call, not each step.
 */
export interface RetryBudget {
  left: number
}

/** Clock corrections allowed per fetch: one should do; a second covers a clock stepped meanwhile. */
const MAX_CORRECTIONS = 2

/**
 * Runs `hooks.attempt` until it succeeds, fails in a way that retrying cannot fix, or the deadline or attempt limit
 * is reached; then throws the last error (always a `MaskinportenError`).
 */
export async function withRetries<T>(policy: RetryPolicy, hooks: RetryHooks<T>): Promise<T> {
  const deadline = hooks.elapsed() + policy.deadlineMs
  let corrections = 0
  for (let attempt = 1; ; attempt++) {
    try {
      return await hooks.attempt(attempt, Math.max(1, deadline - hooks.elapsed()))
    } catch (err) {
      // Anything but a MaskinportenError is a bug, not weather: report it, do not retry it.
      if (!isMaskinportenError(err)) {
        throw new MaskinportenError('maskinporten_request_failed', 'Fetching the token failed unexpectedly', { cause: safeCause(err) })
      }
      const error = err
      if (hooks.stopped() || attempt >= policy.maxAttempts) throw error
      if (corrections < MAX_CORRECTIONS && hooks.correct(error)) {
        if (hooks.spend && !hooks.spend()) throw error
        corrections++
        hooks.onRetry({ attempt, error, delayMs: 0, reason: 'clock-skew' })
        continue
      }
      if (!isTransient(error)) throw error
      const delayMs = backoffDelay(policy, attempt, error, hooks.random())
      // An attempt squeezed into the last moments would only time out and hide the real error behind a timeout.
      if (hooks.elapsed() + delayMs + policy.deadlineMs / 10 >= deadline) throw error
      if (hooks.spend && !hooks.spend()) throw error
      hooks.onRetry({ attempt, error, delayMs, reason: 'transient' })
      await hooks.sleep(delayMs)
      if (hooks.stopped()) throw error
    }
  }
}
