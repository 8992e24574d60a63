/**
 * Checks on what Altinn answers before it is used: each reader takes parsed JSON and returns the typed value, or
 * `undefined` when the shape is wrong (the caller turns that into an `altinn_api_error` naming the route).
 * Only the fields this library documents are kept; strings are bounded.
 */
import type { AccessPackage, ChangeRequest, LocalizedText, RegisteredSystem, RequestStatus, Right, SystemUser, SystemUserRequest } from './types.js'
import { isGuid } from './validate.js'

type Json = Record<string, unknown>

const MAX_STRING = 4096
const MAX_PAGE_ITEMS = 1000
const STATUSES: ReadonlySet<string> = new Set(['New', 'Accepted', 'Rejected', 'Denied', 'Timedout', 'NoChangeNeeded'])

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function str(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_STRING
}

/** Optional string fields copied when present and strings. */
function optional<K extends string>(from: Json, keys: readonly K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {}
  for (const key of keys) if (str(from[key])) out[key] = from[key] as string
  return out
}

function rights(value: unknown): Right[] | undefined {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) return undefined
  const out: Right[] = []
  for (const right of value) {
    if (!isObject(right) || !Array.isArray(right.resource)) return undefined
    const resource: Right['resource'] = []
    for (const attr of right.resource) {
      if (!isObject(attr) || !str(attr.id) || !str(attr.value)) return undefined
      resource.push({ id: attr.id, value: attr.value })
    }
    out.push({ resource })
  }
  return out
}

function packages(value: unknown): AccessPackage[] | undefined {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) return undefined
  const out: AccessPackage[] = []
  for (const p of value) {
    if (!isObject(p) || !str(p.urn)) return undefined
    out.push({ urn: p.urn })
  }
  return out
}

function strings(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return []
  return Array.isArray(value) && value.every(str) ? [...value] : undefined
}

function localized(value: unknown): LocalizedText | undefined {
  if (value === undefined || value === null) return {}
  if (!isObject(value)) return undefined
  return optional(value, ['nb', 'nn', 'en'] as const)
}

function status(value: unknown): RequestStatus | undefined {
  return typeof value === 'string' && STATUSES.has(value) ? (value as RequestStatus) : undefined
}

/** A system from `GET /systemregister/vendor/{id}`. */
export function readSystem(value: unknown): RegisteredSystem | undefined {
  if (!isObject(value) || !str(value.id) || !isObject(value.vendor)) return undefined
  const vendor = value.vendor
  const [name, description, r, p, clientId, urls] = [
    localized(value.name),
    localized(value.description),
    rights(value.rights),
    packages(value.accessPackages),
    strings(value.clientId),
    strings(value.allowedRedirectUrls),
  ]
  if (!name || !description || !r || !p || !clientId || !urls || !str(vendor.ID)) return undefined
  return {
    id: value.id,
    vendor: { authority: str(vendor.authority) ? vendor.authority : 'iso6523-actorid-upis', ID: vendor.ID },
    name,
    description,
    rights: r,
    accessPackages: p,
    clientId,
    allowedRedirectUrls: urls,
    isVisible: value.isVisible !== false,
    isDeleted: value.isDeleted === true,
  }
}

/** A system user request from the request routes. */
export function readRequest(value: unknown): SystemUserRequest | undefined {
  if (!isObject(value) || !isGuid(value.id) || !str(value.systemId) || !str(value.partyOrgNo)) return undefined
  const st = status(value.status)
  const [r, p] = [rights(value.rights), packages(value.accessPackages)]
  if (!st || !r || !p || !str(value.confirmUrl)) return undefined
  return {
    id: value.id,
    systemId: value.systemId,
    partyOrgNo: value.partyOrgNo,
    externalRef: str(value.externalRef) ? value.externalRef : value.partyOrgNo,
    ...optional(value, ['integrationTitle', 'redirectUrl', 'created'] as const),
    rights: r,
    accessPackages: p,
    status: st,
    confirmUrl: value.confirmUrl,
    ...(typeof value.escalated === 'boolean' ? { escalated: value.escalated } : {}),
    timedOut: value.timedOut === true,
  }
}

/** A change request from the change request routes. */
export function readChangeRequest(value: unknown): ChangeRequest | undefined {
  if (!isObject(value) || !isGuid(value.id)) return undefined
  const st = status(value.status)
  const lists = [rights(value.requiredRights), rights(value.unwantedRights), packages(value.requiredAccessPackages), packages(value.unwantedAccessPackages)] as const
  if (!st || lists.some((l) => l === undefined)) return undefined
  return {
    id: value.id,
    ...optional(value, ['systemUserId', 'systemId', 'partyOrgNo', 'externalRef', 'redirectUrl', 'created'] as const),
    requiredRights: lists[0]!,
    unwantedRights: lists[1]!,
    requiredAccessPackages: lists[2]!,
    unwantedAccessPackages: lists[3]!,
    status: st,
    confirmUrl: str(value.confirmUrl) ? value.confirmUrl : '',
    ...(typeof value.timedOut === 'boolean' ? { timedOut: value.timedOut } : {}),
  }
}

/** A system user from the system user routes. */
export function readSystemUser(value: unknown): SystemUser | undefined {
  if (!isObject(value) || !isGuid(value.id) || !str(value.systemId) || !str(value.reporteeOrgNo)) return undefined
  const p = packages(value.accessPackages)
  if (!p) return undefined
  return {
    id: value.id,
    systemId: value.systemId,
    reporteeOrgNo: value.reporteeOrgNo,
    ...optional(value, ['externalRef', 'integrationTitle', 'productName', 'created', 'supplierName', 'supplierOrgno'] as const),
    ...(typeof value.isDeleted === 'boolean' ? { isDeleted: value.isDeleted } : {}),
    ...(value.userType === 'standard' || value.userType === 'agent' ? { userType: value.userType } : {}),
    accessPackages: p,
  }
}

/** A page: `{ links: { next }, data: [...] }` (docs/vendor-api.md §0). `next` undefined on the last page. */
export function readPage(value: unknown): { data: unknown[]; next: string | undefined } | undefined {
  // Altinn's pages hold 50; far more is not a page of this API.
  if (!isObject(value) || !Array.isArray(value.data) || value.data.length > MAX_PAGE_ITEMS) return undefined
  const links = value.links
  if (links !== undefined && links !== null && !isObject(links)) return undefined
  const next = isObject(links) ? links.next : undefined
  if (next !== undefined && next !== null && !str(next)) return undefined
  return { data: value.data, next: typeof next === 'string' && next !== '' ? next : undefined }
}

/** The bare JSON string (a GUID) that `POST /systemregister/vendor` answers. */
export function readBareGuid(value: unknown): string | undefined {
  return isGuid(value) ? value : undefined
}

/** `{"succeeded": true}`, the answer of the register's PUT and DELETE. */
export function readSucceeded(value: unknown): true | undefined {
  return isObject(value) && value.succeeded === true ? true : undefined
}
