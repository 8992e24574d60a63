/**
 * The emulator's public shapes: options, clients, faults, stats, and the running emulator. The contract in docs/architecture.md
 * fixes these names; add to them, never rename.
 */

/** A system user (systembruker) that a customer has created for the client's system. */
export interface EmulatorSystemUser {
  /** The customer's organisation number (nine digits, mod 11). */
  orgNummer: string
  /** `system_id` in tokens, `<vendor orgnr>_<system name>`. Default: `<client orgNummer>_emulator`. */
  systemId?: string
  /** When set, a grant must carry exactly this `externalRef` to use the system user (Altinn's rule). */
  externalRef?: string
  /** The system user's id, `systemuser_id[0]` in tokens. Default: a random UUID chosen at registration. */
  id?: string
}

/** A customer's delegation of scopes to the client's organisation (the supplier flow, `consumer_org`). */
export interface EmulatorDelegation {
  /** The customer (the delegating organisation), nine digits. */
  consumerOrg: string
  /** The scopes the customer delegated. */
  scopes: string[]
}

/** A registered public key: an RSA JWK as Digdir's portal takes it (the output of `publicJwk()` fits). */
export interface EmulatorJwk {
  kty: string
  kid: string
  n?: string
  e?: string
  use?: string
  /** Ignored: keys are chosen by kid alone. */
  alg?: string
  /** When the key expires, epoch seconds; afterwards grants signed with it get MP-121. */
  exp?: number
}

/** A Maskinporten client as Digdir's self-service portal holds it. */
export interface EmulatorClient {
  /** The client id: the grant's `iss`. */
  clientId: string
  /** The client owner's organisation number: `consumer` in its tokens. */
  orgNummer: string
  /**
   * The client's registered public keys. Each needs a `kid` (unique across all clients, as in Maskinporten). An
   * `exp` member (epoch seconds) marks when the key expires (Maskinporten keys live one year); an `alg` member is
   * ignored.
   */
  jwks?: { keys: EmulatorJwk[] }
  /**
   * True when the client takes business certificate grants (`x5c`, virksomhetssertifikat): a chain up to one of the
   * emulator's `certificateAuthorities` whose leaf names this client's `orgNummer`. `jwks` is then optional.
   */
  certificate?: boolean
  /** The scopes registered on the client. */
  scopes: string[]
  /** System users created for this client's system. */
  systemUsers?: EmulatorSystemUser[]
  /** Delegations from customers to the client's organisation. */
  delegations?: EmulatorDelegation[]
  /** Lifetime of the client's access tokens, in seconds. Default 120 (`expires_in` is one less). */
  tokenLifetimeSeconds?: number
  /**
   * The scopes the API owners have granted the client's organisation. A scope registered on the client but not
   * here is refused with MP-250 ("Consumer has not been granted access to the scope …"). Default: all of `scopes`.
   */
  grantedScopes?: string[]
}

/** A consent right: what the consent allows, on which resources (Altinn's shape). */
export interface EmulatorConsentRight {
  /** Actions, `["consent"]` in Altinn's examples. */
  action: string[]
  /** The resources, `{type: "urn:altinn:resource", value: "<resource id>"}`. */
  resource: Array<{ type: string; value: string }>
  /** The consent's metadata (Altinn's consent requests spell it `metaData`; both are taken). */
  metadata?: Record<string, string>
}

/** A consent (samtykke) that a person or organisation gave in Altinn, as its token entry will show it. */
export interface EmulatorConsent {
  /** The consent request's id, a UUID. */
  id: string
  /** Who consented: an 11-digit fødselsnummer, a 9-digit org number, or either as Altinn's party URN. */
  from: string
  /** The organisation given the consent (nine digits). Default: whichever client's organisation asks. */
  to?: string
  /** When it was given, ISO 8601. Default: when registered. */
  consented?: string
  /** When it ends, ISO 8601; afterwards grants naming it are refused. */
  validTo: string
  /** What it allows. */
  consentRights: EmulatorConsentRight[]
}

