/**
 * One call of Altinn's vendor API: the URL under `{platform}/authentication/api/v1`, the scope's token (through
 * `MaskinportenClient.fetch`: cached, a fresh one once on 401), JSON in and out, retries where they are safe, and
 * any status not asked for turned into an `altinn_api_error`. Also the pages of the list routes.
 */
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { answerHeaders, type AuthenticatedRequestInit, type AuthenticatedResponse } from '../client/authenticated-fetch.js'
import type { GetTokenOptions } from '../client/options.js'
import { withRetries, type RetryPolicy } from '../client/retry.js'
import { MaskinportenError } from '../errors/errors.js'
import { altinnApiError, unexpectedAnswer, type CallLabel } from './problem.js'
import { readPage } from './shapes.js'

/** The authenticated fetch the transport sends with (`MaskinportenClient.fetch`). */
export type SendFn = (url: string, init: AuthenticatedRequestInit, tokenOptions: GetTokenOptions) => Promise<AuthenticatedResponse>

/** One call. */
export interface Call {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** Under `/authentication/api/v1`, each segment already encoded. */
  path: string
  query?: Record<string, string>
  scope: string
  body?: unknown
  /** Statuses that are answers, not errors. */
  expect: readonly number[]
  /** Safe to send again after no answer, 5xx or 429: GET, PUT, and the POSTs the service makes idempotent. */
  retry: boolean
}

/** An expected answer: its status and body (parsed JSON, or `undefined` for an empty or non-JSON body). */
export interface Answer {
  status: number
  json: unknown
  text: string
  label: CallLabel
}

/** Pages followed at most (50 items each: 500 000 items): beyond that `next` is taken to loop. */
const MAX_PAGES = 10_000

/** Another attempt may cure it: no answer, 5xx, 429, 408. Never a 4xx about the request. */
export function isRetryable(err: MaskinportenError): boolean {
  if (err.code === 'api_request_failed') return err.status === undefined // a too-large body is not weather
  if (err.code !== 'altinn_api_error') return false
  const status = err.status ?? 0
  return status >= 500 || status === 429 || status === 408
}

/** Sends calls for one platform. */
export class Transport {
  readonly base: string

  constructor(
    private readonly send: SendFn,
    platform: string,
    private readonly policy: RetryPolicy,
    private readonly timeoutMs: number | undefined,
    private readonly fetchFn: typeof globalThis.fetch | undefined,
  ) {
    this.base = `${platform.replace(/\/+$/, '')}/authentication/api/v1`
  }

  /** The path and query as errors show them: the `token` of a page masked. */
  label(call: Call): CallLabel {
    const query = Object.entries(call.query ?? {})
      .map(([k, v]) => `${k}=${k === 'token' ? '[masked]' : encodeURIComponent(v)}`)
      .join('&')
    return { method: call.method, route: `/authentication/api/v1${call.path}${query ? `?${query}` : ''}`, scope: call.scope }
  }

  /** Sends `call`; resolves for the statuses it expects, throws `altinn_api_error` for the others. */
  async call(call: Call, signal?: AbortSignal): Promise<Answer> {
    const label = this.label(call)
    const url = new URL(`${this.base}${call.path}`)
    for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, v)
    const init: AuthenticatedRequestInit = {
      method: call.method,
      headers: { accept: 'application/json', ...(call.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      ...(signal ? { signal } : {}),
      ...(this.timeoutMs === undefined ? {} : { timeoutMs: this.timeoutMs }),
      ...(this.fetchFn === undefined ? {} : { fetch: this.fetchFn }),
      service: 'Altinn',
    }
    const once = async (): Promise<Answer> => {
      const res = await this.send(url.href, init, { scope: call.scope })
      const text = await res.text()
      if (!call.expect.includes(res.status)) throw altinnApiError(label, res.status, answerHeaders(res), text)
      let json: unknown
      try {
        json = text.trim() === '' ? undefined : JSON.parse(text)
      } catch {
        json = undefined
      }
      return { status: res.status, json, text, label }
    }
    if (!call.retry) return once()
    return withRetries(this.policy, {
      attempt: () => once(),
      correct: () => false,
      elapsed: () => performance.now(),
      sleep: (ms) => sleep(ms, undefined, signal ? { signal } : {}).catch(() => undefined),
      stopped: () => signal?.aborted === true,
      onRetry: () => undefined,
      random: Math.random,
      transient: isRetryable,
    })
  }

  /**
   * The items of every page of a list route, one page at a time. `next` may name an internal host
   * (docs/vendor-api.md §0): only its `token` value is taken, and the next page asked of this platform.
   */
  async *pages(call: Call, signal?: AbortSignal): AsyncGenerator<{ item: unknown; label: CallLabel }> {
    const seen = new Set<string>()
    let query = call.query
    for (let page = 0; page < MAX_PAGES; page++) {
      const answer = await this.call({ ...call, ...(query ? { query } : {}) }, signal)
      const read = readPage(answer.json)
      if (!read) throw unexpectedAnswer(answer.label, answer.status, 'a page ({ links, data })', answer.text)
      for (const item of read.data) yield { item, label: answer.label }
      if (read.next === undefined) return
      const token = URL.canParse(read.next) ? new URL(read.next).searchParams.get('token') : null
      if (!token) throw unexpectedAnswer(answer.label, answer.status, 'a next link holding a token', answer.text)
      if (seen.has(token)) throw unexpectedAnswer(answer.label, answer.status, 'a new page token (the same one came twice)', answer.text)
      seen.add(token)
      query = { ...call.query, token }
    }
    throw new MaskinportenError('altinn_api_error', `More than ${MAX_PAGES} pages from ${this.label(call).route}: stopped`, { method: call.method, route: this.label(call).route })
  }
}
