/**
 * Who calls the vendor API: the raw Maskinporten token of this emulator (not an Altinn token), verified with the
 * emulator's Maskinporten key and its lifetime checked; the vendor is its `consumer`; each route needs one scope
 * (docs/vendor-api.md §0).
 */
import type { Call } from '../call.js'
import { checkMaskinportenToken } from './exchange.js'
import { sendEmpty } from './problem.js'
import type { VendorCounters } from './vendor-state.js'

/** The scopes of the vendor routes. */
export const SCOPE = {
  /** SRW: the system register, and system users by system. */
  systemRegisterWrite: 'altinn:authentication/systemregister.write',
  /** Also passes SRW, and skips the "you own this system" checks. */
  systemRegisterAdmin: 'altinn:authentication/systemregister.admin',
  /** RQW: creating and deleting requests, system users by query. */
  requestWrite: 'altinn:authentication/systemuser.request.write',
  /** RQR: reading requests. */
  requestRead: 'altinn:authentication/systemuser.request.read',
} as const

/** Which scope a route needs. */
export type RouteScope = 'SRW' | 'RQW' | 'RQR'

/** The caller of a vendor route. */
export interface Vendor {
  /** The vendor's organisation number, from `consumer`. */
  orgNo: string
  /** True with the admin scope: the vendor checks on systems are skipped. */
  admin: boolean
}

function bearer(call: Call): string | undefined {
  return /^Bearer +([^ ]+) *$/i.exec(call.req.headers.authorization ?? '')?.[1]
}

/**
 * The vendor, or `undefined` after answering: 401 (empty, `WWW-Authenticate: Bearer`) when there is no valid
 * Maskinporten token of this emulator, 403 (empty) when the token lacks the route's scope.
 */
export function authenticateVendor(call: Call, scope: RouteScope, counters: VendorCounters): Vendor | undefined {
  const { state } = call
  const token = bearer(call)
  const checked =
    token === undefined
      ? undefined
      : checkMaskinportenToken(token, { key: state.maskinportenKey, issuer: state.issuer, now: state.now() / 1000 })
  if (!checked) {
    counters.unauthorized++
    call.req.resume()
    sendEmpty(call, 401, { 'WWW-Authenticate': 'Bearer' })
    return undefined
  }
  const scopes = new Set(typeof checked.claims.scope === 'string' ? checked.claims.scope.split(' ') : [])
  const admin = scopes.has(SCOPE.systemRegisterAdmin)
  const allowed =
    scope === 'SRW'
      ? admin || scopes.has(SCOPE.systemRegisterWrite)
      : scopes.has(scope === 'RQW' ? SCOPE.requestWrite : SCOPE.requestRead)
  if (!allowed) {
    call.req.resume()
    sendEmpty(call, 403)
    return undefined
  }
  return { orgNo: checked.orgNummer, admin }
}

/** True when the vendor may act on a system of `systemVendorOrg`. */
export function owns(vendor: Vendor, systemVendorOrg: string): boolean {
  return vendor.admin || vendor.orgNo === systemVendorOrg
}
