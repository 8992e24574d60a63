/**
 * A `fetch`-compatible function on `node:http`/`node:https` with the default sender's keep-alive agents, for code
 * that wants to wrap a `fetch` (the command line's progress output). The package's own requests do not go through
 * it: `send()` speaks node:http itself (node-sender.ts), without the `Response` and web streams this builds. The
 * answer is a real `Response` built from the socket's stream, so callers read it as they would a `fetch` answer.
 *
 * What it supports is what this package sends: string or URL input, `method`, `headers`, a string, bytes or
 * `URLSearchParams` body, `signal`. Redirects are never followed (the package asks for `redirect: 'manual'`).
 * Anything else (a `Request` object, a stream body) is handed to the global `fetch`.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { Readable } from 'node:stream'
import { keepAliveAgent } from './node-sender.js'

/** Statuses whose `Response` must have no body (the constructor throws otherwise). */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304])

function bodyOf(body: RequestInit['body']): string | Uint8Array | undefined | null {
  if (body === undefined || body === null) return undefined
  if (typeof body === 'string' || body instanceof Uint8Array) return body
  if (body instanceof URLSearchParams) return body.toString()
  return null // not ours to send: the global fetch does
}

function headersOf(init: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  new Headers(init).forEach((value, name) => (out[name] = value))
  return out
}

function responseHeaders(res: IncomingMessage): Headers {
  const headers = new Headers()
  const raw = res.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!)
  return headers
}

/**
 * Sends one request with `node:http` or `node:https` and resolves to a `Response` whose body streams from the
 * socket. Rejects like `fetch`: with the abort reason when `signal` aborts (also while the body is being read),
 * with the socket error (`ECONNREFUSED`, `ECONNRESET`, ... in its `code`) otherwise.
 *
 * @example
 * ```ts
 * const res = await nodeFetch('https://test.maskinporten.no/.well-known/oauth-authorization-server')
 * const metadata = await res.json()
 * ```
 */
export function nodeFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const body = bodyOf(init.body)
  if ((typeof input !== 'string' && !(input instanceof URL)) || body === null) return globalThis.fetch(input, init)
  const url = typeof input === 'string' ? new URL(input) : input
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return globalThis.fetch(input, init)
  const signal = init.signal ?? undefined
  if (signal?.aborted) return Promise.reject(signal.reason)

  const headers = headersOf(init.headers)
  if (body !== undefined && headers['content-length'] === undefined) {
    headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength)
  }
  if (init.body instanceof URLSearchParams && headers['content-type'] === undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8'
  }
  const https = url.protocol === 'https:'
  const agent = keepAliveAgent(https) // the default sender's: both share their connections
  const send = https ? httpsRequest : httpRequest

  return new Promise<Response>((resolve, reject) => {
    const req = send(url, { method: init.method ?? 'GET', headers, agent })
    let settled = false
    const onAbort = (): void => {
      // Destroying the request also errors a body being read, so `res.text()` rejects with the reason too.
      req.destroy(signal?.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError'))
      if (!settled) {
        settled = true
        reject(signal?.reason)
      }
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    const done = (): void => signal?.removeEventListener('abort', onAbort)
    req.once('error', (err) => {
      done()
      if (!settled) {
        settled = true
        reject(err)
      }
    })
    req.once('response', (res) => {
      res.once('close', done)
      const status = res.statusCode ?? 0
      const stream = NULL_BODY_STATUSES.has(status) ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>)
      if (stream === null) res.resume()
      settled = true
      try {
        resolve(new Response(stream, { status, statusText: res.statusMessage ?? '', headers: responseHeaders(res) }))
      } catch (err) {
        // A status `Response` cannot carry (outside 200-599): an answer no HTTP client should take as one.
        res.destroy()
        reject(err)
      }
    })
    req.end(body)
  })
}
