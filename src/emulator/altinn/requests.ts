/**
 * System user requests, `/systemuser/request/vendor` and `/systemuser/request/vendor/agent` (docs/vendor-api.md §2):
 * one live request per (system, party, externalRef), externalRef defaulting to the party's org number; a repeated
 * POST answers 200 with the stored request; an existing system user for the triple is AUTH-00004.
 */
import { randomUUID } from 'node:crypto'
import { isValidOrgNummer } from '../../config/orgnummer.js'
import { sendJson } from '../call.js'
import { sendBindingProblem, sendEmpty, sendProblem } from './problem.js'
import { packagesWithin, readPackages, readRights, rightsWithin } from './rights.js'
import { asObject, isGuid, optString } from './vendor-body.js'
import { isoTime, knownParty, type VendorCall } from './vendor-call.js'
import { timedOut, type RequestRecord, type SystemRecord } from './vendor-state.js'
import { CLIENT_ACCESS_PACKAGES, MISSING_RIGHTS_CODE, confirmUrl } from '../unconfirmed.js'

type Kind = RequestRecord['kind']

/** A request as the vendor routes answer it. */
export function requestJson(r: RequestRecord, emulatorUrl: string, now: number): Record<string, unknown> {
  return {
    id: r.id,
    ...(r.integrationTitle === undefined ? {} : { integrationTitle: r.integrationTitle }),
    externalRef: r.externalRef,
    systemId: r.systemId,
    partyOrgNo: r.partyOrgNo,
    ...(r.kind === 'standard' ? { rights: r.rights } : {}),
    accessPackages: r.accessPackages,
    status: r.status,
    ...(r.redirectUrl === undefined ? {} : { redirectUrl: r.redirectUrl }),
    confirmUrl: confirmUrl(emulatorUrl, r.kind === 'agent' ? 'agentrequest' : 'request', r.id),
    escalated: false,
    created: isoTime(r.created),
    timedOut: timedOut(r.created, now),
  }
}

/** The vendor's live system with this id, or undefined (AUTH-00011 for both unknown and another vendor's). */
export function ownSystem(v: VendorCall, systemId: string | undefined): SystemRecord | undefined {
  const s = systemId === undefined ? undefined : v.store.system(systemId)
  return s && !s.isDeleted && s.vendorOrg === v.vendor.orgNo ? s : undefined
}

function withoutQuery(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined
  const u = new URL(url)
  return `${u.origin}${u.pathname.replace(/\/$/, '')}`
}

/** AUTH-00026 / AUTH-00021 for a redirect URL the system does not allow, else undefined. */
export function redirectProblem(system: SystemRecord, redirectUrl: string | undefined): '00026' | '00021' | undefined {
  if (redirectUrl === undefined || redirectUrl === '') return undefined
  if (system.allowedRedirectUrls.length === 0) return '00026'
  const wanted = withoutQuery(redirectUrl)
  return system.allowedRedirectUrls.some((a) => withoutQuery(a) === wanted) && wanted !== undefined ? undefined : '00021'
}

