/**
 * System users, `/systemuser/vendor` (docs/vendor-api.md §4): the vendor lists those of its system (pages of 50;
 * the SRW scope) or finds one by customer and externalRef (the RQW scope, although a GET). A vendor cannot delete
 * them: only the customer can.
 */
import { ORGNR_PREFIX } from '../../config/orgnummer.js'
import { sendJson } from '../call.js'
import { sendEmpty } from './problem.js'
import { isoTime, type VendorCall } from './vendor-call.js'
import type { SystemRecord, SystemUserRecord } from './vendor-state.js'

/** A system user as the vendor routes answer it. */
export function systemUserJson(u: SystemUserRecord, system: SystemRecord | undefined): Record<string, unknown> {
  const supplierName = system?.name.nb ?? system?.name.en
  return {
    id: u.id,
    ...(u.integrationTitle === undefined ? {} : { integrationTitle: u.integrationTitle }),
    systemId: u.systemId,
    productName: u.systemId,
    reporteeOrgNo: u.reporteeOrgNo,
    created: isoTime(u.created),
    isDeleted: u.isDeleted,
    ...(supplierName === undefined ? {} : { supplierName }),
    ...(system ? { supplierOrgno: `${ORGNR_PREFIX}${system.vendorOrg}` } : {}),
    externalRef: u.externalRef,
    userType: u.userType,
    accessPackages: u.accessPackages,
  }
}

/** The live system users of a system, oldest first. */
export function systemUsersOf(v: VendorCall, system: SystemRecord): SystemUserRecord[] {
  return [...v.store.systemUsers.values()].filter((u) => !u.isDeleted && u.systemId === system.id)
}

/** `GET /systemuser/vendor/byquery?system-id=&orgno=[&external-ref=]`: 404 empty when none or another vendor's. */
export function systemUserByQuery(v: VendorCall): void {
  const { call, store } = v
  const systemId = call.query.get('system-id')?.trim() ?? ''
  const orgNo = call.query.get('orgno')?.trim() ?? ''
  const externalRef = call.query.get('external-ref')?.trim() || orgNo
  const system = store.system(systemId)
  const user = system && system.vendorOrg === v.vendor.orgNo ? store.systemUserFor(system.id, orgNo, externalRef) : undefined
  if (!user) return sendEmpty(call, 404)
  sendJson(call, 200, systemUserJson(user, system))
}
