/**
 * The one place that sends a request: one attempt, bounded by a timeout and a size, and every way it can fail without
 * an answer turned into a {@link MaskinportenError}. By default through `node:http` (node-sender.ts); through the
 * caller's `fetch` when one is given. What an answer means is for `exchange/maskinporten.ts` and `exchange/altinn.ts`.
 */
import { markFinal, MaskinportenError, safeCause, withoutCredentials, type MaskinportenErrorCode } from '../errors/errors.js'
import type { ResponseHeaders } from './headers.js'
import { RequestNotSentError, sendWithNode } from './node-sender.js'
import { VERSION } from './version.js'

/**
 * Most bytes read of an answer by default (a token answer is a few KB): as they come off the wire with the default
 * sender, which inflates nothing; after decompression with a `fetch` that inflates.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024

/** Sent with every request, so that server logs can tell us apart. */
export const USER_AGENT = `wenche-maskinporten/${VERSION} (node ${process.version})`

/** An answer, read to the end. */
export interface HttpResponse {
  status: number
  headers: ResponseHeaders
  body: string
}

/** What to send, and how long to wait for it. */
export interface HttpRequest {
  url: string
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH'
  headers: Record<string, string>
  body?: string
  /** The caller's `fetch`; default: node:http/https with keep-alive (node-sender.ts), no `fetch` involved. */
  fetch?: typeof globalThis.fetch | undefined
  /** Limit (in milliseconds) for the whole exchange, body included. */
  timeoutMs: number
  /** Aborts the request early (the caller gave up). */
  signal?: AbortSignal
  /** Code for a request that got no answer. */
  failCode: Extract<MaskinportenErrorCode, 'maskinporten_request_failed' | 'altinn_exchange_failed' | 'api_request_failed'>
  /** Who we were talking to, for messages: `Maskinporten`, `Altinn`. */
  service: string
  /** What messages show instead of `url` (a URL whose query holds values that must not be shown). */
  displayUrl?: string
  /** What is sent that must never show in an error (a grant, a token): masked in any cause kept. */
  secrets?: readonly string[]
  /** Most bytes of the answer read (after decompression, with a `fetch` that inflates). Default {@link DEFAULT_MAX_RESPONSE_BYTES}. */
  maxBytes?: number
}

/** The code of an answer that is not what was asked for, per no-answer code. */
const ANSWER_CODE = {
  maskinporten_request_failed: 'maskinporten_error',
  altinn_exchange_failed: 'altinn_exchange_error',
  api_request_failed: 'api_request_failed',
} as const satisfies Record<HttpRequest['failCode'], MaskinportenErrorCode>

// The socket error's `code` (Node's fetch wraps it in `cause`); these are the codes worth naming to a user.
const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'the body did not arrive in time',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate could not be verified (proxy? set NODE_EXTRA_CA_CERTS)',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in chain (proxy? set NODE_EXTRA_CA_CERTS)',
  HPE_INVALID_STATUS: 'the answer has no valid HTTP status',
}

/** Why Node's http client refused to send (nothing left this process), per code of {@link RequestNotSentError}. */
const NOT_SENT_REASONS: Record<string, string> = {
  ERR_INVALID_CHAR: 'a header value holds a character HTTP does not allow',
  ERR_INVALID_HTTP_TOKEN: 'a header name is not a valid HTTP token',
  ERR_HTTP_INVALID_HEADER_VALUE: 'a header value is not valid',
  ERR_INVALID_URL: 'the URL is not valid',
  ERR_INVALID_PROTOCOL: 'the URL is not http or https',
  ERR_UNESCAPED_CHARACTERS: 'the URL holds characters that must be escaped',
}

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string') return code
  }
  return undefined
}

function noAnswer(req: HttpRequest, rawErr: unknown, timedOut: boolean): MaskinportenError {
  const err = safeCause(rawErr, req.secrets)
  const where = `${req.service} at ${withoutCredentials(req.displayUrl ?? req.url)}`
  if (timedOut) {
    return new MaskinportenError(req.failCode, `No answer from ${where} within ${req.timeoutMs} ms`, {
      cause: err,
      hint: 'The service may be slow or unreachable from here; raise timeoutMs or try again',
    })
  }
  if (req.signal?.aborted) {
    return new MaskinportenError(req.failCode, `Request to ${where} was aborted`, { cause: err })
  }
  if (rawErr instanceof RequestNotSentError) {
    // Sending it again would be refused again: final, and no hint about the network.
    return markFinal(
      new MaskinportenError(req.failCode, `Could not send to ${where}: ${NOT_SENT_REASONS[rawErr.code] ?? 'Node refused the request'} (${rawErr.code}); nothing was sent`, {
        cause: err,
        hint: 'A header or the URL holds something HTTP cannot carry (a line break, a control character): check the values passed in',
      }),
    )
  }
  const code = networkCode(rawErr)
  // fetch refuses the ports browsers block (1, 9, 25, ...) before connecting, with a cause that has no code.
  const badPort = rawErr instanceof Error && rawErr.cause instanceof Error && rawErr.cause.message === 'bad port'
  const reason = code
    ? `${NETWORK_REASONS[code] ?? (code.startsWith('HPE_') ? 'the answer is not valid HTTP' : 'network error')} (${code})`
    : badPort
      ? 'fetch refuses to connect to this port (one of the ports browsers block); use another port'
      : 'network error'
  return new MaskinportenError(req.failCode, `Could not reach ${where}: ${reason}`, {
    cause: err,
    hint: 'Check the URL, the network and any proxy between here and the service; the request can be retried',
  })
}

