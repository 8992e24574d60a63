/**
 * Every behaviour of the emulator that PROTOCOL.md marks unconfirmed or leaves open, with the choice made. This is
 * the one place to change when Digdir or Altinn are seen doing otherwise. The rule when no source shows the answer:
 * stricter rather than looser, so that what passes here passes there.
 */

/**
 * MP codes for rejections whose row in PROTOCOL.md §3 has no code ("—") or that no source shows. Every rejection
 * carries an `error_uri`; where there is no known code, the code of the nearest documented cause is used (no new
 * numbers are invented, so a user never matches on a code Maskinporten does not have).
 */
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

/** Texts of rejections that no source shows (the `error_description`, before ` (trace_id: …)`). */
export const OPEN_TEXTS = {
  notForm: 'Invalid request. Content-Type must be application/x-www-form-urlencoded',
  grantType: 'Invalid request. Unsupported grant_type',
  noAssertion: 'Invalid request. Missing assertion',
  repeated: 'Invalid request. Repeated parameter',
  /** `nbf` more than the allowed skew ahead: the `iat` family's wording. */
  notYetValid: 'Invalid assertion. Client authentication failed. JWT is not yet valid',
} as const

/** Allowed skew, in seconds, between a grant's `iat` (and `nbf`) and the emulator's clock. Digdir: "less than 10
 * seconds ahead/after our clock"; the emulator accepts a difference of up to and including 10 s. */
export const IAT_SKEW_SECONDS = 10

/** Longest grant: `exp - iat <= 120` (Digdir). */
export const MAX_GRANT_LIFETIME_SECONDS = 120

/**
 * Claims the grant may carry. `sub` and `nbf` are not in Digdir's table but are sent by Altinn's own clients and by
 * Wenche, and accepted in practice (unconfirmed under the 2025 "no undocumented claims" rule): accepted here.
 * `iss_onbehalfof` (the retired on-behalf-of feature) is not in the table: rejected as unknown (MP-011).
 */
export const ALLOWED_CLAIMS: ReadonlySet<string> = new Set([
  'aud', 'iss', 'iat', 'exp', 'jti', 'scope', 'resource', 'pid', 'consumer_org', 'authorization_details', 'sub', 'nbf',
])

/** `sub`, when sent, must equal `iss` (the client id), as Altinn's and Wenche's clients send it; otherwise MP-011. */
export const SUB_MUST_EQUAL_ISS = true

/**
 * A grant without `jti` still can't be used twice: its signature stands in for the jti in the replay memory.
 * A `jti` is consumed as soon as the grant passes the signature and time checks, even if a later rule (scope,
 * system user) rejects it: a rejected grant is not retried as-is.
 */
export const REPLAY_KEY_WITHOUT_JTI = 'signature'

/** Most grants remembered for replay detection (each is forgotten at its `exp`; past this, the oldest goes first). */
export const MAX_REMEMBERED_JTIS = 100_000

/** Header members besides `alg`, `kid`, `x5c`: `typ` is tolerated when it is `JWT`; `crit` makes the JWT invalid
 * (RFC 7515: an extension the server does not understand); anything else is ignored. */
export const TOLERATED_TYP = 'JWT'

/** A grant with both `kid` and `x5c`: a malformed `x5c` is still MP-123; otherwise the `kid` decides. */
export const KID_WINS_OVER_X5C = true

/** Scopes that only ID-porten user logins may ask for (MP-201). Checked before registration (MP-200). */
export const USER_LOGIN_ONLY_SCOPES: ReadonlySet<string> = new Set(['openid', 'profile'])

/**
 * `resource`: Digdir supports only an array; a string has been seen from real clients, so both are accepted. Each
 * must be an absolute URI; an empty array or a non-URI is MP-011. The token's `aud` is the one resource, or the
 * array when several are asked for.
 */
export const RESOURCE_STRING_ACCEPTED = true

/** `pid`: eleven digits, echoed in the token as `pid`. Anything else is MP-011. */
export const PID_PATTERN = /^\d{11}$/

/** `consumer_org` together with `authorization_details`: no source shows it; rejected as MP-011. `consumer_org`
 * equal to the client's own org is MP-011 too (Digdir's troubleshooting page: "the combination … is invalid"). */
export const CONSUMER_ORG_WITH_SYSTEMUSER_REJECTED = true

/** `delegation_source` in delegated tokens: the emulator's own Altinn URL (real tokens name Altinn's). */
export const DELEGATION_SOURCE_IS_ALTINN_URL = true

/** `authorization_details` types: only `urn:altinn:systemuser` is emulated; `urn:altinn:consent` (in the metadata)
 * answers MP-301 like an unknown type. */
export const EMULATED_AUTHORIZATION_DETAILS_TYPES: ReadonlySet<string> = new Set(['urn:altinn:systemuser'])

/** Altinn exchange: only Maskinporten tokens (of this emulator) can be verified, so `id-porten` and `altinnstudio`
 * are accepted as provider names but every token then fails with 401. */
export const ONLY_MASKINPORTEN_PROVIDER_VERIFIES = true

/** Altinn exchange: lifetime skew when checking the Maskinporten token, seconds (Altinn's source). */
export const ALTINN_SKEW_SECONDS = 10

/** Altinn token header `x5t`: Altinn's key has a certificate; the emulator's has none, so `x5t` is the SHA-1 of the
 * public key's DER (SPKI), base64url. */
export const X5T_OF_SPKI = true

/** Fault `delay` counts as a faulted request (in `requests` only, as the contract says of faulted requests), even
 * though it is then answered normally. `garbage` answers `text/html`. */
export const DELAY_COUNTS_AS_FAULTED = true
