/**
 * {@link clientSettings}: the checks of a `MaskinportenClientOptions` object, each option's type, range and default,
 * as `new MaskinportenClient()` runs them once. Apart from client.ts because checking what a caller passed in is an
 * edge of its own, while the client is the token methods behind it.
 */
import { DEFAULT_STORE_TIMEOUT_MS } from './cache-types.js'
import { MemoryTokenStore, type TokenStore } from './store.js'
import { describeValue, invalidConfig } from '../errors/errors.js'
import { DEFAULT_MARGIN_MS, DEFAULT_REFRESH_AHEAD, type ClientEvent, type MaskinportenClientOptions } from './options.js'
import { field, optionsObject } from '../config/arguments.js'
import { MAX_CLOCK_OFFSET_MS, MAX_TOKEN_LIFETIME_MS } from '../exchange/limits.js'
import { retryPolicy, type RetryPolicy } from './retry.js'

/** The longest timer Node can set (milliseconds). */
const MAX_TIMER_MS = 2_147_483_647

/** A client's options once checked, with their defaults filled in (see {@link MaskinportenClientOptions}). */
export interface ClientSettings {
  /** The store to use: the caller's, or a new {@link MemoryTokenStore}. */
  store: TokenStore
  /** True when the store is the client's own (none was given): close() empties it. */
  ownStore: boolean
  /** Milliseconds of life a token must have left to be handed out. */
  marginMs: number
  /** Share of a token's life after which a hit also refreshes it in the background. */
  refreshAhead: number
  retry: RetryPolicy
  /** Epoch milliseconds now. */
  now: () => number
  /** The clock offset (milliseconds) grants are signed with until Maskinporten's answers correct it. */
  offsetMs: number
  /** The `onEvent` listener made safe (its throws swallowed); undefined without one, so no event is built. */
  emit: ((event: ClientEvent) => void) | undefined
  /** Longest wait (milliseconds) for one store call, before the retry deadline caps it. */
  storeTimeoutMs: number
}

/**
 * Checks `options` as given to `new MaskinportenClient(config, options)`: every field read once (a getter that
 * throws is named), each of the right type and range, defaults filled in. Throws `invalid_config` naming the
 * option; sends nothing.
 *
 * @example
 * ```ts
 * const { marginMs, retry } = clientSettings({ marginMs: 30_000 }) // retry: the default policy
 * ```
 */
export function clientSettings(options: MaskinportenClientOptions): ClientSettings {
  const o = optionsObject(options, 'options')
  const get = (name: keyof MaskinportenClientOptions): unknown => field(o, name, 'options')
  const store = get('store')
  const ownStore = store === undefined
  if (store !== undefined) {
    if (store === null || typeof store !== 'object') throw invalidConfig('store', `must be a TokenStore object, got ${describeValue(store, false)}`)
    for (const method of ['get', 'set', 'delete'] as const) {
      if (typeof field(store as Record<string, unknown>, method, 'store') !== 'function') throw invalidConfig('store', `has no ${method}() method`)
    }
    const clear = field(store as Record<string, unknown>, 'clear', 'store')
    if (clear !== undefined && typeof clear !== 'function') throw invalidConfig('store', `has a clear that is ${describeValue(clear, false)}, not a method`)
    const lease = field(store as Record<string, unknown>, 'lease', 'store')
    if (lease !== undefined) {
      const methods = lease !== null && typeof lease === 'object' ? (['acquire', 'wait'] as const).map((m) => field(lease as Record<string, unknown>, m, 'store.lease')) : []
      if (methods.length === 0 || methods.some((m) => typeof m !== 'function')) {
        throw invalidConfig('store.lease', 'must have acquire() and wait() methods (see TokenLease), or be left out')
      }
    }
  }
  const maxEntries = get('maxEntries')
  if (maxEntries !== undefined && typeof maxEntries !== 'number') throw invalidConfig('maxEntries', `must be a positive integer, got ${describeValue(maxEntries, false)}`)
  const tokenStore = (store as TokenStore | undefined) ?? new MemoryTokenStore(maxEntries)
  const marginMs = get('marginMs') ?? DEFAULT_MARGIN_MS
  if (typeof marginMs !== 'number' || !Number.isFinite(marginMs) || marginMs < 0 || marginMs >= MAX_TOKEN_LIFETIME_MS) {
    throw invalidConfig('marginMs', `must be a number of milliseconds from 0 to less than a day, got ${describeValue(marginMs, false)}`)
  }
  const refreshAhead = get('refreshAhead') ?? DEFAULT_REFRESH_AHEAD
  if (typeof refreshAhead !== 'number' || !(refreshAhead > 0 && refreshAhead <= 1)) {
    throw invalidConfig('refreshAhead', `must be a number in (0, 1], got ${describeValue(refreshAhead, false)}`)
  }
  const retry = retryPolicy(get('retry') as MaskinportenClientOptions['retry'])
  const now = get('now') ?? Date.now
  if (typeof now !== 'function') throw invalidConfig('now', `must be a function returning epoch milliseconds, got ${describeValue(now, false)}`)
  const clock = now as () => number
  const offsetMs = get('clockOffsetMs') ?? 0
  if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs) || Math.abs(offsetMs) > MAX_CLOCK_OFFSET_MS) {
    throw invalidConfig('clockOffsetMs', `must be a number of milliseconds within ±${MAX_CLOCK_OFFSET_MS}, got ${describeValue(offsetMs, false)}`)
  }
  const onEvent = get('onEvent') as MaskinportenClientOptions['onEvent']
  if (onEvent !== undefined && typeof onEvent !== 'function') throw invalidConfig('onEvent', `must be a function, got ${describeValue(onEvent, false)}`)
  // Undefined without a listener, so that the hot path builds no event objects.
  const emit = onEvent
    ? (event: ClientEvent): void => {
        try {
          onEvent(event)
        } catch {
          // A listener's bug must not break token fetching.
        }
      }
    : undefined
  const storeTimeoutMs = get('storeTimeoutMs') ?? DEFAULT_STORE_TIMEOUT_MS
  if (typeof storeTimeoutMs !== 'number' || !(storeTimeoutMs > 0 && storeTimeoutMs <= MAX_TIMER_MS)) {
    throw invalidConfig('storeTimeoutMs', `must be a positive number of milliseconds up to ${MAX_TIMER_MS}, got ${describeValue(storeTimeoutMs, false)}`)
  }
  return { store: tokenStore, ownStore, marginMs, refreshAhead, retry, now: clock, offsetMs, emit, storeTimeoutMs }
}
