/**
 * A grant's `authorization_details` (docs/protocol.md §4, docs/consent.md): exactly one entry, either a system user
 * of the client (systemuser.ts) or a consent given to the organisation the token is for (consent.ts).
 */
import { checkConsentEntry, CONSENT_TYPE, type ConsentContext, type ConsentGrant } from './consent.js'
import { REJECT, type Rejection } from './rejections.js'
import { checkSystemUserEntry, isObject, type SystemUserGrant } from './systemuser.js'
import type { RegisteredClient } from '../registry.js'
import { EMULATED_AUTHORIZATION_DETAILS_TYPES } from '../unconfirmed.js'

/** What a grant's `authorization_details` names: a system user or a consent. */
export type DetailsGrant = { systemUser: SystemUserGrant } | { consent: ConsentGrant }

/** Checks `authorization_details`; the first broken rule is reported. */
export function checkAuthorizationDetails(
  value: unknown,
  client: RegisteredClient,
  ctx: ConsentContext,
): { ok: true; grant: DetailsGrant } | { ok: false; rejection: Rejection } {
  const fail = (rejection: Rejection) => ({ ok: false as const, rejection })
  // One customer (or one consent) per grant (Digdir): an array of exactly one entry.
  if (!Array.isArray(value) || value.length !== 1 || !isObject(value[0])) return fail(REJECT.invalidDetails)
  const entry = value[0]
  if (typeof entry.type !== 'string' || !EMULATED_AUTHORIZATION_DETAILS_TYPES.has(entry.type)) {
    return fail(REJECT.unknownDetailsType)
  }
  if (entry.type === CONSENT_TYPE) {
    const consent = checkConsentEntry(entry, ctx)
    return consent.ok ? { ok: true, grant: { consent: consent.grant } } : consent
  }
  const user = checkSystemUserEntry(entry, client)
  return user.ok ? { ok: true, grant: { systemUser: user.grant } } : user
}
