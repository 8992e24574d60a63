/**
 * The shapes of Altinn's vendor API for systems and system users, as this library hands them out
 * (docs/vendor-api.md §1–§4). Field names are Altinn's own (camelCase), so that what the docs show is what you get.
 */

/** A text in the three languages Altinn shows (`nb`, `nn`, `en`). */
export interface LocalizedText {
  nb?: string
  nn?: string
  en?: string
}

/** One right of a system: a resource in Altinn's resource registry. Make it with `resourceRight(id)`. */
export interface Right {
  resource: Array<{ id: string; value: string }>
}

/** An access package (`urn:altinn:accesspackage:...`). */
export interface AccessPackage {
  urn: string
}

/** A system in the system register, as `getSystem` answers it (docs/vendor-api.md §1). */
export interface RegisteredSystem {
  /** `<vendor org number>_<name>`. */
  id: string
  vendor: { authority: string; ID: string }
  name: LocalizedText
  description: LocalizedText
  rights: Right[]
  accessPackages: AccessPackage[]
  /** The Maskinporten client ids that may get system user tokens for this system. */
  clientId: string[]
  allowedRedirectUrls: string[]
  isVisible: boolean
  /** A deleted system's id can never be used again. */
  isDeleted: boolean
}

/**
 * What `ensureSystem` takes: the system's id and name, and any of the other fields. A field left out keeps what
 * the register has (or, for a new system, its default: no rights, no client ids, visible).
 */
export interface SystemDefinition {
  /** `<vendor org number>_<name>` (see `systemIdFor`). The vendor is the org number before the `_`. */
  id: string
  /** The name the customer sees; a string means the same in all three languages. */
  name: string | LocalizedText
  /** Default: the name. */
  description?: string | LocalizedText
  rights?: Right[]
  accessPackages?: AccessPackage[]
  /** Maskinporten client ids of the system (a client id can be on one live system only). */
  clientId?: string[]
  /** Absolute https URLs the customer may be sent back to after answering. */
  allowedRedirectUrls?: string[]
  /** Shown in Altinn's list of systems. Default true. */
  isVisible?: boolean
}

/**
 * Where a system user request (or change request) stands. The service writes only `Accepted` and `Rejected`, and
 * only from `New`; `Denied` and `Timedout` are in its enum; `NoChangeNeeded` answers a change request that asks
 * for nothing.
 */
export type RequestStatus = 'New' | 'Accepted' | 'Rejected' | 'Denied' | 'Timedout' | 'NoChangeNeeded'

/** A system user request (docs/vendor-api.md §2). */
export interface SystemUserRequest {
  /** Also the id of the system user an approval creates. */
  id: string
  systemId: string
  partyOrgNo: string
  /** The reference that tells several system users of one customer apart; the org number when none was given. */
  externalRef: string
  integrationTitle?: string
  rights: Right[]
  accessPackages: AccessPackage[]
  status: RequestStatus
  redirectUrl?: string
  /** Where the customer approves: send them here. */
  confirmUrl: string
  escalated?: boolean
  created?: string
  /** True after 180 days: the request can no longer be answered. */
  timedOut: boolean
}

/** A change request of a system user's rights (docs/vendor-api.md §3). */
export interface ChangeRequest {
  id: string
  systemUserId?: string
  systemId?: string
  partyOrgNo?: string
  externalRef?: string
  requiredRights: Right[]
  unwantedRights: Right[]
  requiredAccessPackages: AccessPackage[]
  unwantedAccessPackages: AccessPackage[]
  status: RequestStatus
  redirectUrl?: string
  /** Where the customer approves; empty for `NoChangeNeeded`. */
  confirmUrl: string
  created?: string
  timedOut?: boolean
}

/** A system user a customer approved (docs/vendor-api.md §4). */
export interface SystemUser {
  id: string
  systemId: string
  /** The customer's org number. */
  reporteeOrgNo: string
  externalRef?: string
  integrationTitle?: string
  productName?: string
  created?: string
  isDeleted?: boolean
  supplierName?: string
  supplierOrgno?: string
  userType?: 'standard' | 'agent'
  accessPackages?: AccessPackage[]
}
