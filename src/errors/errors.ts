/**
 * The one error type the library throws, and its stable codes.
 *
 * The codes are the reasons of the seed module's `{:error, reason}` tuples, kept so that code written against the
 * seed reads the same here.
 */

/**
 * Why a call failed. Stable: match on these, not on messages.
 *
 * - `invalid_config`: the configuration or an argument is wrong; nothing was sent.
 * - `jwt_sign_failed`: the key could not be used to sign the grant (unreadable, wrong passphrase, not RSA, too short).
 * - `maskinporten_error`: Maskinporten answered, but not with a token (any status other than 200, or a 200 whose
 *   body is not a token response). Carries `status`, `body`, and `oauthError` when the body is OAuth JSON.
 * - `maskinporten_request_failed`: no answer from Maskinporten (refused, reset, DNS, timeout).
 * - `altinn_exchange_error`: Altinn answered the token exchange, but not with a token.
 * - `altinn_exchange_failed`: no answer from Altinn's token exchange.
 * - `invalid_token`: a string given to `decodeToken` is not a JWT.
 * - `altinn_api_error`: one of Altinn's APIs (the system register, system user requests) answered, but not as
 *   asked. Carries `status`, `altinnCode` (`AUTH-00004`), `validationErrors`, `traceId`, `method` and `route`.
 * - `api_request_failed`: no usable answer from an API called with a token (`MaskinportenClient.fetch`): refused,
 *   reset, DNS, timeout, or an answer larger than allowed.
 * - `request_still_pending`: waiting for a customer to answer a system user request ended (timeout or abort) with
 *   the request still `New`, or the request timed out at Altinn.
 * - `client_closed`: the `MaskinportenClient` was closed (`close()`); make a new one.
 * - `token_store_failed`: a shared token store (Redis) failed or answered nonsense. The client reports it as a
 *   `store-error` event and fetches for itself; callers do not get it.
 */
export type MaskinportenErrorCode =
  | 'invalid_config'
  | 'jwt_sign_failed'
  | 'maskinporten_error'
  | 'maskinporten_request_failed'
  | 'altinn_exchange_error'
  | 'altinn_exchange_failed'
  | 'invalid_token'
  | 'altinn_api_error'
  | 'api_request_failed'
  | 'request_still_pending'
  | 'client_closed'
  | 'token_store_failed'

/** What a {@link MaskinportenError} may carry besides its code and message. */
export interface MaskinportenErrorDetails {
  /** HTTP status of the answer, when there was one. */
  status?: number
  /** Response body as text, capped at {@link MAX_ERROR_BODY_CHARS} characters, with anything shaped like a JWT masked. */
  body?: string
  /** OAuth `error` field of the answer (`invalid_grant`, `invalid_scope`, ...). */
  oauthError?: string
  /** OAuth `error_description` of the answer, trace id included. */
  oauthErrorDescription?: string
  /** Maskinporten's error code from `error_uri`, such as `MP-124`. */
  mpCode?: string
  /** Maskinporten's trace id from the description, to quote to Digdir's support. */
  traceId?: string
  /** Milliseconds the server asked us to wait (`Retry-After`), when it said. */
  retryAfterMs?: number
  /** The server's clock at the time of the answer (epoch ms, from its `Date` header), when it said. */
  serverTime?: number
  /** What to do about it, already part of `message`. */
  hint?: string
  /** The answer's media type (`text/html`), for an answer that is not what was asked for. */
  contentType?: string
  /** The error underneath (a network error, a crypto error). */
  cause?: unknown
  /** Altinn's error code from a problem+json answer (`AUTH-00004`, `STD-00000`). */
  altinnCode?: string
  /** The entries of a validation problem (`code: "STD-00000"`): each a code such as `AUTH.VLD-00002`, its title and paths. */
  validationErrors?: readonly AltinnValidationError[]
  /** The HTTP method of the call that failed (`POST`). */
  method?: string
  /** The path of the call that failed, without host; query values that must not be shown are masked. */
  route?: string
}

