/**
 * Change requests of a system user's rights (docs/vendor-api.md §3). A POST is retry-safe only with the same
 * correlation id: the service answers 200 with the stored request for a correlation id it has seen. So one is
 * made here when the caller gives none, and handed back, for the caller's own retries.
 */
import { randomUUID } from 'node:crypto'
import { invalidConfig } from '../errors/errors.js'
import { unexpectedAnswer } from './problem.js'
import { SYSTEM_USER_REQUEST_READ, SYSTEM_USER_REQUEST_WRITE } from './scopes.js'
import { readChangeRequest } from './shapes.js'
import type { Answer, Transport } from './transport.js'
import type { AccessPackage, ChangeRequest, Right } from './types.js'
import { checkAccessPackage, checkGuid, checkHttpsUrl, checkList, checkOptions, checkOrgNo, checkRight, checkText } from './validate.js'

/** What a change request asks for. Send only what the system user lacks (docs/vendor-api.md §3). */
export interface ChangeRequestInput {
  requiredRights?: Right[]
  unwantedRights?: Right[]
  requiredAccessPackages?: AccessPackage[]
  unwantedAccessPackages?: AccessPackage[]
  redirectUrl?: string
}

/** What `requestChange` answers. `correlationId` is the one sent: give it again to retry without a duplicate. */
export interface ChangeRequestResult {
  changeRequest: ChangeRequest
  created: boolean
  correlationId: string
}

const PATH = '/systemuser/changerequest/vendor'

function change(answer: Answer): ChangeRequest {
  const read = readChangeRequest(answer.json)
  if (read === undefined) throw unexpectedAnswer(answer.label, answer.status, 'a change request', answer.text)
  return read
}

/** `POST /systemuser/changerequest/vendor?correlation-id=…&system-user-id=…`. */
export async function requestChange(
  t: Transport,
  systemUserId: string,
  input: ChangeRequestInput,
  options: { correlationId?: string } = {},
): Promise<ChangeRequestResult> {
  const userId = checkGuid(systemUserId, 'systemUserId')
  const given = checkOptions(input, 'changes')
  const correlationId = options.correlationId === undefined ? randomUUID() : checkGuid(options.correlationId, 'correlationId')
  if (correlationId === userId) throw invalidConfig('correlationId', 'must differ from the system user id (Altinn refuses it)')
  const body: Record<string, unknown> = {
    requiredRights: given.requiredRights === undefined ? [] : checkList(given.requiredRights, 'requiredRights', checkRight),
    unwantedRights: given.unwantedRights === undefined ? [] : checkList(given.unwantedRights, 'unwantedRights', checkRight),
    requiredAccessPackages: given.requiredAccessPackages === undefined ? [] : checkList(given.requiredAccessPackages, 'requiredAccessPackages', checkAccessPackage),
    unwantedAccessPackages: given.unwantedAccessPackages === undefined ? [] : checkList(given.unwantedAccessPackages, 'unwantedAccessPackages', checkAccessPackage),
  }
  if (given.redirectUrl !== undefined) body.redirectUrl = checkHttpsUrl(given.redirectUrl, 'redirectUrl')
  const answer = await t.call({
    method: 'POST',
    path: PATH,
    query: { 'correlation-id': correlationId, 'system-user-id': userId },
    scope: SYSTEM_USER_REQUEST_WRITE,
    body,
    expect: [200, 201],
    // Safe: the same correlation id finds the stored request instead of making a second one.
    retry: true,
  })
  return { changeRequest: change(answer), created: answer.status === 201, correlationId }
}

/** `GET /systemuser/changerequest/vendor/{id}`. */
export async function getChangeRequest(t: Transport, id: string): Promise<ChangeRequest> {
  const answer = await t.call({ method: 'GET', path: `${PATH}/${checkGuid(id, 'id')}`, scope: SYSTEM_USER_REQUEST_READ, expect: [200], retry: true })
  return change(answer)
}

/** `GET …/byexternalref/{systemId}/{orgNo}/{externalRef}`; `undefined` when there is none. */
export async function findChangeRequest(t: Transport, systemId: string, query: { partyOrgNo: string; externalRef?: string }): Promise<ChangeRequest | undefined> {
  const given = checkOptions(query, 'query')
  const org = checkOrgNo(given.partyOrgNo, 'partyOrgNo')
  const ref = given.externalRef === undefined ? org : checkText(given.externalRef, 'externalRef')
  const path = `${PATH}/byexternalref/${encodeURIComponent(systemId)}/${org}/${encodeURIComponent(ref)}`
  const answer = await t.call({ method: 'GET', path, scope: SYSTEM_USER_REQUEST_READ, expect: [200, 404], retry: true })
  return answer.status === 404 ? undefined : change(answer)
}

/** Every change request of the system, page after page. */
export async function* listChangeRequests(t: Transport, systemId: string): AsyncGenerator<ChangeRequest> {
  for await (const { item, label } of t.pages({ method: 'GET', path: `${PATH}/bysystem/${encodeURIComponent(systemId)}`, scope: SYSTEM_USER_REQUEST_READ, expect: [200], retry: true })) {
    const read = readChangeRequest(item)
    if (read === undefined) throw unexpectedAnswer(label, 200, 'a page of change requests', '')
    yield read
  }
}

/** `DELETE /systemuser/changerequest/vendor/{id}`: 202. */
export async function deleteChangeRequest(t: Transport, id: string): Promise<void> {
  await t.call({ method: 'DELETE', path: `${PATH}/${checkGuid(id, 'id')}`, scope: SYSTEM_USER_REQUEST_WRITE, expect: [200, 202, 204], retry: false })
}
