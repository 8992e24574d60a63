/**
 * A `fetch` for the APIs a Maskinporten token opens (Altinn's system register and system user requests,
 * Skatteetaten's APIs): the cached token as Bearer, the answer bounded in size and time, and one fresh token and
 * one more try when the API answers 401 (the cached token was revoked, or the API's clock is ahead of ours).
 */
import { describeValue, invalidConfig, MaskinportenError } from '../errors/errors.js'
import { isFetchHeaders, type ResponseHeaders } from '../http/headers.js'
import { send } from '../http/send.js'
import type { GetTokenOptions } from './options.js'

/** Default {@link AuthenticatedRequestInit.maxBodyBytes}: 4 MiB, far above any page of Altinn's vendor API. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024

/** The HTTP methods {@link authenticatedFetch} sends. */
export type AuthenticatedMethod = 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'

/** What to send. Every field is optional. */
export interface AuthenticatedRequestInit {
  /** Default `GET`. */
  method?: AuthenticatedMethod
  /** Extra headers. `authorization` is set by the call and cannot be given. */
  headers?: Record<string, string>
  /** The body, as text (JSON.stringify it first). */
  body?: string
  /** Aborts the request. */
  signal?: AbortSignal
  /** Time limit (in milliseconds) for each attempt, body included. Default: the client's `timeoutMs` (15000). */
  timeoutMs?: number
  /** Most bytes of answer read; a longer one fails with `api_request_failed`. Default {@link DEFAULT_MAX_BODY_BYTES}. */
  maxBodyBytes?: number
  /** A `fetch` instead of the client's. */
  fetch?: typeof globalThis.fetch
  /** Who is asked, for messages. Default `the API`. */
  service?: string
}

// Set by AuthenticatedResponse's static block: the one reader of its private headers outside the class.
let headersOf: (res: AuthenticatedResponse) => ResponseHeaders

/**
 * An answer read to the end (within {@link AuthenticatedRequestInit.maxBodyBytes}). Like a `Response`, but its body
 * is already read: `text()` and `json()` may be called any number of times. Redirects are not followed (the token
 * must not travel to another host): a 3xx is returned as it is.
 */
export class AuthenticatedResponse {
  /** The HTTP status. */
  readonly status: number
  /** True for 2xx. */
  readonly ok: boolean
  /** The URL asked. */
  readonly url: string
  /** True when the first answer was 401 and this is the answer to the retry with a fresh token. */
  readonly retriedAfter401: boolean
  readonly #body: string
  readonly #raw: ResponseHeaders
  #headers: Headers | undefined

  /** @param headers a `Headers`, or any read-only view of the answer's headers (made into a `Headers` when read). */
  constructor(status: number, headers: Headers | ResponseHeaders, body: string, url: string, retriedAfter401: boolean) {
    this.status = status
    this.ok = status >= 200 && status < 300
    this.#raw = headers
    this.url = url
    this.retriedAfter401 = retriedAfter401
    this.#body = body
  }

