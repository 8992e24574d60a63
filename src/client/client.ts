/**
 * `MaskinportenClient`: the seed's flows behind a cache a production service can lean on: one request however many
 * callers ask at once, refresh ahead of expiry off the hot path, retries with backoff within a deadline, and a
 * clock that corrects itself against Maskinporten's.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_token
 */
import { performance } from 'node:perf_hooks'
import { exchangeForAltinnToken } from '../exchange/altinn.js'
import { clientClosed, DEFAULT_STORE_TIMEOUT_MS, TokenCache, type Fetcher, type Flight } from './cache.js'
import { isThenable, MemoryTokenStore, type StoredToken, type TokenStore } from './store.js'
import { resolveConfig, type MaskinportenConfig, type ResolvedConfig } from '../config/config.js'
import { maskSecretEchoes } from '../config/secret-echo.js'
import { describeValue, invalidConfig, isMaskinportenError, markFinal, MaskinportenError } from '../errors/errors.js'
import { grantParams, createGrant, type GrantParams } from '../signing/grant.js'
import { requestToken } from '../exchange/maskinporten.js'
import {
  DEFAULT_MARGIN_MS,
  DEFAULT_REFRESH_AHEAD,
  type AltinnTokenOptions,
  type ClientEndpoint,
  type ClientEvent,
  type GetTokenOptions,
  type MaskinportenClientOptions,
} from './options.js'
import { field, optionsObject, requestFields } from '../config/arguments.js'
import { MAX_CLOCK_OFFSET_MS, MAX_TOKEN_LIFETIME_MS } from '../exchange/limits.js'
import { learnedClockOffset, retryPolicy, withRetries, type RetryBudget, type RetryHooks, type RetryPolicy } from './retry.js'
import { adminScopes, defaultScopes, skattemeldingScope, skdAksjonaerScope } from '../config/scopes.js'
import { decodeToken } from '../exchange/token.js'
import { partyKey } from '../config/fodselsnummer.js'
import { TokenResult } from './token-result.js'
import { cacheKeysFor } from './cache-keys.js'
import { authenticatedFetch, type AuthenticatedRequestInit, type AuthenticatedResponse } from './authenticated-fetch.js'
import { CERTIFICATE_WARNING_DAYS, daysLeft } from '../signing/certificate.js'

/** A normalised request: its grant parameters and its cache keys (Maskinporten's and Altinn's). */
interface Target {
  params: GrantParams
  key: string
  altinnKey: string
  /** Made once, so that a cache hit allocates no closure. */
  fetchToken: Fetcher
  fetchAltinn: Fetcher
}

/** True when a request asks to skip the cache; its options were checked by `#target` already. */
function forced(options: GetTokenOptions | undefined): boolean {
  return options !== undefined && options !== null && options.forceRefresh === true
}

/** The longest timer Node can set (milliseconds). */
const MAX_TIMER_MS = 2_147_483_647

/** The scope set a cache key (see `#newTarget`) is for: its fourth member, or fifth for an Altinn key. */
function scopeOfKey(key: string): string | undefined {
  try {
    const parts: unknown = JSON.parse(key)
    if (!Array.isArray(parts)) return undefined
    const scope: unknown = parts[0] === 'altinn' ? parts[4] : parts[3]
    return typeof scope === 'string' ? scope : undefined
  } catch {
    return undefined
  }
}

/** Distinct raw requests remembered with their normalised form; beyond this the memo starts over. */
const MAX_TARGETS = 1024

/**
 * Maskinporten and Altinn tokens, cached per scope set, org, externalRef, resource and consumerOrg; one request
 * per key however many callers ask at once; refreshed ahead in the background; retried within a deadline, a new
 * grant each attempt; grants signed by a clock corrected against Maskinporten's `Date` header.
 * `JSON.stringify`, `util.inspect` and `String()` of a client show neither token nor key.
 *
 * @example
 * ```ts
 * const client = new MaskinportenClient(configFromEnv())
 * const altinn = await client.systemuserToken('310702641') // cached for the Altinn token's 30 minutes
 * const { accessToken } = await client.getToken({ scope: 'skatteetaten:innrapporteringaksjonaerregisteroppgave' })
 * client.close()
 * ```
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_func_systembruker
 */