/**
 * Sends one request and reads the whole answer. Resolves for any HTTP status; rejects with `req.failCode` when no
 * complete answer came (refused, reset, DNS, timeout, abort).
 */
export async function send(req: HttpRequest): Promise<HttpResponse> {
  // An own controller and timer rather than AbortSignal.timeout/any: the timer is cleared as soon as the answer is
  // read (AbortSignal.timeout lives on for the full timeout), and nothing is left attached to a long-lived caller
  // signal after the request (AbortSignal.any leaks a little per request on Node 20).
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort(new DOMException(`timed out after ${req.timeoutMs} ms`, 'TimeoutError'))
  }, Math.ceil(req.timeoutMs))
  const onAbort = (): void => controller.abort(req.signal?.reason)
  if (req.signal?.aborted) onAbort()
  else req.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    if (req.fetch === undefined) {
      const headers: Record<string, string> = { 'user-agent': USER_AGENT }
      // Lower-cased, so that a caller's header replaces ours of the same name instead of being sent beside it.
      for (const [name, value] of Object.entries(req.headers)) headers[name.toLowerCase()] = value
      return await sendWithNode({
        url: req.url,
        method: req.method,
        headers,
        ...(req.body === undefined ? {} : { body: req.body }),
        signal: controller.signal,
        maxBytes: req.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
        tooLarge: (status) => tooLarge(req, status),
      })
    }
    const init: RequestInit = {
      method: req.method,
      headers: { 'user-agent': USER_AGENT, ...req.headers },
      signal: controller.signal,
      redirect: 'manual',
    }
    if (req.body !== undefined) init.body = req.body
    const res = await req.fetch(req.url, init)
    const body = await readCapped(res, req)
    return { status: res.status, headers: res.headers, body }
  } catch (err) {
    if (err instanceof MaskinportenError) throw err
    throw noAnswer(req, err, timedOut)
  } finally {
    clearTimeout(timer)
    req.signal?.removeEventListener('abort', onAbort)
  }
}

/**
 * An answer over the size limit. Too large is an answer, not a network fault, and retrying it would only fetch it
 * again: `maskinporten_error` / `altinn_exchange_error` with the status, never retried.
 */
function tooLarge(req: HttpRequest, status: number): MaskinportenError {
  const max = req.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES
  return markFinal(
    new MaskinportenError(ANSWER_CODE[req.failCode], `${req.service} answered ${status} with a body over ${max} bytes; the rest was not read`, {
      status,
      hint: 'A token answer is a few KB: something between here and the service (a proxy, a wrong URL) sends something else',
    }),
  )
}

/**
 * The body of a caller's `fetch` answer as text, read chunk by chunk and given up past `req.maxBytes` decoded bytes (an endless body, a gzip
 * bomb): the rest is not downloaded nor inflated ({@link tooLarge}).
 */
async function readCapped(res: Response, req: HttpRequest): Promise<string> {
  const max = req.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES
  if (res.body === null) return ''
  const reader = res.body.getReader()
  const decoder = new TextDecoder()
  let bytes = 0
  let text = ''
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    bytes += value.byteLength
    if (bytes > max) {
      void reader.cancel().catch(() => {})
      throw tooLarge(req, res.status)
    }
    text += decoder.decode(value, { stream: true })
  }
  return text + decoder.decode()
}

/** Dates a server may plausibly claim (epoch ms): a `Date` outside them is not a clock, it is a bug or a lie. */
const PLAUSIBLE_FROM = Date.UTC(2020, 0, 1)
const PLAUSIBLE_UNTIL = Date.UTC(2100, 0, 1)

/** The server's clock from its `Date` header (epoch ms), if it sent a readable and plausible one. */
export function serverTimeOf(headers: ResponseHeaders): number | undefined {
  const date = headers.get('date')
  if (!date || date.length > 100) return undefined
  const ms = Date.parse(date)
  return Number.isNaN(ms) || ms < PLAUSIBLE_FROM || ms >= PLAUSIBLE_UNTIL ? undefined : ms
}

/** `Retry-After` in milliseconds (delta-seconds or an HTTP date), if present and sensible. */
export function retryAfterMsOf(headers: ResponseHeaders, now: number = Date.now()): number | undefined {
  const value = headers.get('retry-after')?.trim()
  if (!value) return undefined
  if (/^\d{1,9}$/.test(value)) return Number(value) * 1000
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

/** The body as JSON, or undefined when it is not JSON. */
export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}
