/**
 * System user requests (docs/vendor-api.md §2): asking a customer for a system user, finding and listing the
 * requests, and waiting for the customer's answer. The service makes the POST idempotent per (system, customer,
 * externalRef): a second POST answers 200 with the stored request, so it is safe to retry.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { describeValue, invalidConfig, MaskinportenError } from '../errors/errors.js'
import { isAltinnError, unexpectedAnswer } from './problem.js'
import { SYSTEM_USER_REQUEST_READ, SYSTEM_USER_REQUEST_WRITE } from './scopes.js'
import { readRequest } from './shapes.js'
import type { Answer, Transport } from './transport.js'
import type { AccessPackage, Right, SystemUserRequest } from './types.js'
import { checkAccessPackage, checkGuid, checkHttpsUrl, checkList, checkOptions, checkOrgNo, checkRight, checkText } from './validate.js'

/** What `requestSystemUser` takes. */
export interface SystemUserRequestInput {
  /** The customer's org number. */
  partyOrgNo: string
  /** Rights asked for: a subset of the system's. */
  rights?: Right[]
  /** Access packages asked for (required for an agent request). */
  accessPackages?: AccessPackage[]
  /** Tells several system users of one customer apart. Default (at Altinn): the customer's org number. */
  externalRef?: string
  /** Where the customer is sent after answering: one of the system's `allowedRedirectUrls`. */
  redirectUrl?: string
  /** The name the customer sees for this integration. */
  integrationTitle?: string
  /** An agent (client delegation) request: packages only, confirmUrl `agentrequest`. */
  agent?: boolean
}

/** What `requestSystemUser` answers: the request, and whether this call made it (201) or found it (200). */
export interface SystemUserRequestResult {
  request: SystemUserRequest
  created: boolean
}

function base(agent: boolean | undefined): string {
  return agent ? '/systemuser/request/vendor/agent' : '/systemuser/request/vendor'
}

function request(answer: Answer): SystemUserRequest {
  const read = readRequest(answer.json)
  if (read === undefined) throw unexpectedAnswer(answer.label, answer.status, 'a system user request', answer.text)
  return read
}

/**
 * `POST /systemuser/request/vendor` (or `/agent`). Retried on no answer, 5xx and 429: the service answers a repeat
 * with the stored request, so a retry after a POST that did land reports `created: false` for the request it made.
 */
export async function requestSystemUser(t: Transport, systemId: string, input: SystemUserRequestInput): Promise<SystemUserRequestResult> {
  const given = checkOptions(input, 'request')
  const agent = given.agent === true
  const body: Record<string, unknown> = { systemId, partyOrgNo: checkOrgNo(given.partyOrgNo, 'partyOrgNo') }
  if (given.externalRef !== undefined) body.externalRef = checkText(given.externalRef, 'externalRef')
  if (given.integrationTitle !== undefined) body.integrationTitle = checkText(given.integrationTitle, 'integrationTitle')
  if (given.redirectUrl !== undefined) body.redirectUrl = checkHttpsUrl(given.redirectUrl, 'redirectUrl')
  const rights = given.rights === undefined ? [] : checkList(given.rights, 'rights', checkRight)
  const packages = given.accessPackages === undefined ? [] : checkList(given.accessPackages, 'accessPackages', checkAccessPackage)
  if (agent && rights.length > 0) throw invalidConfig('rights', 'cannot be given in an agent request: it takes accessPackages only')
  if (agent && packages.length === 0) throw invalidConfig('accessPackages', 'are required in an agent request')
  if (rights.length === 0 && packages.length === 0) throw invalidConfig('rights', 'or accessPackages must be given: a request for nothing is refused (AUTH-00059)')
  if (!agent) body.rights = rights
  body.accessPackages = packages
  const answer = await t.call({ method: 'POST', path: base(agent), scope: SYSTEM_USER_REQUEST_WRITE, body, expect: [200, 201], retry: true })
  return { request: request(answer), created: answer.status === 201 }
}

/** `GET /systemuser/request/vendor/{id}` (or `/agent/{id}`); AUTH-00010 when there is none. */
export async function getRequest(t: Transport, id: string, options: { agent?: boolean; signal?: AbortSignal } = {}): Promise<SystemUserRequest> {
  const guid = checkGuid(id, 'id')
  const answer = await t.call({ method: 'GET', path: `${base(options.agent)}/${guid}`, scope: SYSTEM_USER_REQUEST_READ, expect: [200], retry: true }, options.signal)
  return request(answer)
}

