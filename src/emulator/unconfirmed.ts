/**
 * Every behaviour of the emulator that docs/protocol.md marks unconfirmed or leaves open, with the choice made: the one
 * place to look, and to change, when Digdir or Altinn are seen doing otherwise. When no source shows the answer the
 * choice is the stricter one, so that what passes here passes there. Item numbers are stable (code cites them):
 * new items are appended, so they are grouped by topic, not in order. 27 items.
 *
 * Maskinporten, token endpoint
 * 1. MP codes where §3 has none ("—") or no source shows one: the code of the nearest documented cause, never a new
 *    number ({@link OPEN_MP_CODES}). Every 400 carries an `error_uri`, except `consumer_org` equal to the client's
 *    own org, for which Digdir's page shows a text and no code.
 * 2. Texts no source shows: {@link OPEN_TEXTS}. Punctuation (docs/protocol.md §8): a period before the trace id on
 *    every sentence-style text, none on texts that end in a scope (MP-200, MP-250); MP-251, which ends in an org
 *    number, is taken as sentence-style.
 * 3. `iat` skew: accepted up to and including {@link IAT_SKEW_SECONDS} either way (Digdir: "less than 10 seconds").
 *    `nbf`, when sent, may be at most that far ahead (else MP-130, "not yet valid"); a non-numeric `nbf` is MP-011.
 *    A missing or non-numeric `exp`/`iat` is MP-130 "JWT is expired", and so is `exp < iat`.
 * 4. `sub` and `nbf` accepted (sent by Altinn's and Wenche's clients; unconfirmed under the 2025 claim rule); `sub`
 *    must equal `iss` ({@link SUB_MUST_EQUAL_ISS}). `iss_onbehalfof` (deprecated, still in Digdir's table) is
 *    accepted as a non-empty string and ignored; any other type, or together with `consumer_org`, is MP-011.
 * 5. Replay: a grant without `jti` is remembered by its signature. A `jti` is consumed once the grant passes the
 *    signature and time checks, even when a later rule (scope, system user) rejects it. Per client. Bounded by
 *    {@link MAX_REMEMBERED_JTIS}: when that many live grants are remembered, a new grant gets 503
 *    `temporarily_unavailable` with `Retry-After` (until the first expires) instead of evicting a live one.
 * 6. Header: `typ` tolerated only as `JWT` (any case); `crit` is "Invalid JWT" (RFC 7515: an extension not
 *    understood); other members ignored. With both `kid` and `x5c`, a malformed `x5c` is MP-123, otherwise the kid
 *    decides. An empty `x5c` array is malformed.
 * 7. Scopes only for ID-porten user logins (MP-201): {@link USER_LOGIN_ONLY_SCOPES}, checked before registration.
 * 8. `resource`: an array, or a string ({@link RESOURCE_STRING_ACCEPTED}); an empty array or a non-string entry is
 *    MP-011; an entry that is not an absolute URI or has a fragment is `invalid_target` (RFC 8707) with
 *    {@link OPEN_TEXTS}`.invalidTarget` and MP-011. The token's `aud` is the one resource as a string, or the array.
 * 9. `pid`: eleven digits ({@link PID_PATTERN}), echoed in the token as `pid`.
 * 10. `consumer_org` with a system user's `authorization_details`: MP-011
 *     ({@link CONSUMER_ORG_WITH_SYSTEMUSER_REJECTED}); with a consent it is allowed, the consent then being the
 *     delegating customer's. Equal to the client's own org: Digdir's `invalid_request` text (confirmed).
 * 11. `delegation_source` on delegated tokens: Altinn's issuer by environment, `https://tt02.altinn.no/` for the
 *     tt02 platform URL and `https://www.altinn.no/` for prod's (confirmed); any other Altinn URL, the emulator's own
 *     included, gives that URL with a trailing slash ({@link delegationSource}).
 * 12. `authorization_details`: `urn:altinn:systemuser` and `urn:altinn:consent` are emulated
 *     ({@link EMULATED_AUTHORIZATION_DETAILS_TYPES}). A repeated or unknown field (lower-case `id`) is MP-302; an
 *     `externalRef` outside {@link EXTERNAL_REF_PATTERN} is MP-302 "Invalid authorization details" (the syntax is
 *     reported by Altinn's client code, not by Digdir). A system user made without `externalRef` is found by a grant
 *     naming its org number as `externalRef`, and the reverse (confirmed); the token echoes `externalRef` only when
 *     the grant sent one.
 * 13. A repeated `grant_type` or `assertion` form parameter: `invalid_request` (RFC 6749 §3.2).
 * 18. MP-250 (scope on the client, not granted to the organisation by the API owner): OAuth error
 *     {@link MP250_ERROR} (`invalid_scope`, as in the newest report; older bodies said `forbidden`). Checked after
 *     MP-200, scope by scope in the order given.
 * 19. Consents: a grant's entry must be exactly `{type, id, from}` with a UUID id and `from` in URN form (a bare
 *     number is MP-302). A consent that does not exist, or was given by another party, a consent given to another
 *     organisation, and one past its `validTo`, are each `invalid_altinn_customer_configuration` with MP-303 (the
 *     code of the nearest cause, no such system user) and their own text in {@link OPEN_TEXTS}. A consent without
 *     `to` is given to whichever organisation asks; `consented` defaults to its registration time. The token entry
 *     is `{type, id, from, to, consented, validTo, consentRights}` as in Altinn's published example.
 * 20. Scopes are separated by spaces only (RFC 6749 §3.3); a scope with a tab, newline or other character outside
 *     the RFC's scope-token set is MP-200 with the scope JSON-escaped in the text. Repeated spaces are tolerated.
 *
 * Altinn
 * 14. Providers `id-porten` and `altinnstudio` are accepted as names, but only Maskinporten tokens of this emulator
 *     verify, so their tokens get 401 ({@link VERIFIABLE_PROVIDERS}).
 * 15. Lifetime skew on the Maskinporten token: {@link ALTINN_SKEW_SECONDS}.
 * 16. Altinn's signing key is certified by a self-signed certificate made at start (a real one is issued by a CA);
 *     `kid` and `x5t` are its SHA-1 thumbprint, `x5c` its DER (confirmed shape). 401/410 bodies are ASP.NET problem
 *     details with a W3C `traceId` (`00-<32 hex>-<16 hex>-00`); the 410's `detail` wording is
 *     {@link ENTERPRISE_USER_GONE_DETAIL}. The openid-configuration's endpoint URLs: {@link ALTINN_OPENID_ENDPOINTS}.
 * 21. `urn:altinn:org` for `altinn:serviceowner` scopes: the code of the consumer org in the emulator's
 *     `serviceOwners` map (default {@link DEFAULT_SERVICE_OWNERS}); Digdir's becomes `ttd` with `?test=true`
 *     (confirmed). A service-owner token from an org not in the map is 401 ({@link serviceOwnerCode}).
 * 22. Exchange: a path segment shaped like a JWT is masked in the 400's echo of the provider (which is also cut at
 *     200 characters); a request without a readable bearer is 401 before the provider is looked at.
 *
 * Server
 * 23. Request bodies on GET routes are refused (400, connection closed) instead of drained. A request must be whole
 *     within {@link REQUEST_TIMEOUT_MS} and its headers within {@link HEADERS_TIMEOUT_MS} (Node answers 408).
 * 24. An issuer without a trailing slash (Skyporten style) also serves its metadata at
 *     `{issuer}/.well-known/openid-configuration` (confirmed for Skyporten), as the same document.
 *
 * Faults and stats
 * 17. A `delay` fault counts as faulted: in `requests` only, though answered normally
 *     ({@link DELAY_COUNTS_AS_FAULTED}). `garbage` answers `text/html` ({@link GARBAGE_BODY}).
 *
 * Altinn vendor API (docs/vendor-api.md)
 * 18. The confirmUrl points at the emulator itself, on the real path (`{url}/accessmanagement/ui/systemuser/request`,
 *     `agentrequest`, `changerequest`, `?id=…&DONTCHOOSEREPORTEE=true`) where Altinn has `https://am.ui.tt02.altinn.no`
 *     ({@link confirmUrl}); the page there is the emulator's, not Altinn's.
 * 19. Access packages: any URN of the form {@link ACCESS_PACKAGE_PATTERN} is known and delegable; the ones meant for
 *     client relationships (agent requests) are {@link CLIENT_ACCESS_PACKAGES}.
 * 20. A request times out {@link REQUEST_TIMEOUT_DAYS} days after it was made (emulator clock); a timed-out request
 *     no longer holds its triple (a new POST makes a new one) and can no longer be approved (AUTH-00013).
 * 21. Pages: {@link PAGE_SIZE} entries; `next` is on {@link NEXT_LINK_HOST} (an internal host, as Altinn's has been
 *     seen to be), with an opaque `token` that only this emulator reads; a token that does not read, or one of
 *     another list, is a 400 binding problem. On the last page `links` is `{}` (nulls are not written).
 * 22. A request with neither `rights` nor `accessPackages` given at all is AUTH-00001; with both given but empty,
 *     AUTH-00059 ({@link MISSING_RIGHTS_CODE}).
 * 23. Change request bodies and the system user answers: fields as docs/vendor-api.md §3–§4 lists them;
 *     `supplierName` is the system's Norwegian name (the business register's name is not emulated); `productName`
 *     is the system id. Query parameters other than `correlation-id` and `system-user-id` on the change request POST
 *     are a 400 text. Only standard system users get tokens (agent ones need client delegations, not emulated).
 * 24. The validation error paths follow the service's `/registersystemrequest/<field>` form for every field; those
 *     of the vendor, client ids, redirect URLs and access packages are not shown by any source.
 * 25. Order of a request POST's checks: system (AUTH-00011, also for a deleted system or another vendor's), then an
 *     existing system user for the triple (AUTH-00004) before the stored request (200), then party, redirect URL,
 *     rights. A redirect URL matches an allowed one compared without query and trailing slash.
 * 26. Bodies that do not bind (not JSON, a wrong type): ASP.NET's problem with an `errors` map, the field named as
 *     the emulator reads it; a body without a JSON content type is 415, empty. A bearer that is not a valid token of
 *     this emulator is 401, empty, `WWW-Authenticate: Bearer` (the token-less AUTH-00023 branch cannot be reached
 *     with the emulator's tokens, which always carry `consumer`).
 * 27. The customer's decision over HTTP (`POST /__emulator/requests/{id}/approve|reject`) answers
 *     `{id, kind, status}`; a refusal is Altinn's problem (AUTH-00010 404, AUTH-00013 409). The page answers a
 *     decision on a request that is not New with 409 and shows it again.
 *
 * Business certificates (x5c; docs/certificates.md)
 * 28. A client takes certificate grants when registered with `certificate: true` (its `jwks` may then be left out);
 *     the certificate's organisation number (subject `serialNumber`, or `organizationIdentifier` `NTRNO-…`) must be the
 *     client's `orgNummer`, else MP-122 ({@link OPEN_TEXTS}`.wrongCertificateOrg`). Trust anchors are the emulator's
 *     `certificateAuthorities` (none by default: every chain is then untrusted).
 * 29. Order of the x5c checks: malformed (MP-123; more than {@link MAX_X5C_CERTIFICATES} certificates too), then the
 *     chain (MP-120 "invalid certificate" for each of: leaf a CA, a certificate not issued and signed by the next
 *     one — a chain out of order —, any certificate outside its validity at the emulator's clock, a non-CA above the
 *     leaf, a last certificate that is neither an anchor nor issued by one, a leaf key not RSA ≥ 2048), then a client
 *     without `certificate: true` (the answer for a grant without a kid), then the org (MP-122), then the signature
 *     with the leaf's key (MP-124). Revocation (OCSP, CRL) is not checked.
 * 30. With both `kid` and a well-formed `x5c`, the kid decides (as before; item 6). Tokens from certificate grants say
 *     `client_amr: "virksomhetssertifikat"`; `consumer` is the client's org, as for key grants.
 */

