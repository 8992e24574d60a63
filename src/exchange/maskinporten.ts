/**
 * The token request: a signed grant in, a token response out. Split as oauth4webapi does: {@link requestToken}
 * sends, {@link processTokenResponse} is a pure function from an answer to a token or an error.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-2.1
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_token
 */
import type { ResolvedConfig } from '../config/config.js'
import { bodyShape, cap, markFinal, MaskinportenError, safeBody, scrub } from '../errors/errors.js'
import { isTokenText, MAX_TOKEN_LIFETIME_MS } from './limits.js'
import { maskinportenHint } from '../errors/hints.js'
import { parseJson, retryAfterMsOf, send, serverTimeOf, type HttpResponse } from '../http/send.js'
import type { ResponseHeaders } from '../http/headers.js'

/** RFC 7523's grant type. */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer'

/** Maskinporten's answer to a good grant. */
export interface TokenResponse {
  /** The access token: a JWT today, but treat it as opaque. Secret. */
  access_token: string
  /** `Bearer`. */
  token_type: string
  /** Seconds the token lives from now (Maskinporten says lifetime − 1: 119 for a 120 s token). */
  expires_in: number
  /** The scopes granted, space-separated. */
  scope?: string
}

/** Per-request options. */
export interface RequestOptions {
  /** Aborts the request. */
  signal?: AbortSignal
}

/**
 * POSTs a grant to the token endpoint and returns the token response. One attempt; throws `maskinporten_error`
 * for any answer that is not a token, `maskinporten_request_failed` when there is no answer.
 */
export async function requestToken(
  config: ResolvedConfig,
  grant: string,
  options: RequestOptions = {},
): Promise<TokenResponse> {
  const res = await send({
    url: config.tokenEndpoint,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ grant_type: JWT_BEARER_GRANT_TYPE, assertion: grant }).toString(),
    fetch: config.fetch,
    timeoutMs: config.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
    failCode: 'maskinporten_request_failed',
    service: 'Maskinporten',
    secrets: [grant],
  })
  return processTokenResponse(res, [grant], config.issuer)
}

const MP_CODE = /\/(MP-\d+)\s*$/
const TRACE_ID = /\(trace_id:\s*([0-9a-zA-Z-]+)\)\s*$/

/** Seconds as a positive number; RFC 6749 says a number, but some servers send a numeric string. */
function lifetime(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined
}

/** The longest `expires_in` taken (seconds): a day. Neither service issues longer tokens. */
export const MAX_EXPIRES_IN_S = MAX_TOKEN_LIFETIME_MS / 1000

/** Most characters of `scope` and `token_type` taken from an answer. */
const MAX_SCOPE_CHARS = 8 * 1024

/**
 * The answer's media type (`text/html`), or a word for none or a malformed one: safe to show as it is.
 *
 * @example
 * ```ts
 * mediaTypeOf(res.headers) // 'text/html' for `content-type: text/html; charset=utf-8`
 * ```
 */
export function mediaTypeOf(headers: ResponseHeaders): string {
  const raw = headers.get('content-type')
  if (raw === null || raw.trim() === '') return 'no content type'
  const type = raw.split(';')[0]!.trim().toLowerCase()
  return /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/.test(type) ? type : 'an unreadable content type'
}

/** The longest error description we put in a message; the whole (capped) body stays on `body`. */
const MAX_DESCRIPTION_CHARS = 500

/**
 * Turns an answer from the token endpoint into a token response, or throws the `MaskinportenError` it means.
 *
 * @param secrets what was sent (the grant), masked wherever the answer echoes it.
 * @param issuer where it was sent: hints name the self-service portal of its environment.
 */