/** One entry of an Altinn validation problem's `validationErrors`. */
export interface AltinnValidationError {
  /** `AUTH.VLD-00002`. */
  code: string
  /** What is wrong, in Altinn's words. */
  title?: string
  /** JSON paths of the offending fields (`/registersystemrequest/systemid`). */
  paths?: readonly string[]
}

/** Response bodies kept on errors are cut to this many characters. */
export const MAX_ERROR_BODY_CHARS = 4096

const JWT_LIKE = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g

/** Masks anything shaped like a JWT, so that a token echoed by a server never ends up in a log. */
export function maskTokens(text: string): string {
  return text.replace(JWT_LIKE, '[jwt masked]')
}

/**
 * Masks what must not be shown: anything shaped like a JWT, and each of `secrets` (the grant or token just sent,
 * which a server may echo in any shape).
 */
export function scrub(text: string, secrets: readonly string[] = []): string {
  let out = maskTokens(text)
  for (const secret of secrets) {
    if (secret.length >= 8) out = out.split(secret).join('[secret masked]')
  }
  return out
}

/** Fields that hold credentials in OAuth JSON, masked whatever their shape (an opaque token is not JWT-shaped). */
const CREDENTIAL_FIELDS: ReadonlySet<string> = new Set(['access_token', 'refresh_token', 'id_token', 'assertion', 'client_assertion'])

function scrubJson(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === 'string') return scrub(value, secrets)
  if (Array.isArray(value)) return value.map((v) => scrubJson(v, secrets))
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = CREDENTIAL_FIELDS.has(k) ? '[masked]' : scrubJson(v, secrets)
    return out
  }
  return value
}

/**
 * A response body safe to keep on an error or show in a message. JSON is parsed first (so that an escaped token,
 * `\u0065yJ…` or `\u002B` in an opaque one, cannot slip past), every string in it scrubbed, credential fields
 * masked, and written back; anything else is scrubbed as text.
 *
 * @param secrets what was sent (a grant, a token), masked wherever the body echoes it.
 */
export function safeBody(body: string, secrets: readonly string[] = []): string {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return scrub(body, secrets)
  }
  return JSON.stringify(scrubJson(json, secrets))
}

/** What a body that should have held a token looked like, without any of its content. */
export function bodyShape(body: string): string {
  try {
    const json: unknown = JSON.parse(body)
    if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
      return `[${body.length} characters: a JSON object with ${Object.keys(json).join(', ') || 'no fields'}; values not kept]`
    }
    return `[${body.length} characters: JSON ${Array.isArray(json) ? 'array' : typeof json}; not kept]`
  } catch {
    return `[${body.length} characters, not JSON; not kept]`
  }
}

/** Settings quoted in messages are cut to this many characters. */
const MAX_QUOTED_CHARS = 100

/** `scheme://user:password@`: the credentials part of a URL. */
const URL_CREDENTIALS = /(\/\/)[^/?#@\s]*@/g

/**
 * The text with any URL credentials (`https://user:secret@host`) replaced by `[credentials masked]@`.
 *
 * @example
 * ```ts
 * withoutCredentials('https://u:p@host/') // 'https://[credentials masked]@host/'
 * ```
 */
export function withoutCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, '$1[credentials masked]@')
}

/**
 * Any value as a message may quote it: THE one way a user's value goes into a message. A short string is
 * JSON-quoted (so control characters show escaped), unless it looks like key material or a token (PEM armour, a
 * line break, JWK members, a JWT, or simply long), which is described by its length instead; URL credentials are
 * masked. Numbers and booleans are shown; anything else (objects, arrays, symbols, functions, BigInts) by its kind
 * only, never stringified: users paste keys into the wrong place, and the error must not print them back.
 *
 * @example
 * ```ts
 * describeValue('staging') // '"staging"'
 * describeValue(pemText)   // '(1704 characters, not shown: looks like key material)'
 * describeValue(10n)       // 'a BigInt'
 * describeValue('5000', false) // 'a string of 4 characters' (where no string belongs, none is quoted)
 * ```
 */
