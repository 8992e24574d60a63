/**
 * Serving an injected fault in place of (or before) an endpoint's answer.
 */
import { sendJson, send, type Call } from './call.js'
import type { QueuedFault } from './fault-queue.js'
import { traceId } from './maskinporten/rejections.js'
import type { FaultEndpoint } from './types.js'
import { DELAY_COUNTS_AS_FAULTED, GARBAGE_BODY } from './unconfirmed.js'

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
 * fault was the whole answer. A faulted request counts in `requests` only (docs/architecture.md).
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