/** Item 1: MP codes for rejections no source gives one for. */
export const OPEN_MP_CODES = {
  /** `kid` not registered on the client ("—" in §3): the nearest documented cause is "key not accepted". */
  unknownKid: '120',
  /** Neither `kid` nor `x5c` ("—" in §3): the client's key cannot be found, as for an unknown kid. */
  noKid: '120',
  /** The assertion is not a JWT at all: it cannot be verified, so the signature's code. */
  invalidJwt: '124',
  /** Wrong `grant_type`, missing `assertion`, a body not form-encoded, a repeated parameter: a bad parameter. */
  invalidRequest: '011',
  /** Missing or empty `scope`: the scope family's code. */
  noScopes: '200',
  /** `authorization_details` not an array, not exactly one entry, or a malformed `systemuser_org`. */
  invalidAuthorizationDetails: '302',
  /** `resource` not an absolute URI, or with a fragment (`invalid_target`). */
  invalidTarget: '011',
  /** A consent not found, given to another organisation, or expired: as no such system user. */
  consentRefused: '303',
} as const

/** Item 2: texts of rejections no source shows (the `error_description` before ` (trace_id: …)`). */
export const OPEN_TEXTS = {
  notForm: 'Invalid request. Content-Type must be application/x-www-form-urlencoded',
  grantType: 'Invalid request. Unsupported grant_type',
  noAssertion: 'Invalid request. Missing assertion',
  repeated: 'Invalid request. Repeated parameter',
  notYetValid: 'Invalid assertion. Client authentication failed. JWT is not yet valid',
  /** Item 25: MP-122, as Digdir's troubleshooting page names it; whether the "Invalid assertion." prefix comes first is not shown. */
  wrongCertificateOrg: 'Invalid organization number for client. Does not match certificate orgno',
  invalidTarget: 'Invalid resource. It must be an absolute URI without a fragment',
  replayMemoryFull: 'Too many grants in use right now. Try again after Retry-After seconds',
  consentNotFound: 'Invalid authorization details values. No such consent from this party',
  consentOtherOrg: 'Invalid authorization details values. The consent is not given to this organisation',
  consentExpired: 'Invalid authorization details values. The consent has expired',
} as const

