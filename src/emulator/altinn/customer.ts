/**
 * The customer's side of a request: approving or rejecting it, as someone with the right role does at the
 * confirmUrl (docs/vendor-api.md §2). Only a `New` request that has not timed out can be decided (else
 * AUTH-00013). Approving a request makes the system user with the request's id; approving a change request
 * changes the system user's rights and packages.
 */
import { MaskinportenError } from '../../errors/errors.js'
import { AUTH_PROBLEMS } from './problem.js'
import { changePackages, changeRights } from './rights.js'
import { timedOut, type AnyRequest, type VendorStore } from './vendor-state.js'
import type { EmulatorDecision } from '../types.js'

/** A decision the customer cannot make: the AUTH code and status Altinn answers with. */
export class DecisionRefused extends MaskinportenError {
  constructor(readonly altinnCode: '00010' | '00013') {
    const [status, title] = AUTH_PROBLEMS[altinnCode]
    const next =
      altinnCode === '00010'
        ? 'check the id the vendor API answered (deleted requests are gone)'
        : 'only a New request can be approved or rejected; make a new request'
    super('altinn_api_error', `AUTH-${altinnCode}: ${title} ${next}`, { status })
  }
}

function kindOf(r: AnyRequest): EmulatorDecision['kind'] {
  return r.kind === 'change' ? 'changerequest' : r.kind === 'agent' ? 'agentrequest' : 'request'
}

/** The live request of any kind with this id, or throws {@link DecisionRefused} (AUTH-00010). */
export function requestById(store: VendorStore, id: string): AnyRequest {
  const r = typeof id === 'string' ? store.anyRequest(id.trim()) : undefined
  if (!r) throw new DecisionRefused('00010')
  return r
}

/** Approves or rejects a request; throws {@link DecisionRefused} when it is gone or not New. */
export function decide(store: VendorStore, id: string, approve: boolean, now: number): EmulatorDecision {
  const r = requestById(store, id)
  if (r.status !== 'New' || timedOut(r.created, now)) throw new DecisionRefused('00013')
  if (approve && r.kind === 'change') {
    const user = store.systemUsers.get(r.systemUserId)
    // The system user went away meanwhile (deleted by the customer): nothing left to change.
    if (!user || user.isDeleted) throw new DecisionRefused('00013')
    user.rights = changeRights(user.rights, r.requiredRights, r.unwantedRights)
    user.accessPackages = changePackages(user.accessPackages, r.requiredAccessPackages, r.unwantedAccessPackages)
  } else if (approve && r.kind !== 'change') {
    store.systemUsers.set(r.id, {
      id: r.id,
      ...(r.integrationTitle === undefined ? {} : { integrationTitle: r.integrationTitle }),
      systemId: r.systemId,
      reporteeOrgNo: r.partyOrgNo,
      externalRef: r.externalRef,
      userType: r.kind,
      rights: r.rights,
      accessPackages: r.accessPackages,
      created: now,
      isDeleted: false,
    })
  }
  r.status = approve ? 'Accepted' : 'Rejected'
  return { id: r.id, kind: kindOf(r), status: r.status }
}
