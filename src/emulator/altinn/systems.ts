/**
 * The system register, `/systemregister/vendor` (docs/vendor-api.md §1): register (a bare GUID string back),
 * read, replace everything, replace rights or access packages, soft delete (the id is burnt, its client ids
 * freed). Checks in the service's order; the register's own checks also guard the emulator's `systems` config.
 */
import { randomUUID } from 'node:crypto'
import { parseOrgNummer, ORGNR_PREFIX } from '../../config/orgnummer.js'
import { sendJson, type Call } from '../call.js'
import { sendBindingProblem, sendEmpty, sendText, sendValidation, validationError, type ValidationError } from './problem.js'
import {
  hasDuplicatePackages,
  hasDuplicateRights,
  readPackages,
  readRights,
  RESOURCE_ATTRIBUTE,
  type AccessPackage,
  type Right,
} from './rights.js'
import { asObject, member, optBool, optStrings, optString, optTexts } from './vendor-body.js'
import { owns, type Vendor } from './vendor-auth.js'
import type { SystemFields, SystemRecord, VendorStore } from './vendor-state.js'
import { ACCESS_PACKAGE_PATTERN } from '../unconfirmed.js'

/** The body paths validation errors name (the service's `ErrorPathConstant`). */
const PATH = {
  vendorId: '/registersystemrequest/vendor/id',
  systemId: '/registersystemrequest/systemid',
  rights: '/registersystemrequest/rights/resource',
  accessPackages: '/registersystemrequest/accesspackages',
  clientId: '/registersystemrequest/clientid',
  redirectUrls: '/registersystemrequest/allowedredirecturls',
} as const

/** A register POST or PUT body, read. */
export interface SystemDefinition extends SystemFields {
  id: string
  vendorId: string | undefined
}

/** Reads a register body loosely (keys in any case, unknown ones ignored). */
export function readDefinition(value: unknown): SystemDefinition {
  const o = asObject(value, '$')
  const vendor = member(o, 'vendor')
  return {
    id: optString(o, 'id') ?? '',
    vendorId: vendor === undefined ? undefined : optString(asObject(vendor, 'vendor'), 'id', 'vendor.ID'),
    name: optTexts(o, 'name') ?? {},
    description: optTexts(o, 'description') ?? {},
    rights: readRights(o, 'rights') ?? [],
    accessPackages: readPackages(o, 'accessPackages') ?? [],
    clientId: optStrings(o, 'clientId') ?? [],
    allowedRedirectUrls: optStrings(o, 'allowedRedirectUrls') ?? [],
    isVisible: optBool(o, 'isVisible') ?? true,
  }
}

/** The vendor org of `0192:<orgnr>`, or undefined when it is not a valid ISO 6523 organisation identifier. */
export function vendorOrgOf(vendorId: string | undefined): string | undefined {
  if (vendorId === undefined || !vendorId.startsWith(ORGNR_PREFIX)) return undefined
  const digits = vendorId.slice(ORGNR_PREFIX.length)
  if (!/^\d{9}$/.test(digits)) return undefined
  return parseOrgNummer(digits).ok ? digits : undefined
}

function isHttpsUrl(text: string): boolean {
  if (!URL.canParse(text)) return false
  const url = new URL(text)
  return url.protocol === 'https:' && url.hostname !== ''
}

/** The rights checks of register, PUT and PUT rights: format, registry, duplicates. */
export function checkRights(store: VendorStore, rights: Right[]): ValidationError[] {
  const errors: ValidationError[] = []
  const pairs = rights.flatMap((r) => r.resource)
  if (rights.some((r) => r.resource.length === 0) || pairs.some((p) => p.id !== RESOURCE_ATTRIBUTE)) {
    errors.push(validationError('09', PATH.rights))
  }
  const known = store.knownResources
  const unknown = pairs.filter((p) => p.id === RESOURCE_ATTRIBUTE && (p.value === '' || (known !== undefined && !known.has(p.value))))
  if (unknown.length > 0) errors.push(validationError('03', PATH.rights))
  if (hasDuplicateRights(rights)) errors.push(validationError('06', PATH.rights))
  return errors
}

/** The access package checks: known and delegable, no duplicates. */
export function checkPackages(packages: AccessPackage[]): ValidationError[] {
  const errors: ValidationError[] = []
  if (packages.some((p) => !ACCESS_PACKAGE_PATTERN.test(p.urn))) errors.push(validationError('08', PATH.accessPackages))
  if (hasDuplicatePackages(packages)) errors.push(validationError('07', PATH.accessPackages))
  return errors
}

function clientIdTaken(store: VendorStore, clientId: string, except?: SystemRecord): boolean {
  const owner = store.systemOfClient(clientId)
  return owner !== undefined && owner !== except
}

/**
 * The register POST's checks after the vendor identifier's: id (spaces, format, taken even when deleted), redirect
 * URLs, client ids, rights, packages.
 */
export function checkNewSystem(store: VendorStore, def: SystemDefinition, vendorOrg: string): ValidationError[] {
  const errors: ValidationError[] = []
  if (/\s/.test(def.id)) errors.push(validationError('13', PATH.systemId))
  if (!def.id.startsWith(`${vendorOrg}_`) || def.id.length === vendorOrg.length + 1) errors.push(validationError('01', PATH.systemId))
  if (store.system(def.id) !== undefined) errors.push(validationError('02', PATH.systemId))
  if (!def.allowedRedirectUrls.every(isHttpsUrl)) errors.push(validationError('05', PATH.redirectUrls))
  if (def.clientId.some((c) => clientIdTaken(store, c))) errors.push(validationError('04', PATH.clientId))
  return [...errors, ...checkRights(store, def.rights), ...checkPackages(def.accessPackages)]
}