/** Item 3: allowed difference between a grant's `iat` (and `nbf`) and the emulator's clock, seconds. */
export const IAT_SKEW_SECONDS = 10

/** Longest grant, seconds: `exp - iat <= 120` (Digdir, confirmed). */
export const MAX_GRANT_LIFETIME_SECONDS = 120

/** Item 4: the claims a grant may carry (Digdir's table, plus `sub` and `nbf`). */
export const ALLOWED_CLAIMS: ReadonlySet<string> = new Set([
  'aud', 'iss', 'iat', 'exp', 'jti', 'scope', 'resource', 'pid', 'consumer_org', 'authorization_details', 'sub', 'nbf',
  'iss_onbehalfof',
])

/** Item 4: `sub`, when sent, must equal `iss`. */
export const SUB_MUST_EQUAL_ISS = true

/** Item 5: most grants remembered for replay detection. */
export const MAX_REMEMBERED_JTIS = 100_000

/** Item 6: the only `typ` tolerated (compared case-insensitively). */
export const TOLERATED_TYP = 'JWT'

/** Item 7: scopes that only ID-porten user logins may ask for. */
export const USER_LOGIN_ONLY_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile'])

/** Item 8: `resource` as a bare string is accepted. */
export const RESOURCE_STRING_ACCEPTED = true