export function describeValue(value: unknown, quoteStrings = true): string {
  if (!quoteStrings && typeof value === 'string') return `a string of ${value.length} characters`
  switch (typeof value) {
    case 'undefined':
      return 'nothing'
    case 'number':
      return String(value)
    case 'boolean':
      return String(value)
    case 'bigint':
      return 'a BigInt'
    case 'symbol':
      return 'a symbol'
    case 'function':
      return 'a function'
    case 'object':
      if (value === null) return 'null'
      if (Array.isArray(value)) return `an array of ${value.length} items`
      return 'an object'
    default:
      break
  }
  const text = value as string
  const secretLike =
    text.length > MAX_QUOTED_CHARS ||
    /-----BEGIN|PRIVATE KEY|[\r\n]|"(d|kty|p|q|dp|dq|qi)"\s*:/.test(text) ||
    // A line of a PEM body, a JWK member or a signature pasted into a setting (a thumbprint kid is 43 characters).
    /[A-Za-z0-9+/_-]{48,}/.test(text) ||
    maskTokens(text) !== text
  if (secretLike) return `(${text.length} characters, not shown: looks like key material)`
  return JSON.stringify(withoutCredentials(text))
}

/** Errors that another attempt cannot cure although their code and status usually could (an oversized answer). */
const FINAL = new WeakSet<object>()

/**
 * Marks `err` as not worth retrying; returns it.
 *
 * @example
 * ```ts
 * throw markFinal(new MaskinportenError('maskinporten_error', 'body too large', { status: 200 }))
 * ```
 */
export function markFinal<E extends Error>(err: E): E {
  FINAL.add(err)
  return err
}

/**
 * True for an error {@link markFinal} marked.
 *
 * @example
 * ```ts
 * if (isFinal(err)) throw err // do not retry
 * ```
 */
export function isFinal(err: unknown): boolean {
  return typeof err === 'object' && err !== null && FINAL.has(err)
}

/** Longest message of a cause we keep (characters). */
const MAX_CAUSE_CHARS = 300

/**
 * What a library call (fetch, crypto) threw, rebuilt from plain errors whose messages are scrubbed (tokens, what was
 * sent, anything after `Bearer`, what Node quotes after `Received`, key text, long base64, URL credentials) and
 * capped, with only their `code` kept. fetch's own errors may quote a header value or the URL; the original chain is
 * not kept, so none of it can reach `cause`, `JSON.stringify` or `util.inspect`.
 *
 * @example
 * ```ts
 * new MaskinportenError('maskinporten_request_failed', 'no answer', { cause: safeCause(err, [grant]) })
 * ```
 */
export function safeCause(err: unknown, secrets: readonly string[] = [], depth = 0): Error | undefined {
  if (depth >= 4 || err === null || typeof err !== 'object') return undefined
  const e = err as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown }
  const name = typeof e.name === 'string' && /^[A-Za-z]{1,40}$/.test(e.name) ? e.name : 'Error'
  // Node's argument errors quote the value they got (`Received type string ('...')`): never kept.
  const raw = typeof e.message === 'string' ? e.message.replace(/\.?\s*Received[\s\S]*$/, '') : ''
  const keyLike = /-----BEGIN|PRIVATE KEY|"(d|p|q|dp|dq|qi)"\s*:/.test(raw)
  const text = keyLike ? '(message not kept: it quotes key material)' : raw.replace(/[A-Za-z0-9+/=_-]{60,}/g, '[long base64 masked]')
  const message = cap(withoutCredentials(scrub(text, secrets)).replace(/Bearer\s+\S+/gi, 'Bearer [masked]').replace(/[\u0000-\u001f\u007f]/g, ' '), MAX_CAUSE_CHARS)
  const inner = safeCause(e.cause, secrets, depth + 1)
  const out = new Error(message, inner === undefined ? undefined : { cause: inner })
  if (name !== 'Error') Object.defineProperty(out, 'name', { value: name, enumerable: false, configurable: true })
  if (typeof e.code === 'string' && /^[A-Z0-9_]{1,40}$/.test(e.code)) Object.assign(out, { code: e.code })
  // The stack would name the scrubbed message again and our frames only: keep it short.
  out.stack = `${name}: ${message}`
  return out
}

