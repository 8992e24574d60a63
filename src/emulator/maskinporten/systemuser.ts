/**
 * The `authorization_details` claim of a system user grant (docs/protocol.md §4; Digdir's `maskinporten_func_systembruker`):
 * one entry of type `urn:altinn:systemuser` naming the customer and, when the system user was created with one, its
 * `externalRef`.
 */
import { parseOrgNummer, ORGNR_PREFIX } from '../../config/orgnummer.js'
import type { RegisteredClient } from '../registry.js'
import { REJECT, type Rejection } from './rejections.js'
import { EXTERNAL_REF_PATTERN } from '../unconfirmed.js'

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

/** True for a plain JSON object. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** True when `value` has no member outside `allowed`. */
export function hasOnly(value: Record<string, unknown>, allowed: ReadonlySet<string>): boolean {
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

/** A `urn:altinn:systemuser` entry against the client's system users. */
export function checkSystemUserEntry(
  entry: Record<string, unknown>,
  client: RegisteredClient,
): { ok: true; grant: SystemUserGrant } | { ok: false; rejection: Rejection } {
  const fail = (rejection: Rejection) => ({ ok: false as const, rejection })
  if (!hasOnly(entry, ENTRY_FIELDS)) return fail(REJECT.unknownDetailsFields)
  const org = entry.systemuser_org
  if (!isObject(org)) return fail(REJECT.invalidDetails)
  // Lower-case `id` (a typo in some Altinn docs) lands here as an unknown field.
  if (!hasOnly(org, ORG_FIELDS)) return fail(REJECT.unknownDetailsFields)
  const orgNummer = customerOrg(org)
  if (orgNummer === undefined) return fail(REJECT.invalidDetails)
  const { externalRef } = entry
  // Syntax as Altinn's client code reports it (docs/protocol.md §8): MP-302, the malformed-details code.
  if (externalRef !== undefined && (typeof externalRef !== 'string' || !EXTERNAL_REF_PATTERN.test(externalRef))) {
    return fail(REJECT.invalidDetails)
  }
  // Altinn stores a system user made without externalRef under its org number, and Maskinporten looks a grant
  // without one up by the org number (docs/protocol.md §8): the two forms find each other.
  const wanted = externalRef ?? orgNummer
  const user = client.systemUsers.find((u) => u.orgNummer === orgNummer && (u.externalRef ?? u.orgNummer) === wanted)
  if (!user) return fail(REJECT.noSuchSystemUser)
  // The real tokens' key order: type, systemuser_org, systemuser_id, system_id, externalRef.
  const tokenDetail: Record<string, unknown> = {
    type: entry.type,
    systemuser_org: { authority: AUTHORITY, ID: `${ORGNR_PREFIX}${orgNummer}` },
    systemuser_id: [user.id],
    system_id: user.systemId,
    ...(externalRef === undefined ? {} : { externalRef }),
  }
  return { ok: true, grant: { user, tokenDetail } }
}