/** Item 9: the form of `pid`. */
export const PID_PATTERN = /^\d{11}$/

/** Item 10: `consumer_org` with `authorization_details` is refused. */
export const CONSUMER_ORG_WITH_SYSTEMUSER_REJECTED = true

/** Item 11: `delegation_source` of a delegated token: Altinn's issuer for the real platforms, else `altinnUrl/`. */
export function delegationSource(altinnUrl: string): string {
  const host = URL.canParse(altinnUrl) ? new URL(altinnUrl).host : ''
  if (host === 'platform.tt02.altinn.no') return 'https://tt02.altinn.no/'
  if (host === 'platform.altinn.no') return 'https://www.altinn.no/'
  return `${altinnUrl.replace(/\/+$/, '')}/`
}

/** Item 12: the `authorization_details` types emulated. */
export const EMULATED_AUTHORIZATION_DETAILS_TYPES: ReadonlySet<string> = new Set(['urn:altinn:systemuser', 'urn:altinn:consent'])

/** Item 12: an `externalRef` as Altinn's client code reports the rule: 1–255 of A-Z a-z 0-9 æøåÆØÅ _ -. */
export const EXTERNAL_REF_PATTERN = /^[A-Za-z0-9æøåÆØÅ_-]{1,255}$/

/** Item 18: the OAuth `error` of MP-250. */
export const MP250_ERROR = 'invalid_scope'

