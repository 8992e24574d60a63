/**
 * The `authorization_details` claim of a system user grant (PROTOCOL.md §4; Digdir's `maskinporten_func_systembruker`):
 * one entry of type `urn:altinn:systemuser` naming the customer and, when the system user was created with one, its
 * `externalRef`.
 */
import { parseOrgNummer, ORGNR_PREFIX } from '../../config/orgnummer.js'
import type { RegisteredClient } from '../registry.js'
import { REJECT, type Rejection } from './rejections.js'
import { EMULATED_AUTHORIZATION_DETAILS_TYPES } from '../unconfirmed.js'

const ENTRY_FIELDS: ReadonlySet<string> = new Set(['type', 'systemuser_org', 'externalRef'])
const ORG_FIELDS: ReadonlySet<string> = new Set(['authority', 'ID'])
const AUTHORITY = 'iso6523-actorid-upis'

type SystemUser = RegisteredClient['systemUsers'][number]

/** The system user a grant names, and what its token repeats. */
export interface SystemUserGrant {
  user: SystemUser
  /** The token's `authorization_details` entry: the request's, with `systemuser_id` (an array) and `system_id`. */
  tokenDetail: Record<string, unknown>
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function hasOnly(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
  return Object.keys(value).every((k) => allowed.has(k))
}

/** The customer org of `systemuser_org`, or undefined when it is not `{authority, ID: "0192:<valid orgnr>"}`. */
function customerOrg(org: Record<string, unknown>): string | undefined {
  if (org.authority !== AUTHORITY || typeof org.ID !== 'string' || !org.ID.startsWith(ORGNR_PREFIX)) return undefined
  const digits = org.ID.slice(ORGNR_PREFIX.length)
  // The strict form: exactly nine digits after the prefix, no spaces (parseOrgNummer alone would tolerate them).
  if (!/^\d{9}$/.test(digits)) return undefined
  const parsed = parseOrgNummer(digits)
  return parsed.ok ? parsed.orgNummer : undefined
}

/** Checks `authorization_details` against the client's system users. */
export function checkAuthorizationDetails(
  value: unknown,
  client: RegisteredClient,
): { ok: true; grant: SystemUserGrant } | { ok: false; rejection: Rejection } {
  const fail = (rejection: Rejection) => ({ ok: false as const, rejection })
  // One customer per grant (Digdir): an array of exactly one entry.
  if (!Array.isArray(value) || value.length !== 1 || !isObject(value[0])) return fail(REJECT.invalidDetails)
  const entry = value[0]
  if (typeof entry.type !== 'string' || !EMULATED_AUTHORIZATION_DETAILS_TYPES.has(entry.type)) {
    return fail(REJECT.unknownDetailsType)
  }
  if (!hasOnly(entry, ENTRY_FIELDS)) return fail(REJECT.unknownDetailsFields)
  const org = entry.systemuser_org
  if (!isObject(org)) return fail(REJECT.invalidDetails)
  // Lower-case `id` (a typo in some Altinn docs) lands here as an unknown field.
  if (!hasOnly(org, ORG_FIELDS)) return fail(REJECT.unknownDetailsFields)
  const orgNummer = customerOrg(org)
  if (orgNummer === undefined) return fail(REJECT.invalidDetails)
  const { externalRef } = entry
  if (externalRef !== undefined && (typeof externalRef !== 'string' || externalRef === '')) {
    return fail(REJECT.invalidDetails)
  }
  // A system user created with an externalRef is found only with it, and one without only without (Altinn).
  const user = client.systemUsers.find((u) => u.orgNummer === orgNummer && u.externalRef === externalRef)
  if (!user) return fail(REJECT.noSuchSystemUser)
  const tokenDetail: Record<string, unknown> = {
    type: entry.type,
    systemuser_org: { authority: AUTHORITY, ID: `${ORGNR_PREFIX}${orgNummer}` },
    ...(externalRef === undefined ? {} : { externalRef }),
    systemuser_id: [user.id],
    system_id: user.systemId,
  }
  return { ok: true, grant: { user, tokenDetail } }
}
