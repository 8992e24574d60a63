/**
 * What the emulated Altinn holds for vendors: the system register, system user requests (standard and agent),
 * change requests, and the system users their approval made. Soft deletes only, as in Altinn: a deleted system's
 * id stays taken for ever.
 */
import type { AccessPackage, Right } from './rights.js'
import { REQUEST_TIMEOUT_DAYS } from '../unconfirmed.js'

/** What a register POST or PUT sets on a system. */
export interface SystemFields {
  name: Record<string, string>
  description: Record<string, string>
  rights: Right[]
  accessPackages: AccessPackage[]
  clientId: string[]
  allowedRedirectUrls: string[]
  isVisible: boolean
}

/** A system in the register: its fields, and what the register keeps about it. */
export interface SystemRecord extends SystemFields {
  /** The bare GUID the register POST answers. */
  internalId: string
  id: string
  vendorOrg: string
  isDeleted: boolean
}

/** Where a request stands. The service writes only Accepted or Rejected, and only from New. */
export type RequestStatus = 'New' | 'Accepted' | 'Rejected'

/** A system user request, standard or agent. */
export interface RequestRecord {
  kind: 'standard' | 'agent'
  id: string
  systemId: string
  partyOrgNo: string
  /** Never empty: the party's org number when the vendor sent none. */
  externalRef: string
  integrationTitle?: string
  rights: Right[]
  accessPackages: AccessPackage[]
  redirectUrl?: string
  status: RequestStatus
  /** Epoch ms on the emulator's clock. */
  created: number
  deleted: boolean
}

/** A change request; its id is the vendor's correlation id. */
export interface ChangeRequestRecord {
  kind: 'change'
  id: string
  systemUserId: string
  systemId: string
  partyOrgNo: string
  externalRef: string
  requiredRights: Right[]
  unwantedRights: Right[]
  requiredAccessPackages: AccessPackage[]
  unwantedAccessPackages: AccessPackage[]
  redirectUrl?: string
  status: RequestStatus
  created: number
  deleted: boolean
}

/** A system user, made by the customer's approval of a request (its id is the request's). */
export interface SystemUserRecord {
  id: string
  integrationTitle?: string
  systemId: string
  reporteeOrgNo: string
  externalRef: string
  userType: 'standard' | 'agent'
  rights: Right[]
  accessPackages: AccessPackage[]
  created: number
  isDeleted: boolean
}

/** Any request the customer can approve or reject. */
export type AnyRequest = RequestRecord | ChangeRequestRecord

/** Counters of the vendor routes, in `stats().vendor`. */
export interface VendorCounters {
  requests: number
  /** 2xx answers. */
  issued: number
  /** Every other answer, the 401s included. */
  rejected: number
  /** 401 answers (no usable Maskinporten token): an authenticated fetch's refresh-and-retry shows here. */
  unauthorized: number
}

/** The emulated Altinn's vendor-facing data. */
export class VendorStore {
  readonly systems = new Map<string, SystemRecord>()
  readonly requests = new Map<string, RequestRecord>()
  readonly changeRequests = new Map<string, ChangeRequestRecord>()
  readonly systemUsers = new Map<string, SystemUserRecord>()

  /**
   * @param knownResources resource ids the resource registry knows; undefined: any id.
   * @param knownParties org numbers the business register knows; undefined: any valid one.
   */
  constructor(
    readonly knownResources: ReadonlySet<string> | undefined,
    readonly knownParties: ReadonlySet<string> | undefined,
  ) {}

  /** The system with this id, deleted or not; ids are compared as the service does (case-insensitively). */
  system(id: string): SystemRecord | undefined {
    return this.systems.get(id.toLowerCase())
  }

  /** The live system whose clientId list holds this Maskinporten client, if any. */
  systemOfClient(clientId: string): SystemRecord | undefined {
    const lower = clientId.toLowerCase()
    for (const s of this.systems.values()) {
      if (!s.isDeleted && s.clientId.some((c) => c.toLowerCase() === lower)) return s
    }
    return undefined
  }

  /** The live request (standard or agent) of a (system, party, externalRef) triple. */
  requestFor(systemId: string, partyOrgNo: string, externalRef: string): RequestRecord | undefined {
    for (const r of this.requests.values()) {
      if (!r.deleted && same(r.systemId, systemId) && r.partyOrgNo === partyOrgNo && r.externalRef === externalRef) return r
    }
    return undefined
  }

  /** The live system user of a (system, party, externalRef) triple. */
  systemUserFor(systemId: string, orgNo: string, externalRef: string): SystemUserRecord | undefined {
    for (const u of this.systemUsers.values()) {
      if (!u.isDeleted && same(u.systemId, systemId) && u.reporteeOrgNo === orgNo && u.externalRef === externalRef) return u
    }
    return undefined
  }

  /** A request of any kind by id, when not deleted. */
  anyRequest(id: string): AnyRequest | undefined {
    const lower = id.toLowerCase()
    const found = this.requests.get(lower) ?? this.changeRequests.get(lower)
    return found && !found.deleted ? found : undefined
  }

  /**
   * The approved standard system users a Maskinporten client may get tokens for: those of the live system whose
   * clientId list holds it. In the registry's shape; one stored under the org number (Altinn's default externalRef)
   * is listed both with it and without, so that a grant naming it either way finds it.
   */
  tokenSystemUsers(clientId: string): Array<{ orgNummer: string; systemId: string; externalRef?: string; id: string }> {
    const system = this.systemOfClient(clientId)
    if (!system) return []
    const out = []
    for (const u of this.systemUsers.values()) {
      if (u.isDeleted || u.userType !== 'standard' || !same(u.systemId, system.id)) continue
      const entry = { orgNummer: u.reporteeOrgNo, systemId: system.id, id: u.id }
      out.push({ ...entry, externalRef: u.externalRef })
      // Stored under the org number: a grant without externalRef names it as well.
      if (u.externalRef === u.reporteeOrgNo) out.push(entry)
    }
    return out
  }
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}

/** True when a request made at `created` has timed out at `now` (both epoch ms on the emulator's clock). */
export function timedOut(created: number, now: number): boolean {
  return now - created >= REQUEST_TIMEOUT_DAYS * 86_400_000
}