/** `POST /systemuser/request/vendor` (standard) and `POST …/agent`. */
export function createRequest(v: VendorCall, kind: Kind, body: unknown): void {
  const { call, store } = v
  const o = asObject(body, '$')
  const systemId = optString(o, 'systemId')
  const partyOrgNo = optString(o, 'partyOrgNo')
  const externalRef = optString(o, 'externalRef') || partyOrgNo || ''
  const redirectUrl = optString(o, 'redirectUrl')
  const integrationTitle = optString(o, 'integrationTitle')
  const rights = kind === 'standard' ? readRights(o, 'rights') : []
  const packages = readPackages(o, 'accessPackages')
  const now = call.state.now()

  const system = ownSystem(v, systemId)
  if (!system) return sendProblem(call, '00011')
  if (partyOrgNo !== undefined && store.systemUserFor(system.id, partyOrgNo, externalRef)) return sendProblem(call, '00004')
  const existing = partyOrgNo === undefined ? undefined : store.requestFor(system.id, partyOrgNo, externalRef)
  if (existing && !timedOut(existing.created, now)) return sendJson(call, 200, requestJson(existing, call.state.url, now))
  if (!knownParty(store, partyOrgNo, isValidOrgNummer)) return sendProblem(call, '00000')
  const redirect = redirectProblem(system, redirectUrl)
  if (redirect) return sendProblem(call, redirect)
  if (kind === 'standard') {
    if (rights === undefined && packages === undefined) return sendProblem(call, MISSING_RIGHTS_CODE)
    if ((rights ?? []).length === 0 && (packages ?? []).length === 0) return sendProblem(call, '00059')
    if (!rightsWithin(rights ?? [], system.rights) || !packagesWithin(packages ?? [], system.accessPackages)) {
      return sendProblem(call, '00001')
    }
  } else {
    if (packages === undefined || packages.length === 0) return sendProblem(call, '00058')
    if (!packagesWithin(packages, system.accessPackages)) return sendProblem(call, '00001')
    if (!packages.every((p) => CLIENT_ACCESS_PACKAGES.has(p.urn))) return sendProblem(call, '00065')
  }
  // A timed-out request no longer holds the triple: it is set aside so that the new one is found.
  if (existing) existing.deleted = true
  const record: RequestRecord = {
    kind,
    id: randomUUID(),
    systemId: system.id,
    partyOrgNo: partyOrgNo as string,
    externalRef,
    ...(integrationTitle ? { integrationTitle } : {}),
    rights: rights ?? [],
    accessPackages: packages ?? [],
    ...(redirectUrl ? { redirectUrl } : {}),
    status: 'New',
    created: now,
    deleted: false,
  }
  store.requests.set(record.id, record)
  const location = `${call.state.altinnUrl}/authentication/api/v1/systemuser/request/vendor/${kind === 'agent' ? 'agent/' : ''}${record.id}`
  sendJson(call, 201, requestJson(record, call.state.url, now), { Location: location })
}

/** The vendor's live request of this kind and id; answers 400/404/AUTH-00011 and gives undefined otherwise. */
function findRequest(v: VendorCall, kind: Kind, id: string): RequestRecord | undefined {
  if (!isGuid(id)) {
    sendBindingProblem(v.call, 'requestId')
    return undefined
  }
  const r = v.store.requests.get(id.toLowerCase())
  if (!r || r.deleted || r.kind !== kind) {
    sendProblem(v.call, '00010')
    return undefined
  }
  if (!ownSystem(v, r.systemId)) {
    sendProblem(v.call, '00011')
    return undefined
  }
  return r
}

/** `GET /systemuser/request/vendor/{id}` (`/agent/{id}`). */
export function getRequest(v: VendorCall, kind: Kind, id: string): void {
  const r = findRequest(v, kind, id)
  if (r) sendJson(v.call, 200, requestJson(r, v.call.state.url, v.call.state.now()))
}

/** `GET …/byexternalref/{systemId}/{orgNo}/{externalRef}`. */
export function getRequestByExternalRef(v: VendorCall, kind: Kind, systemId: string, orgNo: string, externalRef: string): void {
  const r = v.store.requestFor(systemId, orgNo, externalRef)
  if (!r || r.kind !== kind) return sendProblem(v.call, '00010')
  if (!ownSystem(v, systemId)) return sendProblem(v.call, '00011')
  sendJson(v.call, 200, requestJson(r, v.call.state.url, v.call.state.now()))
}

/** The live requests of one kind for a system, oldest first. */
export function requestsOfSystem(v: VendorCall, kind: Kind, system: SystemRecord): RequestRecord[] {
  return [...v.store.requests.values()].filter((r) => !r.deleted && r.kind === kind && r.systemId === system.id)
}

/** `DELETE /systemuser/request/vendor/{id}`: soft delete, 202 with no body. */
export function deleteRequest(v: VendorCall, kind: Kind, id: string): void {
  const r = findRequest(v, kind, id)
  if (!r) return
  r.deleted = true
  sendEmpty(v.call, 202)
}