/** Stores a checked new system; returns its internal GUID. */
export function addSystem(store: VendorStore, def: SystemDefinition, vendorOrg: string): SystemRecord {
  const { vendorId: _vendorId, ...fields } = def
  const record: SystemRecord = { ...fields, internalId: randomUUID(), vendorOrg, isDeleted: false }
  store.systems.set(def.id.toLowerCase(), record)
  return record
}

/** A system as `GET /systemregister/vendor/{id}` answers it. */
export function systemJson(s: SystemRecord): Record<string, unknown> {
  return {
    id: s.id,
    vendor: { authority: 'iso6523-actorid-upis', ID: `${ORGNR_PREFIX}${s.vendorOrg}` },
    name: s.name,
    description: s.description,
    rights: s.rights,
    accessPackages: s.accessPackages,
    isDeleted: s.isDeleted,
    clientId: s.clientId,
    isVisible: s.isVisible,
    allowedRedirectUrls: s.allowedRedirectUrls,
  }
}

/** `POST /systemregister/vendor`. */
export function registerSystem(call: Call, store: VendorStore, vendor: Vendor, body: unknown): void {
  const def = readDefinition(body)
  const vendorOrg = vendorOrgOf(def.vendorId)
  if (vendorOrg === undefined) return sendValidation(call, [validationError('00', PATH.vendorId)])
  const errors = checkNewSystem(store, def, vendorOrg)
  // The service computes the errors first but refuses a foreign vendor before showing them.
  if (!owns(vendor, vendorOrg)) return sendEmpty(call, 403)
  if (errors.length > 0) return sendValidation(call, errors)
  sendJson(call, 200, addSystem(store, def, vendorOrg).internalId)
}

/** `GET /systemregister/vendor`: the vendor's live systems. */
export function listSystems(call: Call, store: VendorStore, vendor: Vendor): void {
  const mine = [...store.systems.values()].filter((s) => !s.isDeleted && s.vendorOrg === vendor.orgNo)
  sendJson(call, 200, mine.map(systemJson))
}

/** `GET /systemregister/vendor/{systemId}`. */
export function getSystem(call: Call, store: VendorStore, vendor: Vendor, systemId: string): void {
  const s = store.system(systemId)
  if (!s) return sendEmpty(call, 404)
  if (!owns(vendor, s.vendorOrg)) return sendEmpty(call, 403)
  sendJson(call, 200, systemJson(s))
}

const succeeded = (call: Call) => sendJson(call, 200, { succeeded: true })

/** `PUT /systemregister/vendor/{systemId}`: replaces everything, `clientId` included. */
export function replaceSystem(call: Call, store: VendorStore, vendor: Vendor, systemId: string, body: unknown): void {
  const s = store.system(systemId)
  const notFound = () => sendText(call, 404, `System with ID '${systemId.slice(0, 200)}' not found.`)
  if (!s) return notFound()
  if (!owns(vendor, s.vendorOrg)) return sendEmpty(call, 403)
  const def = readDefinition(body)
  if (def.vendorId !== `${ORGNR_PREFIX}${s.vendorOrg}`) return notFound()
  if (def.id !== systemId) return sendValidation(call, [validationError('12', PATH.systemId)])
  if (s.isDeleted) return sendText(call, 400, 'Cannot update a system marked as deleted.')
  const clientErrors: ValidationError[] = []
  const lower = def.clientId.map((c) => c.toLowerCase())
  if (new Set(lower).size !== lower.length) clientErrors.push(validationError('11', PATH.clientId))
  for (const c of def.clientId) if (clientIdTaken(store, c, s)) clientErrors.push(validationError('04', PATH.clientId))
  const errors = [...checkRights(store, def.rights), ...checkPackages(def.accessPackages), ...clientErrors]
  if (errors.length > 0) return sendValidation(call, errors)
  const { vendorId: _vendorId, id: _id, ...fields } = def
  Object.assign(s, fields)
  succeeded(call)
}

/** `PUT /systemregister/vendor/{systemId}/rights` and `/accesspackages`: replaces that list. */
export function replaceSystemList(
  call: Call,
  store: VendorStore,
  vendor: Vendor,
  systemId: string,
  which: 'rights' | 'accesspackages',
  body: unknown,
): void {
  const s = store.system(systemId)
  if (!s) return sendEmpty(call, 404)
  if (!owns(vendor, s.vendorOrg)) return sendEmpty(call, 403)
  if (s.isDeleted) return sendText(call, 400, 'Cannot update a system marked as deleted.')
  if (!Array.isArray(body)) return sendBindingProblem(call, '$')
  if (which === 'rights') {
    const rights = readRights(body) ?? []
    const errors = checkRights(store, rights)
    if (errors.length > 0) return sendValidation(call, errors)
    s.rights = rights
  } else {
    const packages = readPackages(body) ?? []
    const errors = checkPackages(packages)
    if (errors.length > 0) return sendValidation(call, errors)
    s.accessPackages = packages
  }
  succeeded(call)
}

/** `DELETE /systemregister/vendor/{systemId}`: soft delete; the id stays taken, the client ids are freed. */
export function deleteSystem(call: Call, store: VendorStore, vendor: Vendor, systemId: string): void {
  const s = store.system(systemId)
  if (!s) return sendBindingProblem(call, 'return', 'System not found')
  if (!owns(vendor, s.vendorOrg)) return sendEmpty(call, 403)
  s.isDeleted = true
  succeeded(call)
}