/**
 * Which endpoint a fault hits: Maskinporten's `POST /token`, Altinn's `GET .../exchange/{provider}`, or any of
 * Altinn's vendor routes (system register, system user requests, change requests, system users).
 */
export type FaultEndpoint = 'token' | 'exchange' | 'vendor'

/**
 * A fault for the next `times` requests to one endpoint.
 *
 * - `status`: answers `status` with an OAuth-style JSON body, and `Retry-After` when `retryAfterSeconds` is set.
 * - `hang`: never answers (the socket is ended by `close()`).
 * - `reset`: destroys the socket before answering.
 * - `garbage`: answers 200 with a body that is not JSON.
 * - `delay`: answers normally after `delayMs`.
 */
export interface EmulatorFault {
  endpoint: FaultEndpoint
  kind: 'status' | 'hang' | 'reset' | 'garbage' | 'delay'
  /** HTTP status for `kind: 'status'`. Default 503. */
  status?: number
  /** Seconds sent in `Retry-After` with `kind: 'status'`. Default: no header. */
  retryAfterSeconds?: number
  /** Milliseconds to wait for `kind: 'delay'`. Default 1000. */
  delayMs?: number
  /** How many requests the fault serves before it is gone. Default 1. */
  times?: number
}

/** Counts for one endpoint. A faulted request counts in `requests` only. */
export interface EndpointStats {
  requests: number
  issued: number
  rejected: number
}

/** Counts for the vendor routes: `issued` is every 2xx answer, `rejected` every other one. */
export interface VendorStats extends EndpointStats {
  /** 401 answers (no valid Maskinporten token of this emulator); also counted in `rejected`. */
  unauthorized: number
}

/** What `stats()` and `GET /__emulator/stats` return. */
export interface EmulatorStats {
  token: EndpointStats
  exchange: EndpointStats
  /** Altinn's vendor routes (`/authentication/api/v1/systemregister/vendor`, `/systemuser/...`). */
  vendor: VendorStats
}

/**
 * A system in the system register, in the shape of the register POST body (docs/vendor-api.md §1), e.g.
 * `{ id: '991825827_wenche', vendor: { authority: 'iso6523-actorid-upis', ID: '0192:991825827' }, name: { nb: 'Wenche' },
 * rights: [{ resource: [{ id: 'urn:altinn:resource', value: 'app_x' }] }], clientId: ['<maskinporten client id>'] }`.
 */
export interface EmulatorSystem {
  /** `<vendor orgnr>_<name>`, no spaces. */
  id: string
  vendor: { authority: string; ID: string }
  name?: Record<string, string>
  description?: Record<string, string>
  rights?: Array<{ resource: Array<{ id: string; value: string }> }>
  accessPackages?: Array<{ urn: string }>
  /** The Maskinporten clients that get system user tokens for this system's system users. */
  clientId?: string[]
  /** Absolute https URLs a request's `redirectUrl` may be. */
  allowedRedirectUrls?: string[]
  /** Default true. */
  isVisible?: boolean
}

