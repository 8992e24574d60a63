/**
 * `connect`: what a vendor's onboarding screen needs in one call. An existing system user; else the request
 * (made now, or the one already waiting), with its confirmUrl; else, for a rejected request, that answer, and
 * only on `retryRejected` a new request (a rejected one is returned as it is by a new POST: it must be deleted
 * first, docs/vendor-api.md §2).
 */
import { invalidConfig } from '../errors/errors.js'
import { deleteRequest, isSystemUserExists, requestSystemUser, type SystemUserRequestInput } from './requests.js'
import { findSystemUser } from './system-users.js'
import type { Transport } from './transport.js'
import type { Right, SystemUser, SystemUserRequest } from './types.js'
import { checkOptions } from './validate.js'

/** What `connect` takes. */
export interface ConnectInput {
  partyOrgNo: string
  rights: Right[]
  externalRef?: string
  redirectUrl?: string
  integrationTitle?: string
  /** A rejected request is deleted and asked again. Default false: a rejection is the customer's answer. */
  retryRejected?: boolean
}

/** Where the customer stands. */
export type ConnectResult =
  | { state: 'active'; systemUser: SystemUser }
  | { state: 'pending'; request: SystemUserRequest }
  | { state: 'rejected'; request: SystemUserRequest }

/** See the file comment. */
export async function connect(t: Transport, systemId: string, input: ConnectInput): Promise<ConnectResult> {
  const given = checkOptions(input, 'input')
  if (!Array.isArray(given.rights) || given.rights.length === 0) throw invalidConfig('rights', 'must list at least one right (resourceRight(id))')
  const query = { orgNo: given.partyOrgNo!, ...(given.externalRef === undefined ? {} : { externalRef: given.externalRef }) }
  const existing = await findSystemUser(t, systemId, query)
  if (existing) return { state: 'active', systemUser: existing }
  const ask: SystemUserRequestInput = { partyOrgNo: given.partyOrgNo!, rights: given.rights }
  for (const key of ['externalRef', 'redirectUrl', 'integrationTitle'] as const) if (given[key] !== undefined) ask[key] = given[key]
  const made = await askOrFind(t, systemId, ask, query)
  if ('systemUser' in made) return made
  let request = made.request
  if (request.status === 'Accepted') {
    // Approved between our look-up and the POST: the system user has the request's id.
    const user = await findSystemUser(t, systemId, query)
    return user ? { state: 'active', systemUser: user } : { state: 'pending', request }
  }
  if (request.status === 'New' && !request.timedOut) return { state: 'pending', request }
  if (!given.retryRejected) return { state: 'rejected', request }
  await deleteRequest(t, request.id)
  const again = await askOrFind(t, systemId, ask, query)
  if ('systemUser' in again) return again
  request = again.request
  return request.status === 'New' ? { state: 'pending', request } : { state: 'rejected', request }
}

async function askOrFind(
  t: Transport,
  systemId: string,
  ask: SystemUserRequestInput,
  query: { orgNo: string; externalRef?: string },
): Promise<{ request: SystemUserRequest } | { state: 'active'; systemUser: SystemUser }> {
  try {
    return { request: (await requestSystemUser(t, systemId, ask)).request }
  } catch (err) {
    // AUTH-00004: a system user appeared since the look-up (another process, a fast customer).
    if (!isSystemUserExists(err)) throw err
    const user = await findSystemUser(t, systemId, query)
    if (!user) throw err
    return { state: 'active', systemUser: user }
  }
}
