/**
 * Every behaviour of the emulator that PROTOCOL.md marks unconfirmed or leaves open, with the choice made: the one
 * place to look, and to change, when Digdir or Altinn are seen doing otherwise. When no source shows the answer the
 * choice is the stricter one, so that what passes here passes there.
 *
 * Maskinporten, token endpoint
 * 1. MP codes where §3 has none ("—") or no source shows one: the code of the nearest documented cause, never a new
 *    number ({@link OPEN_MP_CODES}). Every 400 carries an `error_uri`.
 * 2. Texts no source shows: {@link OPEN_TEXTS}.
 * 3. `iat` skew: accepted up to and including {@link IAT_SKEW_SECONDS} either way (Digdir: "less than 10 seconds").
 *    `nbf`, when sent, may be at most that far ahead (else MP-130, "not yet valid"); a non-numeric `nbf` is MP-011.
 *    A missing or non-numeric `exp`/`iat` is MP-130 "JWT is expired".
 * 4. `sub` and `nbf` accepted (sent by Altinn's and Wenche's clients; unconfirmed under the 2025 claim rule); `sub`
 *    must equal `iss` ({@link SUB_MUST_EQUAL_ISS}). `iss_onbehalfof` is not in Digdir's table: MP-011.
 * 5. Replay: a grant without `jti` is remembered by its signature. A `jti` is consumed once the grant passes the
 *    signature and time checks, even when a later rule (scope, system user) rejects it. Per client. Bounded by
 *    {@link MAX_REMEMBERED_JTIS}.
 * 6. Header: `typ` tolerated only as `JWT` (any case); `crit` is "Invalid JWT" (RFC 7515: an extension not
 *    understood); other members ignored. With both `kid` and `x5c`, a malformed `x5c` is MP-123, otherwise the kid
 *    decides. An empty `x5c` array is malformed.
 * 7. Scopes only for ID-porten user logins (MP-201): {@link USER_LOGIN_ONLY_SCOPES}, checked before registration.
 * 8. `resource`: an array, or a string ({@link RESOURCE_STRING_ACCEPTED}); each an absolute URI; an empty array is
 *    MP-011. The token's `aud` is the one resource as a string, or the array when several.
 * 9. `pid`: eleven digits ({@link PID_PATTERN}), echoed in the token as `pid`.
 * 10. `consumer_org` with `authorization_details`, or equal to the client's own org: MP-011
 *     ({@link CONSUMER_ORG_WITH_SYSTEMUSER_REJECTED}; Digdir's troubleshooting page shows the second).
 * 11. `delegation_source` on delegated tokens: this emulator's Altinn URL ({@link delegationSource}).
 * 12. `authorization_details`: only `urn:altinn:systemuser` is emulated ({@link EMULATED_AUTHORIZATION_DETAILS_TYPES});
 *     `urn:altinn:consent`, though in the metadata, answers MP-301. A repeated or unknown field in `systemuser_org`
 *     (lower-case `id`) is MP-302.
 * 13. A repeated `grant_type` or `assertion` form parameter: `invalid_request` (RFC 6749 §3.2).
 *
 * Altinn
 * 14. Providers `id-porten` and `altinnstudio` are accepted as names, but only Maskinporten tokens of this emulator
 *     verify, so their tokens get 401 ({@link VERIFIABLE_PROVIDERS}).
 * 15. Lifetime skew on the Maskinporten token: {@link ALTINN_SKEW_SECONDS}.
 * 16. Header `x5t`: Altinn's key has a certificate, the emulator's none; `x5t` is the SHA-1 of the public key's DER
 *     ({@link x5tOf}). 401/410 bodies are ASP.NET problem details with a W3C `traceId` (`00-<32 hex>-<16 hex>-00`).
 *
 * Faults and stats
 * 17. A `delay` fault counts as faulted: in `requests` only, though answered normally
 *     ({@link DELAY_COUNTS_AS_FAULTED}). `garbage` answers `text/html` ({@link GARBAGE_BODY}).
 *
 * Business certificates (x5c; docs/certificates.md)
 * 18. A client takes certificate grants when registered with `certificate: true` (its `jwks` may then be left out);
 *     the certificate's organisation number (subject `serialNumber`, or `organizationIdentifier` `NTRNO-…`) must be the
 *     client's `orgNummer`, else MP-122 ({@link OPEN_TEXTS}`.wrongCertificateOrg`). Trust anchors are the emulator's
 *     `certificateAuthorities` (none by default: every chain is then untrusted).
 * 19. Order of the x5c checks: malformed (MP-123; more than {@link MAX_X5C_CERTIFICATES} certificates too), then the
 *     chain (MP-120 "invalid certificate" for each of: leaf a CA, a certificate not issued and signed by the next
 *     one — a chain out of order —, any certificate outside its validity at the emulator's clock, a non-CA above the
 *     leaf, a last certificate that is neither an anchor nor issued by one, a leaf key not RSA ≥ 2048), then a client
 *     without `certificate: true` (the answer for a grant without a kid), then the org (MP-122), then the signature
 *     with the leaf's key (MP-124). Revocation (OCSP, CRL) is not checked.
 * 20. With both `kid` and a well-formed `x5c`, the kid decides (as before; item 6). Tokens from certificate grants say
 *     `client_amr: "virksomhetssertifikat"`; `consumer` is the client's org, as for key grants.
 */
