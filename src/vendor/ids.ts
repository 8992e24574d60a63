/**
 * The two small helpers every vendor needs: a system id from the vendor's org number and a name, and a right
 * from a resource id, in the forms Altinn's system register takes (docs/vendor-api.md §1).
 */
import type { Right } from './types.js'
import { checkOrgNo, checkResourceId, checkSystemId, RESOURCE_URN } from './validate.js'

/**
 * The system id Altinn requires: `<vendor org number>_<name>` (VLD-01), with the org number checked (mod 11) and
 * the name without spaces or slashes.
 *
 * @example
 * ```ts
 * systemIdFor('991825827', 'wenche2') // '991825827_wenche2'
 * ```
 */
export function systemIdFor(vendorOrgNo: string, name: string): string {
  const org = checkOrgNo(vendorOrgNo, 'vendorOrgNo')
  return checkSystemId(`${org}_${name}`, 'name').id
}

/**
 * A right on a resource of Altinn's resource registry: `{ resource: [{ id: 'urn:altinn:resource', value }] }`.
 *
 * @example
 * ```ts
 * resourceRight('app_brg_aarsregnskap-vanlig-202406')
 * ```
 */
export function resourceRight(resourceId: string): Right {
  return { resource: [{ id: RESOURCE_URN, value: checkResourceId(resourceId, 'resourceId') }] }
}

/** The resource ids of a list of rights (those of kind `urn:altinn:resource`). */
export function resourceIds(rights: readonly Right[]): string[] {
  return rights.flatMap((r) => r.resource.filter((a) => a.id === RESOURCE_URN).map((a) => a.value))
}
