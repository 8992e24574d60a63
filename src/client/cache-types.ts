/**
 * What the token cache's parts share: a {@link Flight} (one fetch for one key), a {@link Fetcher}, the cache's
 * options with their defaults, and the error a closed client's callers get. Apart from cache.ts so that the single
 * flight there, the refresh-ahead policy (refresh-ahead.ts), the store calls (guarded-store.ts) and the client's
 * fetches (fetching.ts) can name them without importing one another.
 */
import type { ClientEvent } from './options.js'
import type { RetryBudget } from './retry.js'
import { MaskinportenError } from '../errors/errors.js'
import type { StoredToken, TokenStore } from './store.js'

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
  /** Its token is in the store already (it came through the store's lease): nothing to write. */
  stored?: boolean
}

/** Async store reads of one key issued between two settlements of its flights; `pending` have not answered yet. */
export interface ReadEra {
  pending: number
}

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
  /**
   * With a store that has a lease: the deadline (milliseconds) of a fetch that may wait for another process's token;
   * half of it at most is spent waiting. Default 30000 (the retry deadline).
   */
  leaseWaitMs?: number
}

/** Default {@link TokenCacheOptions.storeTimeoutMs}: one second, far inside any retry deadline. */
export const DEFAULT_STORE_TIMEOUT_MS = 1_000

/** What a closed client's callers get. */
export function clientClosed(): MaskinportenError {
  return new MaskinportenError('client_closed', 'This MaskinportenClient is closed: make a new one')
}