import { createHash, type KeyObject } from 'node:crypto'

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
} as const

/** Item 2: texts of rejections no source shows (the `error_description` before ` (trace_id: …)`). */
export const OPEN_TEXTS = {
  notForm: 'Invalid request. Content-Type must be application/x-www-form-urlencoded',
  grantType: 'Invalid request. Unsupported grant_type',
  noAssertion: 'Invalid request. Missing assertion',
  repeated: 'Invalid request. Repeated parameter',
  notYetValid: 'Invalid assertion. Client authentication failed. JWT is not yet valid',
  /** Item 18: MP-122, as Digdir's troubleshooting page names it; whether the "Invalid assertion." prefix comes first is not shown. */
  wrongCertificateOrg: 'Invalid organization number for client. Does not match certificate orgno',
} as const

/** Item 3: allowed difference between a grant's `iat` (and `nbf`) and the emulator's clock, seconds. */
export const IAT_SKEW_SECONDS = 10

/** Longest grant, seconds: `exp - iat <= 120` (Digdir, confirmed). */
export const MAX_GRANT_LIFETIME_SECONDS = 120

/** Item 4: the claims a grant may carry (Digdir's table, plus `sub` and `nbf`). */
export const ALLOWED_CLAIMS: ReadonlySet<string> = new Set([
  'aud', 'iss', 'iat', 'exp', 'jti', 'scope', 'resource', 'pid', 'consumer_org', 'authorization_details', 'sub', 'nbf',
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

/** Item 11: `delegation_source` of a delegated token. */
export function delegationSource(altinnUrl: string): string {
  return altinnUrl
}

/** Item 12: the `authorization_details` types emulated. */
export const EMULATED_AUTHORIZATION_DETAILS_TYPES: ReadonlySet<string> = new Set(['urn:altinn:systemuser'])

/** Item 14: providers whose tokens the exchange can verify. */
export const VERIFIABLE_PROVIDERS: ReadonlySet<string> = new Set(['maskinporten'])

/** Item 15: Altinn's lifetime skew when checking a Maskinporten token, seconds (Altinn's source). */
export const ALTINN_SKEW_SECONDS = 10

/** Item 16: the `x5t` of an Altinn token header, base64url. */
export function x5tOf(publicKey: KeyObject): string {
  return createHash('sha1').update(publicKey.export({ format: 'der', type: 'spki' })).digest('base64url')
}

/** Item 19: most certificates taken in an `x5c`. */
export const MAX_X5C_CERTIFICATES = 10

/** Item 17: a delayed request counts in `requests` only. */
export const DELAY_COUNTS_AS_FAULTED = true

/** Item 17: the body of a `garbage` fault: a proxy's error page, with status 200. */
export const GARBAGE_BODY = '<html><body><h1>502 Bad Gateway</h1></body></html>'
