/**
 * The vocabulary of `MaskinportenClient`: its options and defaults, what a token request may say, and the events it
 * reports.
 */
import type { TokenStore } from './store.js'
import type { MaskinportenErrorCode } from '../errors/errors.js'
import type { RetryOptions } from './retry.js'
import type { ConsentReference } from '../signing/grant.js'

/** Default {@link MaskinportenClientOptions.marginMs}. */
export const DEFAULT_MARGIN_MS = 5_000
/** Default {@link MaskinportenClientOptions.refreshAhead}. */
export const DEFAULT_REFRESH_AHEAD = 0.75

/** Options of {@link MaskinportenClient}. All optional. */
export interface MaskinportenClientOptions {
  /** Where tokens are kept. Default: a {@link MemoryTokenStore} of `maxEntries` entries, private to this client. */
  store?: TokenStore
  /** Capacity of the default store (ignored with `store`). Default 10000. */
  maxEntries?: number
  /** A token is never handed out with less than this left (milliseconds). Default 5000. */
  marginMs?: number
  /**
   * Share of a token's life after which a cache hit also starts a background refresh (the caller still gets the
   * cached token at once). In (0, 1]; default 0.75 (about 89 s into a 119 s Maskinporten token).
   */
  refreshAhead?: number
  /** Retry policy: deadline (default 30 s), backoff, `Retry-After` cap. See {@link RetryOptions}. */
  retry?: RetryOptions
  /** The clock (epoch ms). Default `Date.now`. Inject one in tests instead of sleeping. */
  now?: () => number
  /**
   * Longest wait (milliseconds) for one call of the store (`get`, `set`, `delete`, `clear`). A store that answers
   * later is a miss (`get`) or ignored (the rest), and a `store-error` event; no caller waits longer. Default 1000.
   */
  storeTimeoutMs?: number
  /** Initial estimate of Maskinporten's clock minus ours (milliseconds), e.g. from a previous run. Default 0. */
  clockOffsetMs?: number
  /** Told what the client does; never given a token or a grant. Exceptions thrown by it are ignored. */
  onEvent?: (event: ClientEvent) => void
}

/** Which call an event is about: Maskinporten's token endpoint or Altinn's exchange. */
export type ClientEndpoint = 'token' | 'exchange'

/**
 * What the client tells `onEvent`. `key` is the cache key (issuer, client id, scope set, org ...: no secrets);
 * `durationMs` is wall time from the first attempt; `background` is true for a refresh no caller waits on.
 */
export type ClientEvent =
  | { type: 'hit'; key: string; expiresAt: number }
  /**
   * A request is about to be sent to the token endpoint or the exchange (a grant is signed by then), `attempt`
   * counted as in the `retry`, `fetched` and `failed` events that follow. One per request: each retry says it
   * again, as does the exchange's second try with a fresh Maskinporten token after a 401. For progress output
   * ("asking Maskinporten ...") without wrapping `fetch`.
   */
  | { type: 'request'; key: string; endpoint: ClientEndpoint; attempt: number; background: boolean }
  | { type: 'fetched'; key: string; endpoint: ClientEndpoint; attempt: number; status: 200; durationMs: number; expiresAt: number; background: boolean }
  | {
      type: 'retry'
      key: string
      endpoint: ClientEndpoint
      attempt: number
      status?: number
      code: MaskinportenErrorCode
      reason: 'transient' | 'clock-skew'
      delayMs: number
      /** The media type of an answer that was not a token (`text/html`), when that was the failure. */
      contentType?: string
    }
  | { type: 'refresh'; key: string; endpoint: ClientEndpoint }
  | { type: 'skew-corrected'; key: string; clockOffsetMs: number; previousOffsetMs: number }
  | { type: 'failed'; key: string; endpoint: ClientEndpoint; attempt: number; status?: number; code: MaskinportenErrorCode; durationMs: number; background: boolean }
  | {
      type: 'store-error'
      key: string
      /** `lease`: taking, watching or releasing a store's lease (cross-process single flight). */
      operation: 'get' | 'set' | 'delete' | 'clear' | 'lease'
      /** `failed`: threw or rejected; `timeout`: no answer within `storeTimeoutMs`; `invalid`: not a token for the key. */
      reason?: 'failed' | 'timeout' | 'invalid'
    }
  /**
   * The business certificate the grants carry ends in fewer than 30 days (`CERTIFICATE_WARNING_DAYS`): said when a
   * grant is signed, at most once a day per client. `notAfter` is epoch ms.
   */
  | { type: 'certificate-expiring'; key: string; orgNummer: string; notAfter: number; daysLeft: number }

/** What changes a Maskinporten token. */
export interface GetTokenOptions {
  /** Scopes, space-separated or a list; order and duplicates do not matter. Default {@link defaultScopes}. */
  scope?: string | readonly string[]
  /** Customer org number: a system user (systembruker) token for that organisation. */
  orgNummer?: string
  /** The system user's external reference, when it was made with one. Needs `orgNummer`. */
  externalRef?: string
  /** Audience(s) of the token (`resource`). */
  resource?: string | readonly string[]
  /** Customer that delegated access to you (`consumer_org`, the supplier flow). */
  consumerOrg?: string
  /**
   * A consent (samtykke) the token must carry: `{id, from}` (see `ConsentReference`). Tokens are cached per
   * consent; the cache key holds a hash of `from`, never a person's number.
   */
  consent?: ConsentReference
  /** Skip the cache (e.g. the token was just refused); concurrent callers still share one request. */
  forceRefresh?: boolean
}

/** What changes an Altinn token: the Maskinporten token it is exchanged from. */
export type AltinnTokenOptions = GetTokenOptions
