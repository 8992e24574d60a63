/**
 * {@link TokenFetcher}: how a client fetches a token when its cache has none: a grant signed by the corrected clock
 * and sent to Maskinporten, or a Maskinporten token exchanged at Altinn, each within the retry loop, its deadline
 * and the client's close signal, each answer checked for a life that can be handed out. Apart from client.ts
 * because this is the network side (requests, retries, the clock learned from them), while the client is the public
 * methods that ask the cache.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_token
 */
import { performance } from 'node:perf_hooks'
import { exchangeForAltinnToken } from '../exchange/altinn.js'
import type { TokenCache } from './cache.js'
import { clientClosed, type Flight } from './cache-types.js'
import { isThenable, type StoredToken } from './store.js'
import type { ResolvedConfig } from '../config/config.js'
import { isMaskinportenError, markFinal, MaskinportenError } from '../errors/errors.js'
import { createGrant } from '../signing/grant.js'
import { requestToken } from '../exchange/maskinporten.js'
import type { ClientEndpoint, ClientEvent } from './options.js'
import { MAX_TOKEN_LIFETIME_MS } from '../exchange/limits.js'
import { learnedClockOffset, withRetries, type RetryBudget, type RetryHooks, type RetryPolicy } from './retry.js'
import { decodeToken } from '../exchange/token.js'
import { CERTIFICATE_WARNING_DAYS, daysLeft } from '../signing/certificate.js'
import type { Target } from './targets.js'
import type { ClientSettings } from './client-settings.js'

/**
 * The fetching side of one `MaskinportenClient`: it owns the clock offset learned from Maskinporten's answers, the
 * requests in flight (so that {@link TokenFetcher.close} can abort them) and whether the client is closed. A
 * target's fetchers call {@link TokenFetcher.maskinporten} and {@link TokenFetcher.altinn}; the cache runs them.
 *
 * @example
 * ```ts
 * const fetcher = new TokenFetcher(config, cache, clientSettings(options))
 * const target = targets.get({ orgNummer: '310702641' }) // its fetchToken is (flight) => fetcher.maskinporten(target, flight)
 * const token = await cache.obtain(target.key, 'token', target.fetchToken, false)
 * ```
 */
export class TokenFetcher {
  readonly #config: ResolvedConfig
  readonly #cache: TokenCache
  readonly #retry: RetryPolicy
  readonly #now: () => number
  readonly #marginMs: number
  readonly #emit: ((event: ClientEvent) => void) | undefined
  /** One per request in flight, so that close() can abort them. Not one long-lived signal: see #withRetries. */
  readonly #requests = new Set<AbortController>()
  #offsetMs: number
  #closed = false
  #certificateWarnedAt = Number.NEGATIVE_INFINITY

  constructor(config: ResolvedConfig, cache: TokenCache, settings: Pick<ClientSettings, 'retry' | 'now' | 'marginMs' | 'emit' | 'offsetMs'>) {
    this.#config = config
    this.#cache = cache
    this.#retry = settings.retry
    this.#now = settings.now
    this.#marginMs = settings.marginMs
    this.#emit = settings.emit
    this.#offsetMs = settings.offsetMs
  }

  /** Maskinporten's clock minus this machine's (milliseconds), as learned from its answers. Grants are signed by it. */
  get offsetMs(): number {
    return this.#offsetMs
  }

  /** True once {@link TokenFetcher.close} has run: no request starts any more. */
  get closed(): boolean {
    return this.#closed
  }