/** `GET …/byexternalref/{systemId}/{orgNo}/{externalRef}`; `undefined` when there is none (AUTH-00010). */
export async function findRequest(
  t: Transport,
  systemId: string,
  query: { partyOrgNo: string; externalRef?: string; agent?: boolean },
): Promise<SystemUserRequest | undefined> {
  const given = checkOptions(query, 'query')
  const org = checkOrgNo(given.partyOrgNo, 'partyOrgNo')
  // An absent externalRef is the org number, in look-ups as in the uniqueness triple (docs/vendor-api.md §2).
  const ref = given.externalRef === undefined ? org : checkText(given.externalRef, 'externalRef')
  const path = `${base(given.agent)}/byexternalref/${encodeURIComponent(systemId)}/${org}/${encodeURIComponent(ref)}`
  const answer = await t.call({ method: 'GET', path, scope: SYSTEM_USER_REQUEST_READ, expect: [200, 404], retry: true })
  return answer.status === 404 ? undefined : request(answer)
}

/** Every request of the system, page after page. */
export async function* listRequests(t: Transport, systemId: string, options: { agent?: boolean } = {}): AsyncGenerator<SystemUserRequest> {
  const path = `${base(options.agent)}/bysystem/${encodeURIComponent(systemId)}`
  for await (const { item, label } of t.pages({ method: 'GET', path, scope: SYSTEM_USER_REQUEST_READ, expect: [200], retry: true })) {
    const read = readRequest(item)
    if (read === undefined) throw unexpectedAnswer(label, 200, 'a page of system user requests', '')
    yield read
  }
}

/** `DELETE /systemuser/request/vendor/{id}`: 202, a soft delete. */
export async function deleteRequest(t: Transport, id: string): Promise<void> {
  const guid = checkGuid(id, 'id')
  await t.call({ method: 'DELETE', path: `/systemuser/request/vendor/${guid}`, scope: SYSTEM_USER_REQUEST_WRITE, expect: [200, 202, 204], retry: false })
}

/** How `waitForRequest` polls. */
export interface WaitOptions {
  /** Between polls (milliseconds). Default 5000. */
  intervalMs?: number
  /** Longest wait (milliseconds). Default 900000 (15 minutes). */
  timeoutMs?: number
  /** Ends the wait early. */
  signal?: AbortSignal
  /** Polls an agent request. */
  agent?: boolean
  /** Told each status read. */
  onPoll?: (request: SystemUserRequest) => void
}

/** Default {@link WaitOptions.intervalMs}. */
export const DEFAULT_POLL_INTERVAL_MS = 5_000
/** Default {@link WaitOptions.timeoutMs}. */
export const DEFAULT_WAIT_TIMEOUT_MS = 15 * 60_000

function pending(id: string, why: string, last?: SystemUserRequest): MaskinportenError {
  return new MaskinportenError('request_still_pending', `The request ${id} is still ${last?.status ?? 'New'}: ${why}`, {
    hint: last?.timedOut ? 'It can no longer be answered: delete it and ask again' : `Send the customer to its confirmUrl${last ? ` (${last.confirmUrl})` : ''}, then wait again`,
  })
}

/** Polls a request until its status leaves `New`; rejects with `request_still_pending` on timeout, abort or Altinn's own timeout. */
export async function waitForRequest(t: Transport, id: string, options: WaitOptions = {}): Promise<SystemUserRequest> {
  const guid = checkGuid(id, 'id')
  const o = checkOptions(options, 'options')
  const intervalMs = o.intervalMs ?? DEFAULT_POLL_INTERVAL_MS
  const timeoutMs = o.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS
  if (!(intervalMs > 0 && intervalMs <= 3_600_000)) throw invalidConfig('intervalMs', `must be a number of milliseconds in (0, 3600000], got ${describeValue(String(intervalMs))}`)
  if (!(timeoutMs >= 0 && timeoutMs <= 2_147_483_647)) throw invalidConfig('timeoutMs', 'must be a non-negative number of milliseconds')
  const deadline = Date.now() + timeoutMs
  const signal = o.signal
  let last: SystemUserRequest | undefined
  for (;;) {
    if (signal?.aborted) throw pending(guid, 'waiting was aborted', last)
    try {
      last = await getRequest(t, guid, { ...(o.agent ? { agent: true } : {}), ...(signal ? { signal } : {}) })
    } catch (err) {
      if (signal?.aborted) throw pending(guid, 'waiting was aborted', last)
      throw err
    }
    o.onPoll?.(last)
    if (last.status !== 'New') return last
    if (last.timedOut) throw pending(guid, 'it timed out at Altinn (180 days) without an answer', last)
    const left = deadline - Date.now()
    if (left <= 0) throw pending(guid, `no answer within ${Math.round(timeoutMs / 1000)} s`, last)
    await sleep(Math.min(intervalMs, left), undefined, signal ? { signal } : {}).catch(() => undefined)
  }
}

/** True for the error Altinn gives when a system user already exists for the triple. */
export function isSystemUserExists(err: unknown): boolean {
  return isAltinnError(err, 400, 'AUTH-00004') || isAltinnError(err, 409, 'AUTH-00004')
}
