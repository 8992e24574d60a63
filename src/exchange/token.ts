/**
 * Reading a JWT's header and claims, for display and diagnostics. Nothing here verifies a signature.
 */
import { MaskinportenError } from '../errors/errors.js'

/** A decoded JWT. */
export interface DecodedToken {
  header: Record<string, unknown>
  claims: Record<string, unknown>
  /** `exp` as epoch milliseconds, when the token has one. */
  expiresAt?: number
  /** `iat` as epoch milliseconds, when the token has one. */
  issuedAt?: number
  /** The consent a consent token carries (its `urn:altinn:consent` entry), when it has one. */
  consent?: ConsentDetail
}

/**
 * A consent token's `authorization_details` entry, as Maskinporten issues it (docs/consent.md). Its `from` names a
 * person by fødselsnummer: personal data, not to be logged.
 */
export interface ConsentDetail {
  type: 'urn:altinn:consent'
  /** The consent request's id. */
  id: string
  /** Who consented, as Altinn's party URN. */
  from: string
  /** Who was given the consent: `{authority: "iso6523-actorid-upis", ID: "0192:<orgnr>"}`. */
  to?: { authority: string; ID: string }
  /** When it was given, ISO 8601. */
  consented?: string
  /** When it ends, ISO 8601. */
  validTo?: string
  /** What it allows. */
  consentRights?: Array<{ action: string[]; resource: Array<{ type: string; value: string }>; metadata?: Record<string, string> }>
}

/** The `urn:altinn:consent` entry of `authorization_details` (an array, or one object after Altinn's exchange). */
function consentOf(details: unknown): ConsentDetail | undefined {
  const entries = Array.isArray(details) ? details : [details]
  const entry = entries.find(
    (e): e is Record<string, unknown> => e !== null && typeof e === 'object' && (e as Record<string, unknown>).type === 'urn:altinn:consent',
  )
  if (!entry || typeof entry.id !== 'string' || typeof entry.from !== 'string') return undefined
  return entry as unknown as ConsentDetail
}

function part(segment: string | undefined, name: string): Record<string, unknown> {
  if (!segment || !/^[A-Za-z0-9_-]+$/.test(segment)) {
    throw new MaskinportenError('invalid_token', `Not a JWT: the ${name} is not base64url`)
  }
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
  } catch {
    // The parser's message would quote token content.
    throw new MaskinportenError('invalid_token', `Not a JWT: the ${name} is not JSON`)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new MaskinportenError('invalid_token', `Not a JWT: the ${name} is not a JSON object`)
  }
  return value as Record<string, unknown>
}

/**
 * Decodes a JWT (a Maskinporten or Altinn token, or a grant) into header and claims **without verifying it**:
 * use it to look, never to trust. Throws `invalid_token` (without the token in the message) when it is not a JWT.
 *
 * @example
 * ```ts
 * const { claims, expiresAt } = decodeToken(token)
 * console.log(claims.scope, new Date(expiresAt!))
 * ```
 */
export function decodeToken(jwt: string): DecodedToken {
  if (typeof jwt !== 'string') throw new MaskinportenError('invalid_token', 'Not a JWT: expected a string')
  const segments = jwt.trim().split('.')
  if (segments.length !== 3) {
    throw new MaskinportenError('invalid_token', `Not a JWT: expected three dot-separated parts, got ${segments.length}`)
  }
  const header = part(segments[0], 'header')
  const claims = part(segments[1], 'payload')
  const decoded: DecodedToken = { header, claims }
  if (typeof claims.exp === 'number') decoded.expiresAt = claims.exp * 1000
  if (typeof claims.iat === 'number') decoded.issuedAt = claims.iat * 1000
  const consent = consentOf(claims.authorization_details)
  if (consent) decoded.consent = consent
  return decoded
}