export class MaskinportenClient {
  readonly #config: ResolvedConfig
  readonly #cache: TokenCache
  readonly #store: TokenStore
  readonly #ownStore: boolean
  readonly #retry: RetryPolicy
  readonly #now: () => number
  readonly #marginMs: number
  readonly #emit: ((event: ClientEvent) => void) | undefined
  readonly #targets = new Map<string, Target>()
  readonly #simpleTargets = new Map<string | undefined, Map<string | undefined, Target>>()
  /** One per request in flight, so that close() can abort them. Not one long-lived signal: see #withRetries. */
  readonly #requests = new Set<AbortController>()
  #offsetMs: number
  #closed = false
  #certificateWarnedAt = Number.NEGATIVE_INFINITY

  /** Checks the config and parses the key, once. Throws `invalid_config` or `jwt_sign_failed`; sends nothing. */
  constructor(config: MaskinportenConfig, options: MaskinportenClientOptions = {}) {
    this.#config = resolveConfig(config)
    const o = optionsObject(options, 'options')
    const get = (name: keyof MaskinportenClientOptions): unknown => field(o, name, 'options')
    const store = get('store')
    this.#ownStore = store === undefined
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
    this.#store = (store as TokenStore | undefined) ?? new MemoryTokenStore(maxEntries)
    const marginMs = get('marginMs') ?? DEFAULT_MARGIN_MS
    if (typeof marginMs !== 'number' || !Number.isFinite(marginMs) || marginMs < 0 || marginMs >= MAX_TOKEN_LIFETIME_MS) {
      throw invalidConfig('marginMs', `must be a number of milliseconds from 0 to less than a day, got ${describeValue(marginMs, false)}`)
    }
    this.#marginMs = marginMs
    const refreshAhead = get('refreshAhead') ?? DEFAULT_REFRESH_AHEAD
    if (typeof refreshAhead !== 'number' || !(refreshAhead > 0 && refreshAhead <= 1)) {
      throw invalidConfig('refreshAhead', `must be a number in (0, 1], got ${describeValue(refreshAhead, false)}`)
    }
    this.#retry = retryPolicy(get('retry') as MaskinportenClientOptions['retry'])
    const now = get('now') ?? Date.now
    if (typeof now !== 'function') throw invalidConfig('now', `must be a function returning epoch milliseconds, got ${describeValue(now, false)}`)
    this.#now = now as () => number
    const offsetMs = get('clockOffsetMs') ?? 0
    if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs) || Math.abs(offsetMs) > MAX_CLOCK_OFFSET_MS) {
      throw invalidConfig('clockOffsetMs', `must be a number of milliseconds within ±${MAX_CLOCK_OFFSET_MS}, got ${describeValue(offsetMs, false)}`)
    }
    this.#offsetMs = offsetMs
    const onEvent = get('onEvent') as MaskinportenClientOptions['onEvent']
    if (onEvent !== undefined && typeof onEvent !== 'function') throw invalidConfig('onEvent', `must be a function, got ${describeValue(onEvent, false)}`)
    // Undefined without a listener, so that the hot path builds no event objects.
    this.#emit = onEvent
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
    this.#cache = new TokenCache({
      store: this.#store,
      marginMs,
      refreshAhead,
      refreshBackoffMs: this.#retry.baseDelayMs,
      now: this.#now,
      emit: this.#emit,
      // Never past the retry deadline: a store is a shortcut, not a step a caller may wait on longer than a fetch.
      storeTimeoutMs: Math.max(1, Math.min(storeTimeoutMs, this.#retry.deadlineMs)),
      scopeOf: scopeOfKey,
      leaseWaitMs: this.#retry.deadlineMs,
    })
  }

  /** Maskinporten's clock minus this machine's (milliseconds), as learned from its answers. Grants are signed by it. */
  get clockOffsetMs(): number {
    return this.#offsetMs
  }

  /**
   * A Maskinporten access token: from the cache while it has more than `marginMs` left, else fetched (one request
   * for all concurrent callers of the same key, retried within the deadline). Throws `MaskinportenError`.
   *
   * @example
   * ```ts
   * const { accessToken, expiresAt } = await client.getToken({ scope: 'altinn:instances.read', orgNummer: '310702641' })
   * ```
   */
  async getToken(options: GetTokenOptions = {}): Promise<TokenResult> {
    try {
      const target = this.#target(options)
      const got = this.#cache.obtain(target.key, 'token', target.fetchToken, forced(options))
      return new TokenResult(isThenable(got) ? await got : got, this.#now())
    } catch (err) {
      throw maskSecretEchoes(this.#config, err)
    }
  }

  /**
   * An Altinn platform token: a Maskinporten token exchanged at Altinn, cached for the Altinn token's own life
   * (30 minutes, from its `exp`). The Maskinporten token it came from is cached too, under its own key;
   * `forceRefresh` makes a new exchange, with that Maskinporten token while it is still good. When the exchange
   * refuses that token (401), it is dropped, so the next call fetches a new one. A Maskinporten fetch on the way
   * gets what is left of this call's deadline, not a deadline of its own.
   *
   * @example
   * ```ts
   * const token = await client.altinnToken({ orgNummer: '310702641' })
   * ```
   * @see https://docs.altinn.studio/authentication/reference/architecture/accesstoken/
   */
  async altinnToken(options: AltinnTokenOptions = {}): Promise<string> {
    try {
      const got = this.#altinn(options)
      return (isThenable(got) ? await got : got).accessToken
    } catch (err) {
      throw maskSecretEchoes(this.#config, err)
    }
  }

  /**
   * {@link altinnToken} with its expiry and scope: the same cache entry, as a {@link TokenResult} (`expiresAt` by
   * this client's clock, from the Altinn token's own life; `scope` that of the Maskinporten token it came from).
   *
   * @example
   * ```ts
   * const { accessToken, expiresAt } = await client.altinnTokenResult({ orgNummer: '310702641' })
   * ```
   */
  async altinnTokenResult(options: AltinnTokenOptions = {}): Promise<TokenResult> {
    try {
      const got = this.#altinn(options)
      return new TokenResult(isThenable(got) ? await got : got, this.#now())
    } catch (err) {
      throw maskSecretEchoes(this.#config, err)
    }
  }

  #altinn(options: AltinnTokenOptions): StoredToken | Promise<StoredToken> {
    const target = this.#target(options)
    return this.#cache.obtain(target.altinnKey, 'exchange', target.fetchAltinn, forced(options))
  }

  /** The seed's `get_systemuser_token`: an Altinn token for the system user of `orgNummer`, default scopes. */
  async systemuserToken(orgNummer: string, options: { externalRef?: string } = {}): Promise<string> {
    try {
      const { externalRef } = requestFields(options, 'options')
      return this.altinnToken(externalRef === undefined ? { orgNummer } : { orgNummer, externalRef })
    } catch (err) {
      throw maskSecretEchoes(this.#config, err)
    }
  }

  /** The seed's `get_admin_token`: a Maskinporten token with the admin scopes, not exchanged. */
  async adminToken(): Promise<string> {
    return (await this.getToken({ scope: adminScopes() })).accessToken
  }

  /** The seed's `get_skd_aksjonaer_token`: Skatteetaten's aksjonær scope, as the system user of `orgNummer`. */
  async skdAksjonaerToken(orgNummer: string): Promise<string> {
    return (await this.getToken({ scope: skdAksjonaerScope(), orgNummer })).accessToken
  }

  /** The seed's `get_skd_skattemelding_token`: the skattemelding scopes, as the system user of `orgNummer`. */
  async skdSkattemeldingToken(orgNummer: string): Promise<string> {
    return (await this.getToken({ scope: skattemeldingScope(), orgNummer })).accessToken
  }

  /**
   * Calls an API that takes a Maskinporten token (Altinn's vendor API, Skatteetaten): this client's cached token for
   * `tokenOptions` as Bearer, the answer bounded in size and time, and on a 401 one fresh token and one more try.
   * Resolves for any status (see {@link AuthenticatedResponse}); rejects with `api_request_failed` when no answer came.
   *
   * @example
   * ```ts
   * const res = await client.fetch(`${altinnUrl}/authentication/api/v1/systemregister/vendor`, {}, { scope: 'altinn:authentication/systemregister.write' })
   * if (res.ok) console.log(await res.json())
   * ```
   */
  fetch(url: string | URL, init: AuthenticatedRequestInit = {}, tokenOptions: GetTokenOptions = {}): Promise<AuthenticatedResponse> {
    const { fetch, timeoutMs } = this.#config
    return authenticatedFetch({ token: (options) => this.getToken(options), fetch, timeoutMs }, url, init, tokenOptions).catch((err: unknown) => {
      throw maskSecretEchoes(this.#config, err)
    })
  }

  /** The Altinn platform base URL of this client's config (`https://platform.tt02.altinn.no` for test). */
  get altinnUrl(): string {
    return this.#config.altinnUrl
  }

  /** Forgets every cached token (the whole store, or with a store that has no `clear()`, the keys this client wrote). */
  clear(): Promise<void> {
    return this.#cache.clear()
  }

  /**
   * Stops the client: aborts requests in flight (their callers get that error), ends retry waits, drops the
   * default store's tokens. No fetch starts after it, not even for a call made before it that was still reading
   * an async store: such callers, and later calls, get `invalid_config`. Idempotent.
   */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const request of this.#requests) request.abort()
    this.#cache.close()
    if (this.#ownStore) void this.#store.clear?.()
  }

  /** Identity only: client id, issuer, clock offset; never a token or the key. */
  toJSON(): Record<string, unknown> {
    const { clientId, issuer } = this.#config
    return { clientId, issuer, clockOffsetMs: this.#offsetMs, closed: this.#closed }
  }

  toString(): string {
    return `MaskinportenClient(${this.#config.clientId} at ${this.#config.issuer})`
  }

  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    return `MaskinportenClient ${inspect(this.toJSON(), options)}`
  }

  /**
   * Normalises and checks a request once per distinct input; invalid input throws and is never memoised. The
   * common call (a scope string and an org) is found through two map lookups, without serialising anything.
   */
  #target(options: GetTokenOptions | undefined): Target {
    if (this.#closed) throw clientClosed()
    let scope: unknown, orgNummer: unknown, externalRef: unknown, resource: unknown, consumerOrg: unknown, consent: unknown, force: unknown
    if (options !== undefined && options !== null && typeof options === 'object' && !Array.isArray(options)) {
      try {
        ;({ scope, orgNummer, externalRef, resource, consumerOrg, consent, forceRefresh: force } = options)
      } catch {
        requestFields(options, 'options') // a getter that throws: the error names it
      }
    }
    const simple =
      (options === undefined || (options !== null && typeof options === 'object')) &&
      (scope === undefined || typeof scope === 'string') &&
      (orgNummer === undefined || typeof orgNummer === 'string') &&
      externalRef === undefined && resource === undefined && consumerOrg === undefined && consent === undefined &&
      (force === undefined || typeof force === 'boolean')
    if (simple) {
      const hit = this.#simpleTargets.get(scope as string | undefined)?.get(orgNummer as string | undefined)
      if (hit !== undefined) return hit
    }
    // Every field of the right type (or invalid_config) before anything is serialised or iterated. In memory only;
    // a consent's `from` is hashed here too, so no map key holds a person's number.
    const req = requestFields(options, 'options')
    const raw = JSON.stringify([req.scope, req.orgNummer, req.externalRef, req.resource, req.consumerOrg, consentKey(req.consent)])
    let target = this.#targets.get(raw)
    if (target === undefined) {
      if (this.#targets.size >= MAX_TARGETS) {
        this.#targets.clear()
        this.#simpleTargets.clear()
      }
      const { orgNummer: org, externalRef: ref, resource: res, consumerOrg: consumer, consent: given } = req
      target = this.#newTarget(
        grantParams(req.scope ?? defaultScopes(), { orgNummer: org, externalRef: ref, resource: res, consumerOrg: consumer, ...(given === undefined ? {} : { consent: given }) }),
      )
      this.#targets.set(raw, target)
    }
    if (simple) {
      let byOrg = this.#simpleTargets.get(req.scope as string | undefined)
      if (byOrg === undefined) this.#simpleTargets.set(req.scope as string | undefined, (byOrg = new Map()))
      byOrg.set(req.orgNummer, target)
    }
    return target
  }

  #newTarget(params: GrantParams): Target {
    const target: Target = {
      params,
      ...cacheKeysFor(this.#config, params),
      fetchToken: (flight) => this.#fetchMaskinporten(target, flight),
      fetchAltinn: (flight) => this.#fetchAltinn(target, flight),
    }
    return target
  }

  /** Grant → token endpoint, a new grant per attempt, the clock corrected on MP-130. */
  #fetchMaskinporten(target: Target, flight: Flight): Promise<StoredToken> {
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
  #fetchAltinn(target: Target, flight: Flight): Promise<StoredToken> {
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

/** A consent as a memo key: its id and a hash of `from` (never the number itself); anything else by its type. */
function consentKey(consent: unknown): unknown {
  if (consent === undefined) return null
  if (consent === null || typeof consent !== 'object') return ['not-an-object', typeof consent]
  const { id, from } = consent as Record<string, unknown>
  return [typeof id === 'string' ? id : typeof id, typeof from === 'string' ? partyKey(from) : `not-a-string:${typeof from}`]
}
