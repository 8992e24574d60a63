/**
 * `MaskinportenClient`: the seed's flows behind a cache a production service can lean on: one request however many
 * callers ask at once, refresh ahead of expiry off the hot path, retries with backoff within a deadline, and a
 * clock that corrects itself against Maskinporten's.
 *
 * This file is the public face: the constructor and the token methods, each a cache lookup. Checking the options is
 * in client-settings.ts, normalising a request in targets.ts, fetching a token (grant, exchange, retries, the
 * clock) in fetching.ts, and the cache itself in cache.ts.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_token
 */
import { TokenCache } from './cache.js'
import { clientClosed } from './cache-types.js'
import { isThenable, type StoredToken, type TokenStore } from './store.js'
import { resolveConfig, type MaskinportenConfig, type ResolvedConfig } from '../config/config.js'
import { maskSecretEchoes } from '../config/secret-echo.js'
import type { GrantParams } from '../signing/grant.js'
import type { AltinnTokenOptions, GetTokenOptions, MaskinportenClientOptions } from './options.js'
import { requestFields } from '../config/arguments.js'
import { adminScopes, skattemeldingScope, skdAksjonaerScope } from '../config/scopes.js'
import { TokenResult } from './token-result.js'
import { cacheKeysFor } from './cache-keys.js'
import { authenticatedFetch, type AuthenticatedRequestInit, type AuthenticatedResponse } from './authenticated-fetch.js'
import { clientSettings } from './client-settings.js'
import { TokenFetcher } from './fetching.js'
import { forced, scopeOfKey, Targets, type Target } from './targets.js'

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
  readonly #now: () => number
  readonly #fetcher: TokenFetcher
  readonly #targets: Targets

  /** Checks the config and parses the key, once. Throws `invalid_config` or `jwt_sign_failed`; sends nothing. */
  constructor(config: MaskinportenConfig, options: MaskinportenClientOptions = {}) {
    this.#config = resolveConfig(config)
    const settings = clientSettings(options)
    const { marginMs, refreshAhead, retry, emit, storeTimeoutMs } = settings
    this.#ownStore = settings.ownStore
    this.#store = settings.store
    this.#now = settings.now
    this.#cache = new TokenCache({
      store: this.#store,
      marginMs,
      refreshAhead,
      refreshBackoffMs: retry.baseDelayMs,
      now: this.#now,
      emit,
      // Never past the retry deadline: a store is a shortcut, not a step a caller may wait on longer than a fetch.
      storeTimeoutMs: Math.max(1, Math.min(storeTimeoutMs, retry.deadlineMs)),
      scopeOf: scopeOfKey,
      leaseWaitMs: retry.deadlineMs,
    })
    this.#fetcher = new TokenFetcher(this.#config, this.#cache, settings)
    this.#targets = new Targets((params) => this.#newTarget(params))
  }

  /** Maskinporten's clock minus this machine's (milliseconds), as learned from its answers. Grants are signed by it. */
  get clockOffsetMs(): number {
    return this.#fetcher.offsetMs
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
    if (this.#fetcher.closed) return
    this.#fetcher.close()
    this.#cache.close()
    if (this.#ownStore) void this.#store.clear?.()
  }

  /** Identity only: client id, issuer, clock offset; never a token or the key. */
  toJSON(): Record<string, unknown> {
    const { clientId, issuer } = this.#config
    return { clientId, issuer, clockOffsetMs: this.#fetcher.offsetMs, closed: this.#fetcher.closed }
  }

  toString(): string {
    return `MaskinportenClient(${this.#config.clientId} at ${this.#config.issuer})`
  }

  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    return `MaskinportenClient ${inspect(this.toJSON(), options)}`
  }

  /** The request's memoised {@link Target}; a closed client takes no request. */
  #target(options: GetTokenOptions | undefined): Target {
    if (this.#fetcher.closed) throw clientClosed()
    return this.#targets.get(options)
  }

  #newTarget(params: GrantParams): Target {
    const fetcher = this.#fetcher
    const target: Target = {
      params,
      ...cacheKeysFor(this.#config, params),
      fetchToken: (flight) => fetcher.maskinporten(target, flight),
      fetchAltinn: (flight) => fetcher.altinn(target, flight),
    }
    return target
  }
}
