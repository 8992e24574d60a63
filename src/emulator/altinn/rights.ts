/**
 * Rights (`{resource: [{id, value}]}`) and access packages (`{urn}`) as the system register and requests carry
 * them: read loosely, compared by content, written camelCase (docs/vendor-api.md §1–§3).
 */
import { asObject, BindingError, member, optArray, type Loose } from './vendor-body.js'

/** One attribute of a right's resource: `{ id: "urn:altinn:resource", value: "<resource id>" }`. */
export interface AttributePair {
  id: string
  value: string
}

/** A single right: the resource it is on. */
export interface Right {
  resource: AttributePair[]
}

/** An access package, by its URN. */
export interface AccessPackage {
  urn: string
}

/** The attribute id of a resource registry resource. */
export const RESOURCE_ATTRIBUTE = 'urn:altinn:resource'

function pair(value: unknown, field: string): AttributePair {
  const o = asObject(value, field)
  const id = member(o, 'id')
  const v = member(o, 'value')
  if ((id !== undefined && typeof id !== 'string') || (v !== undefined && typeof v !== 'string')) throw new BindingError(field)
  return { id: (id as string | undefined) ?? '', value: (v as string | undefined) ?? '' }
}

/** A list of rights from `obj[key]` (or `value` itself when `key` is undefined); absent reads as undefined. */
export function readRights(source: Loose | unknown[], key?: string): Right[] | undefined {
  const list = key === undefined ? (source as unknown[]) : optArray(source as Loose, key)
  if (list === undefined) return undefined
  if (!Array.isArray(list)) throw new BindingError(key ?? '$')
  return list.map((r, i) => {
    const field = `${key ?? '$'}[${i}]`
    const resource = optArray(asObject(r, field), 'resource', `${field}.resource`) ?? []
    return { resource: resource.map((p, j) => pair(p, `${field}.resource[${j}]`)) }
  })
}

/** A list of access packages from `obj[key]` (or `value` itself when `key` is undefined). */
export function readPackages(source: Loose | unknown[], key?: string): AccessPackage[] | undefined {
  const list = key === undefined ? (source as unknown[]) : optArray(source as Loose, key)
  if (list === undefined) return undefined
  if (!Array.isArray(list)) throw new BindingError(key ?? '$')
  return list.map((p, i) => {
    const urn = member(asObject(p, `${key ?? '$'}[${i}]`), 'urn')
    if (urn !== undefined && typeof urn !== 'string') throw new BindingError(`${key ?? '$'}[${i}].urn`)
    return { urn: (urn as string | undefined) ?? '' }
  })
}

/** A right's identity: its attribute pairs, order ignored. */
export function rightKey(right: Right): string {
  return JSON.stringify(right.resource.map((p) => [p.id, p.value]).sort())
}

/** True when `list` names some right twice. */
export function hasDuplicateRights(list: Right[]): boolean {
  return new Set(list.map(rightKey)).size !== list.length
}

/** True when `list` names some package twice. */
export function hasDuplicatePackages(list: AccessPackage[]): boolean {
  return new Set(list.map((p) => p.urn)).size !== list.length
}

/** True when every right of `wanted` is one of `offered` (the same attribute pairs). */
export function rightsWithin(wanted: Right[], offered: Right[]): boolean {
  const keys = new Set(offered.map(rightKey))
  return wanted.every((r) => keys.has(rightKey(r)))
}

/** True when every package of `wanted` is one of `offered`. */
export function packagesWithin(wanted: AccessPackage[], offered: AccessPackage[]): boolean {
  const urns = new Set(offered.map((p) => p.urn))
  return wanted.every((p) => urns.has(p.urn))
}

/** `base` with `add` added and `remove` removed, each right once. */
export function changeRights(base: Right[], add: Right[], remove: Right[]): Right[] {
  const removed = new Set(remove.map(rightKey))
  const out = new Map<string, Right>()
  for (const r of [...base, ...add]) if (!removed.has(rightKey(r))) out.set(rightKey(r), r)
  return [...out.values()]
}

/** `base` with `add` added and `remove` removed, each package once. */
export function changePackages(base: AccessPackage[], add: AccessPackage[], remove: AccessPackage[]): AccessPackage[] {
  const removed = new Set(remove.map((p) => p.urn))
  const out = new Map<string, AccessPackage>()
  for (const p of [...base, ...add]) if (!removed.has(p.urn)) out.set(p.urn, p)
  return [...out.values()]
}

/** The resource ids a list of rights names (for the approval page). */
export function resourceIds(list: Right[]): string[] {
  return list.flatMap((r) => r.resource.filter((p) => p.id === RESOURCE_ATTRIBUTE).map((p) => p.value))
}