  /**
   * The answer's headers. Made on first read: a `Headers` loads Node's fetch implementation, which a process that
   * never reads them need not pay for.
   */
  get headers(): Headers {
    return (this.#headers ??= isFetchHeaders(this.#raw) ? this.#raw : new Headers([...this.#raw.entries()]))
  }

  static {
    headersOf = (res) => res.#raw
  }

  /** The body as text. */
  async text(): Promise<string> {
    return this.#body
  }

  /** The body parsed as JSON; `api_request_failed` when it is not JSON. */
  async json(): Promise<unknown> {
    try {
      return JSON.parse(this.#body)
    } catch {
      throw new MaskinportenError('api_request_failed', `The answer (${this.status}) from ${this.url} is not JSON`, { status: this.status })
    }
  }

  /** Status and URL; never the body (it may hold personal data). */
  toJSON(): Record<string, unknown> {
    return { status: this.status, url: this.url, bodyLength: this.#body.length }
  }
}

/**
 * The headers of an answer as read, without making a `Headers` of them (for this package's own readers).
 *
 * @example
 * ```ts
 * retryAfterMsOf(answerHeaders(res))
 * ```
 */
export function answerHeaders(res: AuthenticatedResponse): ResponseHeaders {
  return headersOf(res)
}
/** What {@link authenticatedFetch} needs from its owner (a `MaskinportenClient`). */
export interface AuthenticatedFetchDeps {
  /** A token for these options (cached; `forceRefresh` for a fresh one). */
  token(options: GetTokenOptions): Promise<{ accessToken: string }>
  /** The `fetch` to use unless the request names another. */
  fetch: typeof globalThis.fetch | undefined
  /** The time limit (milliseconds) unless the request names another. */
  timeoutMs: number
}

const METHODS: ReadonlySet<string> = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH'])

/** The URL as messages show it: no credentials, and every query value masked (page tokens, personal data). */
export function displayUrl(url: URL): string {
  const shown = new URL(url.href)
  shown.username = ''
  shown.password = ''
  for (const key of [...new Set(shown.searchParams.keys())]) shown.searchParams.set(key, '…')
  return shown.href.replace(/=%E2%80%A6/g, '=…')
}

/**
 * Sends a request with a Maskinporten token as Bearer and reads the whole answer. When the API answers 401, the
 * token is fetched again (bypassing the cache) and the request sent once more; the second answer is returned
 * whatever it is. Resolves for any HTTP status; rejects with `api_request_failed` when no complete answer came
 * (refused, reset, DNS, timeout, abort, too large), `invalid_config` for a bad URL or init.
 *
 * @example
 * ```ts
 * const res = await authenticatedFetch(deps, 'https://platform.tt02.altinn.no/authentication/api/v1/systemregister/vendor', {}, { scope: 'altinn:authentication/systemregister.write' })
 * ```
 */
export async function authenticatedFetch(
  deps: AuthenticatedFetchDeps,
  url: string | URL,
  init: AuthenticatedRequestInit = {},
  tokenOptions: GetTokenOptions = {},
): Promise<AuthenticatedResponse> {
  const target = checkUrl(url)
  const method = init.method ?? 'GET'
  if (!METHODS.has(method)) throw invalidConfig('method', `must be one of ${[...METHODS].join(', ')}, got ${describeValue(method)}`)
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(init.headers ?? {})) {
    if (name.toLowerCase() === 'authorization') throw invalidConfig('headers', 'must not hold authorization: the token is set by the call')
    // Never quoted: a header value may be a credential of its own.
    if (typeof value !== 'string') throw invalidConfig('headers', `must map names to strings; ${describeValue(name)} is ${value === null ? 'null' : typeof value}`)
    headers[name] = value
  }
  const maxBodyBytes = init.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!(maxBodyBytes > 0)) throw invalidConfig('maxBodyBytes', 'must be a positive number of bytes')
  const timeoutMs = init.timeoutMs ?? deps.timeoutMs
  if (!(timeoutMs > 0 && timeoutMs <= 2_147_483_647)) throw invalidConfig('timeoutMs', 'must be a positive number of milliseconds')
  const attempt = async (forceRefresh: boolean): Promise<AuthenticatedResponse> => {
    const { accessToken } = await deps.token(forceRefresh ? { ...tokenOptions, forceRefresh: true } : tokenOptions)
    const res = await send({
      url: target.href,
      displayUrl: displayUrl(target),
      method,
      headers: { ...headers, authorization: `Bearer ${accessToken}` },
      ...(init.body === undefined ? {} : { body: init.body }),
      fetch: init.fetch ?? deps.fetch,
      timeoutMs,
      ...(init.signal ? { signal: init.signal } : {}),
      failCode: 'api_request_failed',
      service: init.service ?? 'the API',
      maxBytes: maxBodyBytes,
    })
    return new AuthenticatedResponse(res.status, res.headers, res.body, target.href, forceRefresh)
  }
  const first = await attempt(false)
  // A 401 is a refusal before any work was done: sending again is safe for every method.
  return first.status === 401 ? attempt(true) : first
}

function checkUrl(url: string | URL): URL {
  let parsed: URL
  try {
    parsed = typeof url === 'string' ? new URL(url) : new URL(url.href)
  } catch {
    throw invalidConfig('url', `is not an absolute URL: ${describeValue(String(url))}`)
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw invalidConfig('url', `must be an http(s) URL, got ${describeValue(parsed.protocol)}`)
  }
  if (parsed.username !== '' || parsed.password !== '') throw invalidConfig('url', 'must not hold credentials: the token is the credential')
  return parsed
}
