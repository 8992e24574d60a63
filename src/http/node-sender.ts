/**
 * The default way a request is sent: `node:http`/`node:https` with keep-alive agents, the answer read from the
 * socket into a string. Node's global `fetch` (undici) and the web streams a `Response` is made of cost a cold
 * process tens of milliseconds before its first answer (loading and compiling them); `node:http` is part of Node's
 * startup snapshot. `config.fetch` still replaces it (proxies, instrumentation, tests): see send.ts.
 *
 * Redirects are never followed (a 3xx is an answer like any other); no encoding is asked for and nothing is
 * inflated, so a compressed body is read as the bytes it is.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { rawResponseHeaders, type ResponseHeaders } from './headers.js'

// Keep-alive: the Altinn exchange right after the token request (same host with the emulator, and a long-lived
// service's repeated requests) reuse the connection. Idle sockets are unref'd by the agent, so they never hold a
// process open, and are dropped after 4 s (or the server's Keep-Alive hint less a second, if shorter): below the
// usual idle limits of servers and load balancers, so a reused connection is rarely one the far end just closed.
// The agent's `timeout` only closes idle sockets here: a request in flight is bounded by send.ts's own timer.
const AGENT_OPTIONS = { keepAlive: true, keepAliveMsecs: 1000, maxSockets: 64, maxFreeSockets: 8, timeout: 4000 }
let httpAgent: HttpAgent | undefined
let httpsAgent: HttpsAgent | undefined

/**
 * The shared keep-alive agent for `http:` or `https:` (made on first use).
 *
 * @example
 * ```ts
 * http.request(url, { agent: keepAliveAgent(url.protocol === 'https:') })
 * ```
 */
export function keepAliveAgent(https: boolean): HttpAgent {
  return https ? (httpsAgent ??= new HttpsAgent(AGENT_OPTIONS)) : (httpAgent ??= new HttpAgent(AGENT_OPTIONS))
}

/** What the node sender sends. Headers are final: lower-case names, `user-agent` included. */
export interface NodeRequest {
  url: string
  method: string
  headers: Record<string, string>
  body?: string
  /** Ends the request, with its reason as the rejection (the caller's abort, or send.ts's timer). */
  signal: AbortSignal
  /** Most bytes of body read. */
  maxBytes: number
  /** The error for a body longer than `maxBytes` (the status is known by then). */
  tooLarge(status: number): Error
}

/** An answer read to the end. */
export interface NodeAnswer {
  status: number
  headers: ResponseHeaders
  body: string
}

/**
 * Node's http client refused the request before sending anything (an invalid header name or value, a URL it cannot
 * send to). Its message names the `code` only: Node's own message may quote the value, which may be a secret.
 *
 * @example
 * ```ts
 * if (err instanceof RequestNotSentError) console.error(err.code) // 'ERR_INVALID_CHAR'
 * ```
 */
export class RequestNotSentError extends Error {
  readonly code: string
  constructor(code: string) {
    super(`node:http refused to send the request (${code})`)
    this.name = 'RequestNotSentError'
    this.code = code
  }
}

/** An error with a `code`, like the socket's own, for what the socket does not report itself. */
function coded(message: string, code: string): Error {
  return Object.assign(new Error(message), { code })
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'ERR_INVALID_ARG_VALUE'
}

/**
 * Sends one request and reads the whole answer. Rejects with the socket error (`ECONNREFUSED`, `ECONNRESET`, ...
 * in its `code`; `HPE_*` for an answer that is not HTTP), `signal.reason` when the signal aborts (also while the
 * body is read), `tooLarge(status)` past `maxBytes` (the socket is destroyed, the rest never read), or a
 * {@link RequestNotSentError}.
 *
 * @example
 * ```ts
 * const { status, body } = await sendWithNode({ url, method: 'GET', headers: {}, signal, maxBytes: 1 << 20, tooLarge })
 * ```
 */
export function sendWithNode(req: NodeRequest): Promise<NodeAnswer> {
  return new Promise<NodeAnswer>((resolve, reject) => {
    let settled = false
    let request: ClientRequest | undefined
    const onAbort = (): void => fail(req.signal.reason, true)
    function fail(err: unknown, destroy = false): void {
      if (destroy) request?.destroy()
      if (settled) return
      settled = true
      req.signal.removeEventListener('abort', onAbort)
      reject(err)
    }
    if (req.signal.aborted) return fail(req.signal.reason)

    let url: URL
    try {
      url = new URL(req.url)
    } catch {
      return fail(new RequestNotSentError('ERR_INVALID_URL'))
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail(new RequestNotSentError('ERR_INVALID_PROTOCOL'))
    const headers = { ...req.headers }
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body))
    const https = url.protocol === 'https:'
    try {
      request = (https ? httpsRequest : httpRequest)(url, { method: req.method, headers, agent: keepAliveAgent(https) })
    } catch (err) {
      return fail(new RequestNotSentError(codeOf(err)))
    }
    req.signal.addEventListener('abort', onAbort, { once: true })
    request.on('error', (err) => fail(err))
    request.once('response', (res) => read(res))
    request.end(req.body)

    function read(res: IncomingMessage): void {
      const status = res.statusCode ?? 0
      // Node passes any three digits; an HTTP answer's final status is 200-599 (1xx are interim, and handled
      // by Node before this point).
      if (status < 200 || status > 599) return fail(coded(`invalid status ${status}`, 'HPE_INVALID_STATUS'), true)
      const chunks: Buffer[] = []
      let bytes = 0
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.byteLength
        if (bytes > req.maxBytes) return fail(req.tooLarge(status), true)
        chunks.push(chunk)
      })
      res.on('error', (err) => fail(err))
      res.once('close', () => {
        if (!res.complete) fail(coded('the connection closed before the whole answer came', 'ECONNRESET'), true)
      })
      res.once('end', () => {
        if (settled) return
        settled = true
        req.signal.removeEventListener('abort', onAbort)
        // As TextDecoder (and Response.text) do: invalid bytes become U+FFFD and a leading byte order mark is dropped.
        const text = Buffer.concat(chunks, bytes).toString('utf8')
        resolve({ status, headers: rawResponseHeaders(res.rawHeaders), body: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text })
      })
    }
  })
}
