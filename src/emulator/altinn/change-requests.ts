/**
 * Change requests, `/systemuser/changerequest/vendor` (docs/vendor-api.md §3): the vendor asks the customer to
 * add or remove rights and packages of an existing system user. The request's id is the vendor's correlation id,
 * which makes a repeated POST safe: it answers the stored request.
 */
import { isValidOrgNummer } from '../../config/orgnummer.js'
import { sendJson } from '../call.js'
import { sendBindingProblem, sendEmpty, sendProblem, sendText } from './problem.js'
import { packagesWithin, readPackages, readRights, rightsWithin } from './rights.js'
import { redirectProblem } from './requests.js'
import { asObject, isGuid, optString } from './vendor-body.js'
import { isoTime, type VendorCall } from './vendor-call.js'
import { timedOut, type ChangeRequestRecord } from './vendor-state.js'
import { confirmUrl } from '../unconfirmed.js'

const QUERY = new Set(['correlation-id', 'system-user-id'])

/** A change request as the vendor routes answer it. */
export function changeRequestJson(r: ChangeRequestRecord, emulatorUrl: string, now: number): Record<string, unknown> {
  return {
    id: r.id,
    externalRef: r.externalRef,
    systemId: r.systemId,
    systemUserId: r.systemUserId,
    partyOrgNo: r.partyOrgNo,
    requiredRights: r.requiredRights,
    unwantedRights: r.unwantedRights,
    requiredAccessPackages: r.requiredAccessPackages,
    unwantedAccessPackages: r.unwantedAccessPackages,
    status: r.status,
    ...(r.redirectUrl === undefined ? {} : { redirectUrl: r.redirectUrl }),
    confirmUrl: confirmUrl(emulatorUrl, 'changerequest', r.id),
    created: isoTime(r.created),
    timedOut: timedOut(r.created, now),
  }
}

/** `POST /systemuser/changerequest/vendor?correlation-id=…&system-user-id=…`. */
export function createChangeRequest(v: VendorCall, body: unknown): void {
  const { call, store } = v
  const unknown = [...call.query.keys()].find((k) => !QUERY.has(k))
  if (unknown !== undefined) return sendText(call, 400, `Unknown query parameter: ${unknown.slice(0, 100)}`)
  const correlationId = (call.query.get('correlation-id') ?? '').trim().toLowerCase()
  if (!isGuid(correlationId) || /^[0-]+$/.test(correlationId)) {
    return sendText(call, 400, 'Missing or invalid correlation-id. Generate a unique UUID (RFC 4122) for this Change Request.')
  }
  const userId = (call.query.get('system-user-id') ?? '').trim().toLowerCase()
  const user = isGuid(userId) ? store.systemUsers.get(userId) : undefined
  if (!user || user.isDeleted || user.userType !== 'standard') return sendProblem(call, '00015')
  if (correlationId === user.id) {
    return sendText(call, 400, 'The correlation-id should not be the same as the system-user-id. Generate a unique id.')
  }
  const system = store.system(user.systemId)
  if (!system || system.vendorOrg !== v.vendor.orgNo) return sendEmpty(call, 401)
  const o = asObject(body, '$')
  const requiredRights = readRights(o, 'requiredRights') ?? []
  const unwantedRights = readRights(o, 'unwantedRights') ?? []
  const requiredAccessPackages = readPackages(o, 'requiredAccessPackages') ?? []
  const unwantedAccessPackages = readPackages(o, 'unwantedAccessPackages') ?? []
  const redirectUrl = optString(o, 'redirectUrl')
  const now = call.state.now()
  const base = {
    kind: 'change' as const,
    id: correlationId,
    systemUserId: user.id,
    systemId: user.systemId,
    partyOrgNo: user.reporteeOrgNo,
    externalRef: user.externalRef,
    ...(redirectUrl ? { redirectUrl } : {}),
    created: now,
    deleted: false,
  }
  if (requiredRights.length + unwantedRights.length + requiredAccessPackages.length + unwantedAccessPackages.length === 0) {
    const empty = { ...base, requiredRights, unwantedRights, requiredAccessPackages, unwantedAccessPackages }
    return sendJson(call, 200, { ...changeRequestJson({ ...empty, status: 'New' }, call.state.url, now), status: 'NoChangeNeeded', confirmUrl: '' })
  }
  const existing = store.changeRequests.get(correlationId)
  if (existing && !existing.deleted) return sendJson(call, 200, changeRequestJson(existing, call.state.url, now))
  if (!isValidOrgNummer(user.reporteeOrgNo)) return sendProblem(call, '00000')
  const redirect = redirectProblem(system, redirectUrl)
  if (redirect) return sendProblem(call, redirect)
  if (!rightsWithin(requiredRights, system.rights) || !packagesWithin(requiredAccessPackages, system.accessPackages)) {
    return sendProblem(call, '00001')
  }
  const record: ChangeRequestRecord = {
    ...base,
    requiredRights,
    unwantedRights,
    requiredAccessPackages,
    unwantedAccessPackages,
    status: 'New',
  }
  store.changeRequests.set(record.id, record)
  const location = `${call.state.altinnUrl}/authentication/api/v1/systemuser/changerequest/${record.id}`
  sendJson(call, 201, changeRequestJson(record, call.state.url, now), { Location: location })
}

function findChangeRequest(v: VendorCall, id: string): ChangeRequestRecord | undefined {
  if (!isGuid(id)) {
    sendBindingProblem(v.call, 'requestId')
    return undefined
  }
  const r = v.store.changeRequests.get(id.toLowerCase())
  const system = r ? v.store.system(r.systemId) : undefined
  if (!r || r.deleted || !system || system.vendorOrg !== v.vendor.orgNo) {
    sendProblem(v.call, '00010')
    return undefined
  }
  return r
}

/** `GET /systemuser/changerequest/vendor/{id}`. */
export function getChangeRequest(v: VendorCall, id: string): void {
  const r = findChangeRequest(v, id)
  if (r) sendJson(v.call, 200, changeRequestJson(r, v.call.state.url, v.call.state.now()))
}

/** `GET …/byexternalref/{systemId}/{orgNo}/{externalRef}`: the newest live change request of that system user. */
export function getChangeRequestByExternalRef(v: VendorCall, systemId: string, orgNo: string, externalRef: string): void {
  const found = [...v.store.changeRequests.values()]
    .filter((r) => !r.deleted && r.systemId.toLowerCase() === systemId.toLowerCase() && r.partyOrgNo === orgNo && r.externalRef === externalRef)
    .at(-1)
  const system = v.store.system(systemId)
  if (!found || !system || system.vendorOrg !== v.vendor.orgNo) return sendProblem(v.call, '00010')
  sendJson(v.call, 200, changeRequestJson(found, v.call.state.url, v.call.state.now()))
}

/** `DELETE /systemuser/changerequest/vendor/{id}`: soft delete, 202 with no body. */
export function deleteChangeRequest(v: VendorCall, id: string): void {
  const r = findChangeRequest(v, id)
  if (!r) return
  r.deleted = true
  sendEmpty(v.call, 202)
}
