/**
 * One call to a vendor route, as its handler sees it: the HTTP call, the store, the authenticated vendor.
 */
import type { Call } from '../call.js'
import type { Vendor } from './vendor-auth.js'
import type { VendorStore } from './vendor-state.js'

/** What a vendor route handler gets. */
export interface VendorCall {
  call: Call
  store: VendorStore
  vendor: Vendor
}

/** The customer org number as the business register checks it: nine digits, mod 11, and known when a list is set. */
export function knownParty(store: VendorStore, orgNo: string | undefined, valid: (orgNo: string) => boolean): boolean {
  if (orgNo === undefined || !/^\d{9}$/.test(orgNo) || !valid(orgNo)) return false
  return store.knownParties === undefined || store.knownParties.has(orgNo)
}

/** A time on the emulator's clock (epoch ms) as the service writes it. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString()
}