export function processTokenResponse(res: HttpResponse, secrets: readonly string[] = [], issuer?: string): TokenResponse {
  const json = parseJson(res.body)
  const serverTime = serverTimeOf(res.headers)
  if (res.status === 200) {
    const fields = json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>) : {}
    const expiresIn = lifetime(fields.expires_in)
    const token = fields.access_token
    const contentType = mediaTypeOf(res.headers)
    const time = serverTime !== undefined ? { serverTime } : {}
    if (typeof token === 'string' && token !== '' && expiresIn !== undefined) {
      if (!isTokenText(token)) {
        // A newline or control character would break the exchange's header (and land in fetch's error); an
        // endless one is not a token either. Its size only: the content is a secret, or garbage.
        throw new MaskinportenError(
          'maskinporten_error',
          `Maskinporten answered 200 with an access_token that is not a header-safe token string (${(token as string).length} characters); refused`,
          { status: 200, body: bodyShape(res.body), contentType, ...time },
        )
      }
      if (expiresIn > MAX_EXPIRES_IN_S) {
        // Cached for ever, or an invalid date later: a server saying so is broken, and asking again will not mend it.
        throw markFinal(
          new MaskinportenError(
            'maskinporten_error',
            `Maskinporten answered 200 with expires_in ${cap(String(expiresIn), 30)} s, more than a day (${MAX_EXPIRES_IN_S} s); no real token lives that long, refused`,
            { status: 200, body: bodyShape(res.body), contentType, ...time },
          ),
        )
      }
      const tokenType = typeof fields.token_type === 'string' && /^[A-Za-z]{1,32}$/.test(fields.token_type) ? fields.token_type : 'Bearer'
      const scope = typeof fields.scope === 'string' && fields.scope.length <= MAX_SCOPE_CHARS && !/[\u0000-\u001f\u007f]/.test(fields.scope) ? fields.scope : undefined
      const response: TokenResponse = { access_token: token, token_type: tokenType, expires_in: expiresIn }
      if (scope !== undefined) response.scope = scope
      return response
    }
    throw new MaskinportenError(
      'maskinporten_error',
      `Maskinporten answered 200 without a token (${contentType}): the body is not a token response (no access_token and expires_in)`,
      // It came where a token belongs, in whatever shape: keep its shape, never its values.
      { status: 200, body: bodyShape(res.body), contentType, ...time },
    )
  }
  const fields = json !== null && typeof json === 'object' ? (json as Record<string, unknown>) : {}
  const oauthError = typeof fields.error === 'string' ? fields.error : undefined
  // A server may echo what it was sent: the description goes into the message, so it is scrubbed and capped.
  const description =
    typeof fields.error_description === 'string' ? cap(scrub(fields.error_description, secrets), MAX_DESCRIPTION_CHARS) : undefined
  const errorUri = typeof fields.error_uri === 'string' ? fields.error_uri : undefined
  const mpCode = errorUri?.match(MP_CODE)?.[1]
  const traceId = description?.match(TRACE_ID)?.[1]
  const retryAfterMs = retryAfterMsOf(res.headers)
  const hint = maskinportenHint({ status: res.status, oauthError, description, mpCode, ...(issuer === undefined ? {} : { issuer }) })
  const what = oauthError
    ? `${oauthError}${mpCode ? ` (${mpCode})` : ''}: ${description ?? 'no description'}`
    : describeNonOAuthBody(res)
  throw new MaskinportenError('maskinporten_error', `Maskinporten answered ${res.status} ${what}`, {
    status: res.status,
    body: safeBody(res.body, secrets),
    oauthError,
    oauthErrorDescription: description,
    mpCode,
    traceId,
    retryAfterMs,
    serverTime,
    hint,
  })
}

/** A short, safe description of a body that is not OAuth JSON (an HTML error page from a proxy, say). */
export function describeNonOAuthBody(res: HttpResponse): string {
  const type = res.headers.get('content-type') ?? 'no content type'
  if (res.body.trim() === '') return `with an empty body (${type})`
  if (/html/i.test(type) || /^\s*</.test(res.body)) return `with an HTML page (${type}), not OAuth JSON`
  return `with a body that is not OAuth JSON (${type})`
}
