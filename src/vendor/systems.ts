/**
 * The system register (docs/vendor-api.md §1): read, create, and update a system without losing what the caller
 * did not mention. The register's PUT replaces the whole definition (a `clientId` left out is gone), so an update
 * is always the current definition with the caller's fields laid over it.
 */
import { invalidConfig, MaskinportenError } from '../errors/errors.js'
import { isAltinnError, unexpectedAnswer } from './problem.js'
import { SYSTEM_REGISTER_WRITE } from './scopes.js'
import { readBareGuid, readSucceeded, readSystem } from './shapes.js'
import type { Transport } from './transport.js'
import type { AccessPackage, LocalizedText, RegisteredSystem, Right, SystemDefinition } from './types.js'
import {
  checkAccessPackage,
  checkHttpsUrl,
  checkList,
  checkLocalized,
  checkRight,
  checkSystemId,
  checkText,
} from './validate.js'

/** The fields of a definition the register stores, in the shape its POST and PUT take. */
export interface SystemBody {
  id: string
  vendor: { authority: 'iso6523-actorid-upis'; ID: string }
  name: LocalizedText
  description: LocalizedText
  rights: Right[]
  accessPackages: AccessPackage[]
  clientId: string[]
  allowedRedirectUrls: string[]
  isVisible: boolean
}

/** The fields `ensureSystem` compares and may change. */
export const SYSTEM_FIELDS = ['name', 'description', 'rights', 'accessPackages', 'clientId', 'allowedRedirectUrls', 'isVisible'] as const

/** One field that an update changes. */
export interface SystemChange {
  field: (typeof SYSTEM_FIELDS)[number]
  from: unknown
  to: unknown
}

/** What `ensureSystem` will do, before it does it. */
export interface SystemPlan {
  action: 'create' | 'update' | 'unchanged'
  /** The definition that will be sent (for `unchanged`, the current one). */
  body: SystemBody
  /** The fields that change (for `create`, every field). */
  changes: SystemChange[]
  current?: RegisteredSystem
}

/** A definition checked, with only the fields the caller gave. */
function checkDefinition(def: SystemDefinition): { id: string; vendorOrgNo: string; given: Partial<SystemBody> } {
  if (def === null || typeof def !== 'object') throw invalidConfig('definition', 'must be an object')
  const { id, vendorOrgNo } = checkSystemId(def.id, 'definition.id')
  const given: Partial<SystemBody> = { name: checkLocalized(def.name, 'definition.name') }
  if (def.description !== undefined) given.description = checkLocalized(def.description, 'definition.description')
  if (def.rights !== undefined) given.rights = checkList(def.rights, 'definition.rights', checkRight)
  if (def.accessPackages !== undefined) given.accessPackages = checkList(def.accessPackages, 'definition.accessPackages', checkAccessPackage)
  if (def.clientId !== undefined) given.clientId = checkList(def.clientId, 'definition.clientId', (v, f) => checkText(v, f))
  if (def.allowedRedirectUrls !== undefined) given.allowedRedirectUrls = checkList(def.allowedRedirectUrls, 'definition.allowedRedirectUrls', checkHttpsUrl)
  if (def.isVisible !== undefined) {
    if (typeof def.isVisible !== 'boolean') throw invalidConfig('definition.isVisible', 'must be true or false')
    given.isVisible = def.isVisible
  }
  return { id, vendorOrgNo, given }
}

/** The whole body a new system gets: the caller's fields, defaults for the rest. */
function newBody(id: string, vendorOrgNo: string, given: Partial<SystemBody>): SystemBody {
  return {
    id,
    vendor: { authority: 'iso6523-actorid-upis', ID: `0192:${vendorOrgNo}` },
    name: given.name!,
    description: given.description ?? given.name!,
    rights: given.rights ?? [],
    accessPackages: given.accessPackages ?? [],
    clientId: given.clientId ?? [],
    allowedRedirectUrls: given.allowedRedirectUrls ?? [],
    isVisible: given.isVisible ?? true,
  }
}

