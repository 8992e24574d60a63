/**
 * Injected faults waiting to be served: what a client's retry, timeout and error handling meet in production (a 503
 * with Retry-After, a server that never answers, a reset connection, a proxy's HTML page, a slow answer), on demand.
 */
import { invalidConfig } from '../errors/errors.js'
import type { EmulatorFault, FaultEndpoint } from './types.js'

/** A fault with its defaults filled in. */
export type QueuedFault = Required<Omit<EmulatorFault, 'retryAfterSeconds'>> & { retryAfterSeconds?: number }

const ENDPOINTS: readonly string[] = ['token', 'exchange', 'vendor'] satisfies FaultEndpoint[]
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