/** What the customer did with a request: its id and the status it now has. */
export interface EmulatorDecision {
  id: string
  kind: 'request' | 'agentrequest' | 'changerequest'
  status: 'Accepted' | 'Rejected'
}

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** TCP port. Default 0 (a free port chosen by the system). */
  port?: number
  /** Interface to bind. Default `127.0.0.1`; anything not loopback prints a warning on stderr. */
  host?: string
  /** Clients registered at start. */
  clients?: EmulatorClient[]
  /**
   * Trust anchors for business certificate grants: CA certificates as PEM (a Buypass or Commfides root in a real
   * setup, a test CA in tests). An `x5c` chain must end at one of them or at a certificate one of them issued.
   * Default none: every certificate grant is then refused as untrusted (MP-120).
   */
  certificateAuthorities?: string[]
  /**
   * How far the emulator's clock runs from this machine's, in seconds (may be negative or fractional). Its time
   * checks, its tokens' `iat`/`exp` and its `Date` header follow it. Default 0.
   */
  clockOffsetSeconds?: number
  /**
   * The issuer (the grants' `aud`, the tokens' `iss`), taken exactly as given. Default `url + '/'`. Set it when
   * clients reach the emulator under another name: a Docker service name, a proxy. When it has a path
   * (`http://emulator:8080/sky`), the server answers Maskinporten's endpoints under that path too (`/sky/token`,
   * `/sky/jwk`, `/sky/.well-known/oauth-authorization-server`) as well as at its root.
   */
  issuer?: string
  /** The Altinn platform URL in Altinn tokens and Altinn's OpenID configuration. Default: `url`. */
  altinnUrl?: string
  /** Consents given at start (see {@link Emulator.registerConsent}). */
  consents?: EmulatorConsent[]
  /**
   * Service owners' org codes by org number: the `urn:altinn:org` of Altinn tokens exchanged from
   * `altinn:serviceowner` scopes (Digdir's `digdir` becomes `ttd` with `?test=true`). Default
   * `{ "991825827": "digdir" }`.
   */
  serviceOwners?: Record<string, string>
  /**
   * Most grants remembered against replay (default 100000). When that many live grants are remembered, a new one
   * is answered 503 with `Retry-After` rather than forgetting a live one.
   */
  maxRememberedGrants?: number
  /** Longest time a request may take to arrive whole, milliseconds. Default 10000. */
  requestTimeoutMs?: number
  /** Systems in the system register at start, each as the register POST would take it. */
  systems?: EmulatorSystem[]
  /** Resource ids the resource registry knows (rights must name one). Default: any id is accepted. */
  resources?: string[]
  /** Org numbers the business register knows (request parties must be one). Default: any valid org number. */
  parties?: string[]
}

/** A running emulator. */
export interface Emulator {
  /** Base URL, `http://HOST:PORT`, no trailing slash. */
  url: string
  /**
   * Maskinporten issuer: `url + '/'` unless set. The grant's `aud`; the token endpoint, `jwk` and `errors/` are
   * under it with one slash between (`tokenEndpointFor(issuer)`), and served there when the issuer has a path.
   */
  issuer: string
  /** Altinn platform base URL: the same server unless set. */
  altinnUrl: string
  /** Adds a client, or replaces the one with the same `clientId`. Throws `invalid_config` on a malformed client. */
  registerClient(client: EmulatorClient): void
  /**
   * Records a consent (samtykke) as given in Altinn, or replaces the one with the same id. A grant naming it gets a
   * token whose entry carries `to`, `consented`, `validTo` and `consentRights`. Throws `invalid_config`.
   *
   * @example
   * ```ts
   * emu.registerConsent({ id: randomUUID(), from: '991825827', validTo: '2030-01-01T00:00:00Z',
   *   consentRights: [{ action: ['consent'], resource: [{ type: 'urn:altinn:resource', value: 'my-resource' }] }] })
   * ```
   */
  registerConsent(consent: EmulatorConsent): void
  /** Queues a fault; faults of one endpoint are served in the order given. */
  injectFault(fault: EmulatorFault): void
  /** Drops every queued fault. */
  clearFaults(): void
  /**
   * The customer approves a system user request, agent request or change request (by id) that is `New`: a request
   * makes the system user (with the request's id), a change request changes its rights and packages. Throws a
   * `MaskinportenError` with code `altinn_api_error` and the status Altinn would give: 404 AUTH-00010 (no such
   * request) or 409 AUTH-00013 (not New, or timed out).
   * @example `emu.approveRequest(request.id)`
   */
  approveRequest(id: string): EmulatorDecision
  /** The customer rejects a `New` request (by id); throws as {@link Emulator.approveRequest}. */
  rejectRequest(id: string): EmulatorDecision
  /**
   * Moves the emulator's clock by `seconds` (may be negative), on top of `clockOffsetSeconds`: for what takes days,
   * such as a request timing out after 180 days. Grants must then be made on the emulator's time.
   * @example `emu.advanceClock(180 * 86_400)`
   */
  advanceClock(seconds: number): void
  /** Request counts since start (a copy). */
  stats(): EmulatorStats
  /** Stops the server and ends every open socket, hung ones included. */
  close(): Promise<void>
}