function bodyOf(system: RegisteredSystem): SystemBody {
  const { id, vendor, name, description, rights, accessPackages, clientId, allowedRedirectUrls, isVisible } = system
  return { id, vendor: { authority: 'iso6523-actorid-upis', ID: vendor.ID }, name, description, rights, accessPackages, clientId, allowedRedirectUrls, isVisible }
}

/** Order-free comparison for lists (the register keeps sets), key-order-free for objects. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).sort().join(',')}]`
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${k}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

/** Works out what `ensureSystem` would do, reading the register but changing nothing. */
export async function planSystem(t: Transport, def: SystemDefinition): Promise<SystemPlan> {
  const { id, vendorOrgNo, given } = checkDefinition(def)
  const current = await getSystem(t, id)
  if (current === undefined) {
    const body = newBody(id, vendorOrgNo, given)
    return { action: 'create', body, changes: SYSTEM_FIELDS.map((field) => ({ field, from: undefined, to: body[field] })) }
  }
  if (current.isDeleted) throw burnt(id)
  const base = bodyOf(current)
  const body: SystemBody = { ...base, ...given }
  const changes = SYSTEM_FIELDS.filter((f) => canonical(base[f]) !== canonical(body[f])).map((field) => ({ field, from: base[field], to: body[field] }))
  return { action: changes.length === 0 ? 'unchanged' : 'update', body, changes, current }
}

function burnt(id: string): MaskinportenError {
  return invalidConfig('definition.id', `${JSON.stringify(id)} names a deleted system; a deleted system's id can never be used again: register the system under another name`)
}

/** What `ensureSystem` answers. */
export interface EnsureSystemResult {
  action: 'created' | 'updated' | 'unchanged'
  system: RegisteredSystem
  changes: SystemChange[]
}

/** GET, compare, then POST or a PUT of the merged definition; GET again to answer with what the register holds. */
export async function ensureSystem(t: Transport, def: SystemDefinition): Promise<EnsureSystemResult> {
  const plan = await planSystem(t, def)
  if (plan.action === 'unchanged') return { action: 'unchanged', system: plan.current!, changes: [] }
  if (plan.action === 'create') {
    try {
      await createSystem(t, plan.body)
    } catch (err) {
      // Another process created it between our GET and POST (or it was deleted): judge it again, once.
      if (!isAltinnError(err, 400) || !err.validationErrors?.some((v) => v.code === 'AUTH.VLD-00002')) throw err
      const again = await planSystem(t, def)
      if (again.action === 'create') throw err
      if (again.action === 'unchanged') return { action: 'unchanged', system: again.current!, changes: [] }
      await replaceSystem(t, again.body)
      return { action: 'updated', system: await mustGet(t, again.body.id), changes: again.changes }
    }
    return { action: 'created', system: await mustGet(t, plan.body.id), changes: plan.changes }
  }
  await replaceSystem(t, plan.body)
  return { action: 'updated', system: await mustGet(t, plan.body.id), changes: plan.changes }
}

async function mustGet(t: Transport, id: string): Promise<RegisteredSystem> {
  const system = await getSystem(t, id)
  if (system === undefined) throw new MaskinportenError('altinn_api_error', `The system ${JSON.stringify(id)} was written, but Altinn does not find it`, { status: 404 })
  return system
}

/** `POST /systemregister/vendor`: answers a bare JSON string, an internal GUID (docs/vendor-api.md §1). */
export async function createSystem(t: Transport, body: SystemBody): Promise<string> {
  const answer = await t.call({ method: 'POST', path: '/systemregister/vendor', scope: SYSTEM_REGISTER_WRITE, body, expect: [200, 201], retry: false })
  const guid = readBareGuid(answer.json)
  if (guid === undefined) throw unexpectedAnswer(answer.label, answer.status, 'a JSON string holding a GUID', answer.text)
  return guid
}

