/**
 * Injected faults: what a client's retry, timeout and error handling meet in production (a 503 with Retry-After, a
 * server that never answers, a reset connection, a proxy's HTML page, a slow answer), on demand.
 */
import { invalidConfig } from '../errors.js'
import { sendJson, send, type Call } from './call.js'
import { traceId } from './rejections.js'
import type { EmulatorFault, FaultEndpoint } from './types.js'
import { DELAY_COUNTS_AS_FAULTED, GARBAGE_BODY } from './unconfirmed.js'

/** A fault with its defaults filled in. */
export type QueuedFault = Required<Omit<EmulatorFault, 'retryAfterSeconds'>> & { retryAfterSeconds?: number }

const ENDPOINTS: readonly string[] = ['token', 'exchange'] satisfies FaultEndpoint[]
const KINDS: readonly string[] = ['status', 'hang', 'reset', 'garbage', 'delay'] satisfies EmulatorFault['kind'][]

function wholeNumber(value: unknown, field: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidConfig(`fault.${field}`, `must be a whole number from ${min} to ${max}`)
  }
  return value
}

/** Checks a fault and fills in its defaults (status 503, delay 1000 ms, once). Throws `invalid_config`. */
export function normalizeFault(input: unknown): QueuedFault {
  if (input === null || typeof input !== 'object') throw invalidConfig('fault', 'must be an object')
  const f = input as Record<string, unknown>
  if (typeof f.endpoint !== 'string' || !ENDPOINTS.includes(f.endpoint)) {
    throw invalidConfig('fault.endpoint', `must be one of ${ENDPOINTS.join(', ')}`)
  }
  if (typeof f.kind !== 'string' || !KINDS.includes(f.kind)) {
    throw invalidConfig('fault.kind', `must be one of ${KINDS.join(', ')}`)
  }
  const fault: QueuedFault = {
    endpoint: f.endpoint as FaultEndpoint,
    kind: f.kind as EmulatorFault['kind'],
    status: wholeNumber(f.status, 'status', 200, 599, 503),
    delayMs: wholeNumber(f.delayMs, 'delayMs', 0, 600_000, 1000),
    times: wholeNumber(f.times, 'times', 1, 1_000_000, 1),
  }
  if (f.retryAfterSeconds !== undefined) {
    fault.retryAfterSeconds = wholeNumber(f.retryAfterSeconds, 'retryAfterSeconds', 0, 86_400, 0)
  }
  return fault
}

/** Faults waiting, served first come first served per endpoint. */
export class FaultQueue {
  #faults: QueuedFault[] = []

  /** Queues a fault after checking it; throws `invalid_config`. */
  add(fault: EmulatorFault): void {
    this.#faults.push(normalizeFault(fault))
  }

  /** Drops every queued fault. */
  clear(): void {
    this.#faults = []
  }

  /** The fault for this request to `endpoint`, if any; each use counts down its `times`. */
  take(endpoint: FaultEndpoint): QueuedFault | undefined {
    const i = this.#faults.findIndex((f) => f.endpoint === endpoint)
    if (i < 0) return undefined
    const fault = this.#faults[i]!
    if (--fault.times === 0) this.#faults.splice(i, 1)
    return fault
  }
}

/**
 * Serves a fault. Resolves true when the request should then be handled normally (`delay`), false when the fault
 * was the whole answer.
 */
export async function serveFault(call: Call, fault: QueuedFault): Promise<boolean> {
  switch (fault.kind) {
    case 'delay':
      // The body is left unread: the normal handling after the wait reads it.
      // false when the emulator closed meanwhile: the socket is gone, nothing to answer.
      return call.state.later(fault.delayMs)
    case 'hang':
      // Never answers; close() ends the socket.
      return false
    case 'reset':
      call.req.socket.destroy()
      return false
    case 'garbage':
      call.req.resume()
      send(call, 200, GARBAGE_BODY, { 'Content-Type': 'text/html' })
      return false
    case 'status': {
      call.req.resume()
      const headers: Record<string, string> =
        fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) }
      const error = fault.status === 503 ? 'temporarily_unavailable' : 'server_error'
      const body = { error, error_description: `Injected fault: HTTP ${fault.status} (trace_id: ${traceId()})` }
      sendJson(call, fault.status, body, headers)
      return false
    }
  }
}

/**
 * Serves one request to an endpoint that faults can hit: counts it, serves a queued fault, then `answer` unless the
 * fault was the whole answer. A faulted request counts in `requests` only (DESIGN.md).
 */
export async function withFaults(
  call: Call,
  endpoint: FaultEndpoint,
  answer: (call: Call) => Promise<'issued' | 'rejected'>,
): Promise<void> {
  const stats = call.state.stats[endpoint]
  stats.requests++
  const fault = call.state.faults.take(endpoint)
  if (fault && !(await serveFault(call, fault))) return
  const outcome = await answer(call)
  if (!fault || (fault.kind === 'delay' && !DELAY_COUNTS_AS_FAULTED)) stats[outcome]++
}