/** Cuts text to `max` characters, saying how much was left out. */
export function cap(text: string, max: number = MAX_ERROR_BODY_CHARS): string {
  return text.length > max ? `${text.slice(0, max)}… [${text.length - max} more characters]` : text
}

/** A body as we keep it on an error: tokens masked, cut to size. */
export function capBody(text: string): string {
  return cap(maskTokens(text))
}

/**
 * Every failure of this library.
 *
 * The message says what went wrong and, for the known causes, what to do (`hint`). It never holds a private key,
 * a passphrase, a grant or a token.
 *
 * @example
 * ```ts
 * try {
 *   await getAltinnToken(config)
 * } catch (err) {
 *   if (isMaskinportenError(err) && err.oauthError === 'invalid_scope') console.error(err.message)
 *   else throw err
 * }
 * ```
 */
export class MaskinportenError extends Error {
  // `declare`: no field initialisers, so that absent details stay absent instead of showing as `undefined`.
  declare readonly name: 'MaskinportenError'
  readonly code: MaskinportenErrorCode
  declare readonly status?: number
  declare readonly body?: string
  declare readonly oauthError?: string
  declare readonly oauthErrorDescription?: string
  declare readonly mpCode?: string
  declare readonly traceId?: string
  declare readonly retryAfterMs?: number
  declare readonly serverTime?: number
  declare readonly hint?: string
  declare readonly altinnCode?: string
  declare readonly validationErrors?: readonly AltinnValidationError[]
  declare readonly method?: string
  declare readonly route?: string
  declare readonly contentType?: string

  constructor(code: MaskinportenErrorCode, message: string, details: MaskinportenErrorDetails = {}) {
    const full = details.hint ? `${message}. ${details.hint}` : message
    super(full, details.cause === undefined ? undefined : { cause: details.cause })
    this.code = code
    if (details.status !== undefined) this.status = details.status
    if (details.body !== undefined) this.body = capBody(details.body)
    if (details.oauthError !== undefined) this.oauthError = details.oauthError
    if (details.oauthErrorDescription !== undefined) this.oauthErrorDescription = details.oauthErrorDescription
    if (details.mpCode !== undefined) this.mpCode = details.mpCode
    if (details.traceId !== undefined) this.traceId = details.traceId
    if (details.retryAfterMs !== undefined) this.retryAfterMs = details.retryAfterMs
    if (details.serverTime !== undefined) this.serverTime = details.serverTime
    if (details.hint !== undefined) this.hint = details.hint
    if (details.altinnCode !== undefined) this.altinnCode = details.altinnCode
    if (details.validationErrors !== undefined) this.validationErrors = details.validationErrors
    if (details.method !== undefined) this.method = details.method
    if (details.route !== undefined) this.route = details.route
    if (details.contentType !== undefined) this.contentType = details.contentType
  }

  /** What `JSON.stringify` shows: everything but the stack and the cause object. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, code: this.code, message: this.message }
    for (const key of [
      'status',
      'oauthError',
      'oauthErrorDescription',
      'mpCode',
      'traceId',
      'retryAfterMs',
      'serverTime',
      'altinnCode',
      'validationErrors',
      'method',
      'route',
      'contentType',
      'body',
    ] as const) {
      if (this[key] !== undefined) out[key] = this[key]
    }
    if (this.cause instanceof Error) out.cause = `${this.cause.name}: ${this.cause.message}`
    return out
  }
}

Object.defineProperty(MaskinportenError.prototype, 'name', { value: 'MaskinportenError', enumerable: false })

/**
 * True for a {@link MaskinportenError}, also one from another copy of this package (matched by `name` and `code`).
 */
export function isMaskinportenError(value: unknown): value is MaskinportenError {
  if (value instanceof MaskinportenError) return true
  return (
    value instanceof Error &&
    value.name === 'MaskinportenError' &&
    typeof (value as { code?: unknown }).code === 'string'
  )
}

/** Shorthand for the most common failure: a wrong field, named, nothing sent. */
export function invalidConfig(field: string, problem: string, cause?: unknown): MaskinportenError {
  return new MaskinportenError('invalid_config', `Invalid configuration: ${field} ${problem}`, { cause })
}