/** `GET /systemregister/vendor/{id}`; `undefined` on 404. */
export async function getSystem(t: Transport, id: string): Promise<RegisteredSystem | undefined> {
  const systemId = checkSystemId(id).id
  const answer = await t.call({ method: 'GET', path: `/systemregister/vendor/${encodeURIComponent(systemId)}`, scope: SYSTEM_REGISTER_WRITE, expect: [200, 404], retry: true })
  if (answer.status === 404) return undefined
  const system = readSystem(answer.json)
  if (system === undefined) throw unexpectedAnswer(answer.label, answer.status, 'a system', answer.text)
  return system
}

/** `GET /systemregister/vendor`: the vendor's systems (a list; a page is also read). */
export async function listSystems(t: Transport): Promise<RegisteredSystem[]> {
  const answer = await t.call({ method: 'GET', path: '/systemregister/vendor', scope: SYSTEM_REGISTER_WRITE, expect: [200], retry: true })
  const items: unknown = Array.isArray(answer.json) ? answer.json : (answer.json as { data?: unknown } | undefined)?.data
  if (!Array.isArray(items)) throw unexpectedAnswer(answer.label, answer.status, 'a list of systems', answer.text)
  return items.map((item) => {
    const system = readSystem(item)
    if (system === undefined) throw unexpectedAnswer(answer.label, answer.status, 'a list of systems', answer.text)
    return system
  })
}

/** `PUT /systemregister/vendor/{id}` with the whole definition: what is not in `body` is gone afterwards. */
export async function replaceSystem(t: Transport, body: SystemBody): Promise<void> {
  await put(t, `/systemregister/vendor/${encodeURIComponent(body.id)}`, body)
}

/** Checks a definition for {@link replaceSystem}: every field given is taken, every other gets its default. */
export function fullBody(def: SystemDefinition): SystemBody {
  const { id, vendorOrgNo, given } = checkDefinition(def)
  return newBody(id, vendorOrgNo, given)
}

/** `PUT /systemregister/vendor/{id}/rights`. */
export async function setSystemRights(t: Transport, id: string, rights: Right[]): Promise<void> {
  const list = checkList(rights, 'rights', checkRight)
  await put(t, `/systemregister/vendor/${encodeURIComponent(checkSystemId(id).id)}/rights`, list)
}

/** `PUT /systemregister/vendor/{id}/accesspackages`. */
export async function setSystemAccessPackages(t: Transport, id: string, accessPackages: AccessPackage[]): Promise<void> {
  const list = checkList(accessPackages, 'accessPackages', checkAccessPackage)
  await put(t, `/systemregister/vendor/${encodeURIComponent(checkSystemId(id).id)}/accesspackages`, list)
}

async function put(t: Transport, path: string, body: unknown): Promise<void> {
  // A PUT sets a state: sending it again sets the same one, so it is retried like a GET.
  const answer = await t.call({ method: 'PUT', path, scope: SYSTEM_REGISTER_WRITE, body, expect: [200], retry: true })
  if (readSucceeded(answer.json) === undefined) throw unexpectedAnswer(answer.label, answer.status, '{"succeeded":true}', answer.text)
}

/** `DELETE /systemregister/vendor/{id}`: a soft delete; the id can never be used again. */
export async function deleteSystem(t: Transport, id: string, options: { confirmBurnId?: boolean }): Promise<void> {
  const systemId = checkSystemId(id).id
  if (options?.confirmBurnId !== true) {
    throw invalidConfig('confirmBurnId', `must be true to delete ${JSON.stringify(systemId)}: a deleted system's id can never be registered again`)
  }
  const answer = await t.call({ method: 'DELETE', path: `/systemregister/vendor/${encodeURIComponent(systemId)}`, scope: SYSTEM_REGISTER_WRITE, expect: [200], retry: false })
  if (readSucceeded(answer.json) === undefined) throw unexpectedAnswer(answer.label, answer.status, '{"succeeded":true}', answer.text)
}