  /** No request starts from now on; those in flight are aborted (their callers get that error). */
  close(): void {
    this.#closed = true
    for (const request of this.#requests) request.abort()
  }

  /** Grant → token endpoint, a new grant per attempt, the clock corrected on MP-130. */
  maskinporten(target: Target, flight: Flight): Promise<StoredToken> {
    let sentAt = 0
    return this.#withRetries(target.key, 'token', flight, {
      attempt: async (deadline, signal) => {
        sentAt = this.#now()
        // A signer's wait is bounded by what is left of the deadline, as a request is.
        const signing = this.#config.signer ? { ...this.#config, timeoutMs: this.#timeoutMs(deadline), signal } : this.#config
        const grant = await createGrant(signing, target.params, sentAt + this.#offsetMs)
        if (this.#config.certificate) this.#warnCertificate(target.key, sentAt)
        this.#requesting(target.key, 'token', flight)
        const res = await requestToken({ ...this.#config, timeoutMs: this.#timeoutMs(deadline) }, grant, { signal })
        const expiresAt = sentAt + res.expires_in * 1000 // relative to our clock: skew cannot shorten or stretch it
        this.#checkFresh('Maskinporten', 'maskinporten_error', sentAt, expiresAt)
        return { accessToken: res.access_token, tokenType: res.token_type, scope: res.scope ?? target.params.scope, obtainedAt: sentAt, expiresAt }
      },
      correct: (err) => {
        const offset = learnedClockOffset(err, sentAt, this.#now(), this.#offsetMs)
        if (offset === undefined) return false
        const previousOffsetMs = this.#offsetMs
        this.#offsetMs = offset
        this.#emit?.({ type: 'skew-corrected', key: target.key, clockOffsetMs: offset, previousOffsetMs })
        return true
      },
    })
  }

  /**
   * Maskinporten token (cached, or fetched within what is left of this attempt's deadline and the call's retries)
   * → Altinn's exchange; expiry from the Altinn token's own claims. A Maskinporten step that fails ends the call
   * (it had the call's deadline and retries already; trying it again here would exceed both). A 401 means the
   * exchange refused that Maskinporten token (a restarted issuer, rotated keys): it is dropped from the cache, a
   * fresh one fetched, and the exchange tried once more within the same call.
   */
  altinn(target: Target, flight: Flight): Promise<StoredToken> {
    const budget = this.#budgetOf(flight)
    const maskinporten = async (deadline: number, force: boolean): Promise<StoredToken> => {
      try {
        // Joining a fetch another caller started runs on that fetch's deadline; one started here gets ours.
        const got = this.#cache.obtain(target.key, 'token', target.fetchToken, force, flight.foreground, deadline, budget)
        return isThenable(got) ? await got : got
      } catch (err) {
        throw isMaskinportenError(err) ? markFinal(err) : err
      }
    }
    return this.#withRetries(target.altinnKey, 'exchange', flight, {
      attempt: async (deadline, signal) => {
        let mp = await maskinporten(deadline, false)
        let sentAt = this.#now()
        const exchange = (): Promise<string> => {
          this.#requesting(target.altinnKey, 'exchange', flight)
          return exchangeForAltinnToken({ ...this.#config, timeoutMs: this.#timeoutMs(deadline) }, mp.accessToken, { signal })
        }
        let token: string
        try {
          token = await exchange()
        } catch (err) {
          if (!(isMaskinportenError(err) && err.code === 'altinn_exchange_error' && err.status === 401)) throw err
          await this.#cache.forget(target.key, mp)
          mp = await maskinporten(deadline, true)
          sentAt = this.#now()
          token = await exchange() // a second 401 is the answer
        }
        const expiresAt = altinnExpiry(token, sentAt, this.#offsetMs, mp)
        this.#checkFresh('Altinn', 'altinn_exchange_error', sentAt, expiresAt)
        return { accessToken: token, tokenType: 'Bearer', scope: mp.scope, obtainedAt: sentAt, expiresAt }
      },
      correct: () => false,
    })
  }

  /** The `request` event: one request of `flight` is about to be sent. */
  #requesting(key: string, endpoint: ClientEndpoint, flight: Flight): void {
    this.#emit?.({ type: 'request', key, endpoint, attempt: flight.attempts, background: !flight.foreground })
  }

  /** The `certificate-expiring` event, at most once a day: a certificate's renewal takes its issuer days. */
  #warnCertificate(key: string, now: number): void {
    const { orgNummer, notAfter } = this.#config.certificate!
    const left = daysLeft({ notAfter }, now)
    if (this.#emit === undefined || left >= CERTIFICATE_WARNING_DAYS || now - this.#certificateWarnedAt < 86_400_000) return
    this.#certificateWarnedAt = now
    this.#emit({ type: 'certificate-expiring', key, orgNummer, notAfter, daysLeft: left })
  }

  /**
   * Refuses a token just fetched that could not be handed out: one whose whole life is no longer than `marginMs`
   * (asking again gets the same: an error naming the setting, not retried), one claiming more than a day (a broken
   * answer, not retried), and one that arrived with less than `marginMs` left (a slow answer: retried, like a 200
   * that is not a token).
   */
  #checkFresh(service: string, code: 'maskinporten_error' | 'altinn_exchange_error', sentAt: number, expiresAt: number): void {
    const life = expiresAt - sentAt
    if (!Number.isFinite(life) || life > MAX_TOKEN_LIFETIME_MS) {
      throw markFinal(new MaskinportenError(code, `${service} answered a token that claims to live more than a day; refused`, { status: 200 }))
    }
    if (life <= this.#marginMs) {
      throw markFinal(
        new MaskinportenError(code, `${service} answered a token that lives ${Math.round(life / 1000)} s, no longer than marginMs (${this.#marginMs} ms)`, {
          status: 200,
          hint: 'It could never be handed out: lower marginMs below the token lifetime',
        }),
      )
    }
    const left = expiresAt - this.#now()
    if (left <= this.#marginMs) {
      throw new MaskinportenError(code, `${service}'s token arrived with ${Math.max(0, Math.round(left / 1000))} s left, less than marginMs; fetching another`, { status: 200 })
    }
  }

  /** The retries a flight may spend: its call's (shared with the step that started it), else a budget of its own. */
  #budgetOf(flight: Flight): RetryBudget {
    if (flight.budget === undefined) flight.budget = { left: this.#retry.maxAttempts - 1 }
    return flight.budget
  }

  /** One request's timeout: the configured one, or what is left before `deadline` (`performance.now()`), if less. */
  #timeoutMs(deadline: number): number {
    // Whole milliseconds of at least 1: what a timer takes.
    return Math.max(1, Math.ceil(Math.min(this.#config.timeoutMs, deadline - performance.now())))
  }

  /**
   * The retry loop with this client's clock, timers, close signal and events. Each attempt is given its deadline
   * (`performance.now()` time): the loop's, or the flight's own when that is sooner.
   */
  async #withRetries(
    key: string,
    endpoint: ClientEndpoint,
    flight: Flight,
    hooks: { attempt: (deadline: number, signal: AbortSignal) => Promise<StoredToken>; correct: RetryHooks<StoredToken>['correct'] },
  ): Promise<StoredToken> {
    const started = performance.now()
    const policy = flight.deadline === undefined ? this.#retry : { ...this.#retry, deadlineMs: Math.max(0, Math.min(this.#retry.deadlineMs, flight.deadline - started)) }
    const entry = await withRetries(policy, {
      attempt: async (attempt, remainingMs) => {
        if (this.#closed) throw clientClosed() // closed before the first attempt: nothing is sent
        flight.attempts = attempt
        // A signal per request: Node 20's AbortSignal.any keeps a trace of every signal combined with a long-lived
        // one, which a client making requests for months would accumulate.
        const request = new AbortController()
        this.#requests.add(request)
        try {
          return await hooks.attempt(performance.now() + remainingMs, request.signal)
        } finally {
          this.#requests.delete(request)
        }
      },
      correct: hooks.correct,
      elapsed: () => performance.now(),
      sleep: (ms) => this.#cache.sleep(flight, ms),
      stopped: () => this.#closed,
      random: Math.random,
      spend: () => {
        const budget = this.#budgetOf(flight)
        if (budget.left <= 0) return false
        budget.left--
        return true
      },
      onRetry: ({ attempt, error, delayMs, reason }) => {
        const status = error.status === undefined ? {} : { status: error.status }
        const contentType = error.contentType === undefined ? {} : { contentType: error.contentType }
        this.#emit?.({ type: 'retry', key, endpoint, attempt, ...status, code: error.code, reason, delayMs, ...contentType })
      },
    })
    const durationMs = performance.now() - started
    const { expiresAt } = entry
    this.#emit?.({ type: 'fetched', key, endpoint, attempt: flight.attempts, status: 200, durationMs, expiresAt, background: !flight.foreground })
    return entry
  }
}

/**
 * When an Altinn token stops being valid, by our clock: its life (`exp − iat`, 30 minutes) counted from when we
 * asked, so that Altinn's clock cannot stretch it; `exp` shifted by the learned offset when there is no `iat`; and
 * for a token that is not a readable JWT, no longer than the Maskinporten token it came from.
 */
function altinnExpiry(token: string, sentAt: number, offsetMs: number, from: StoredToken): number {
  try {
    const { exp, iat } = decodeToken(token).claims
    if (typeof exp === 'number') {
      return typeof iat === 'number' && exp > iat ? sentAt + (exp - iat) * 1000 : exp * 1000 - offsetMs
    }
  } catch {
    // Not a JWT: fall through to the conservative answer.
  }
  return from.expiresAt
}