/** Item 19: the OAuth `error` of a refused consent. */
export const CONSENT_REFUSAL_ERROR = 'invalid_altinn_customer_configuration'

/** Item 14: providers whose tokens the exchange can verify. */
export const VERIFIABLE_PROVIDERS: ReadonlySet<string> = new Set(['maskinporten'])

/** Item 15: Altinn's lifetime skew when checking a Maskinporten token, seconds (Altinn's source). */
export const ALTINN_SKEW_SECONDS = 10

/** Item 16: the 410's `detail`. */
export const ENTERPRISE_USER_GONE_DETAIL =
  'Virksomhetsbruker (enterprise user) authentication is replaced by system users (systembruker) and ID-porten'

/** Item 16: the endpoint URLs of Altinn's openid-configuration, below the platform URL. */
export function ALTINN_OPENID_ENDPOINTS(altinnUrl: string): Record<string, string> {
  return {
    authorization_endpoint: `${altinnUrl}/authentication/api/v1/authentication`,
    token_endpoint: `${altinnUrl}/authentication/api/v1/exchange/maskinporten`,
    end_session_endpoint: `${altinnUrl}/authentication/api/v1/logout`,
  }
}

/** Item 26: most certificates taken in an `x5c`. */
export const MAX_X5C_CERTIFICATES = 10

/** Item 21: scopes of this prefix are service-owner scopes. */
export const SERVICE_OWNER_PREFIX = 'altinn:serviceowner'

/** Item 21: service owners' org codes by org number, unless the emulator is given its own map. */
export const DEFAULT_SERVICE_OWNERS: Readonly<Record<string, string>> = Object.freeze({ '991825827': 'digdir' })

/** Item 21: `urn:altinn:org` for a service-owner token from `orgNummer`, or undefined when it is no service owner. */
export function serviceOwnerCode(owners: Readonly<Record<string, string>>, orgNummer: string, test: boolean): string | undefined {
  const code = Object.hasOwn(owners, orgNummer) ? owners[orgNummer] : undefined
  return test && code === 'digdir' ? 'ttd' : code
}

/** Item 23: longest time to receive a whole request, milliseconds (Node's default is 300 s). */
export const REQUEST_TIMEOUT_MS = 10_000

/** Item 23: longest time to receive a request's headers, milliseconds. */
export const HEADERS_TIMEOUT_MS = 5_000

/** Item 17: a delayed request counts in `requests` only. */
export const DELAY_COUNTS_AS_FAULTED = true

/** Item 17: the body of a `garbage` fault: a proxy's error page, with status 200. */
export const GARBAGE_BODY = '<html><body><h1>502 Bad Gateway</h1></body></html>'

/** Item 18: the customer's page for a request, on the emulator itself (Altinn: `https://am.ui.tt02.altinn.no/...`). */
export function confirmUrl(emulatorUrl: string, kind: 'request' | 'agentrequest' | 'changerequest', id: string): string {
  return `${emulatorUrl}/accessmanagement/ui/systemuser/${kind}?id=${id}&DONTCHOOSEREPORTEE=true`
}

/** Item 19: the access package URNs the emulated registry knows. */
export const ACCESS_PACKAGE_PATTERN = /^urn:altinn:accesspackage:[a-z0-9][a-z0-9-]*$/

/** Item 19: the packages meant for client relationships (the only ones an agent request may ask for). */
export const CLIENT_ACCESS_PACKAGES: ReadonlySet<string> = new Set([
  'urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet',
  'urn:altinn:accesspackage:regnskapsforer-uten-signeringsrettighet',
  'urn:altinn:accesspackage:regnskapsforer-lonn',
  'urn:altinn:accesspackage:ansvarlig-revisor',
  'urn:altinn:accesspackage:revisormedarbeider',
])

/** Item 20: days until a request times out. */
export const REQUEST_TIMEOUT_DAYS = 180

/** Item 21: entries per page of a list. */
export const PAGE_SIZE = 50

/** Item 21: the host `links.next` names (never this emulator's own). */
export const NEXT_LINK_HOST = 'http://authentication.platform.internal'

/** Item 22: the code of a request that gives neither rights nor packages at all. */
export const MISSING_RIGHTS_CODE = '00001'
