/**
 * Maskinporten's token endpoint errors: the texts and MP codes of docs/protocol.md §3 (Digdir's troubleshooting page and
 * real answers), and the answer body built from them.
 */
import { randomBytes } from 'node:crypto'
import { underIssuer } from '../issuer.js'
import { CONSENT_REFUSAL_ERROR, MP250_ERROR, OPEN_MP_CODES, OPEN_TEXTS } from '../unconfirmed.js'

/** One reason to refuse a token request. */
export interface Rejection {
  /** OAuth `error`. */
  error: string
  /** `error_description` without the trace id. */
  description: string
  /** Maskinporten's code, three digits (`error_uri` ends in `MP-<mp>`); none, and no `error_uri`, when Digdir gives none. */
  mp?: string
  /**
   * True for texts that end in a scope list (MP-200, MP-250): no period before the trace id. Sentence-style texts
   * get one (docs/protocol.md §8).
   */
  list?: boolean
  /** HTTP status when not 400. */
  status?: number
  /** Seconds for `Retry-After`, with a 503. */
  retryAfterSeconds?: number
}

const AUTH = 'Invalid assertion. Client authentication failed.'
const CONSENT_REFUSAL = { error: CONSENT_REFUSAL_ERROR, mp: OPEN_MP_CODES.consentRefused }
const grant = (description: string, mp: string): Rejection => ({ error: 'invalid_grant', description, mp })

/** The fixed rejections, by cause. */
export const REJECT = {
  notForm: { error: 'invalid_request', description: OPEN_TEXTS.notForm, mp: OPEN_MP_CODES.invalidRequest },
  grantType: { error: 'invalid_request', description: OPEN_TEXTS.grantType, mp: OPEN_MP_CODES.invalidRequest },
  noAssertion: { error: 'invalid_request', description: OPEN_TEXTS.noAssertion, mp: OPEN_MP_CODES.invalidRequest },
  repeated: { error: 'invalid_request', description: OPEN_TEXTS.repeated, mp: OPEN_MP_CODES.invalidRequest },
  invalidJwt: grant(`${AUTH} Invalid JWT`, OPEN_MP_CODES.invalidJwt),
  unknownClient: grant(AUTH, '100'),
  badAudience: grant(`${AUTH} Invalid JWT claim aud`, '110'),
  invalidCertificate: grant(`${AUTH} The JWT is signed with an invalid certificate.`, '120'),
  expiredKey: grant(`${AUTH} Expired key`, '121'),
  unknownKid: grant(`${AUTH} Unknown key identifier (kid) for client`, OPEN_MP_CODES.unknownKid),
  noKid: grant(
    `${AUTH} Invalid JWT. The client requires pre-registered jwk and no key identifier (kid) provided`,
    OPEN_MP_CODES.noKid,
  ),
  badX5c: grant(`${AUTH} Invalid JWT header x5c`, '123'),
  wrongCertificateOrg: grant(OPEN_TEXTS.wrongCertificateOrg, '122'),
  badSignature: grant(`${AUTH} Invalid JWT signature`, '124'),
  expired: grant(`${AUTH} JWT is expired`, '130'),
  issuedInFuture: grant(`${AUTH} Issue time is after now`, '130'),
  notYetValid: grant(OPEN_TEXTS.notYetValid, '130'),
  invalidParameter: grant('Invalid assertion. Invalid parameter value', '011'),
  replayed: grant('Grant is used before', '012'),
  noScopes: { error: 'invalid_scope', description: 'Token request contains no scopes', mp: OPEN_MP_CODES.noScopes },
  userLoginScope: {
    error: 'invalid_scope',
    description: 'Token request contains scopes not allowed for maskinporten',
    mp: '201',
  },
  unknownDetailsType: { error: 'invalid_request', description: 'Unknown authorization details type', mp: '301' },
  unknownDetailsFields: { error: 'invalid_request', description: 'Unknown fields in the authorization details', mp: '302' },
  invalidDetails: {
    error: 'invalid_request',
    description: 'Invalid authorization details',
    mp: OPEN_MP_CODES.invalidAuthorizationDetails,
  },
  noSuchSystemUser: {
    error: 'invalid_altinn_customer_configuration',
    description: 'Invalid authorization details values',
    mp: '303',
  },
  // Digdir's troubleshooting text, with no MP code.
  ownConsumerOrg: {
    error: 'invalid_request',
    description: 'Validation of JWT claim failed: The combination consumer_org in claim and delegation scope on client is invalid',
  },
  invalidTarget: { error: 'invalid_target', description: OPEN_TEXTS.invalidTarget, mp: OPEN_MP_CODES.invalidTarget },
  consentNotFound: { ...CONSENT_REFUSAL, description: OPEN_TEXTS.consentNotFound },
  consentOtherOrg: { ...CONSENT_REFUSAL, description: OPEN_TEXTS.consentOtherOrg },
  consentExpired: { ...CONSENT_REFUSAL, description: OPEN_TEXTS.consentExpired },
} as const satisfies Record<string, Rejection>

/** A scope that is not registered on the client (MP-200). */
export function invalidScope(scope: string): Rejection {
  return { error: 'invalid_scope', description: `Token request contains invalid scopes for client, ${scope}`, mp: '200', list: true }
}

/** A scope on the client that the API owner has not granted the client's organisation (MP-250). */
export function notGranted(scope: string): Rejection {
  return { error: MP250_ERROR, description: `Consumer has not been granted access to the scope ${scope}`, mp: '250', list: true }
}

/** `consumer_org` has not delegated `scope` to the client's organisation (MP-251). */
export function notDelegated(consumerOrg: string, scope: string, supplierOrg: string): Rejection {
  return {
    error: 'forbidden',
    description: `Consumer ${consumerOrg} has not delegated access to the scope ${scope} to supplier ${supplierOrg}`,
    mp: '251',
  }
}

/**
 * The replay memory is full of grants that are all still live: 503 with `Retry-After` until the first of them
 * expires, rather than forgetting one that could then be used again (unconfirmed.ts, item 5).
 */
export function replayMemoryFull(retryAfterSeconds: number): Rejection {
  return {
    error: 'temporarily_unavailable',
    description: OPEN_TEXTS.replayMemoryFull,
    status: 503,
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)),
  }
}

/** A fresh trace id: 32 lower-case hex digits, as Maskinporten's. */
export function traceId(): string {
  return randomBytes(16).toString('hex')
}

/**
 * The JSON body Maskinporten answers a rejection with (HTTP 400); `error_uri` is `{issuer}/errors/MP-<nnn>`, one slash
 * between, when the cause has a code. Sentence-style texts end with a period before the trace id, scope lists do not
 * (docs/protocol.md §8).
 */
export function rejectionBody(rejection: Rejection, issuer: string): Record<string, string> {
  const { description } = rejection
  const text = rejection.list || description.endsWith('.') ? description : `${description}.`
  const body: Record<string, string> = { error: rejection.error, error_description: `${text} (trace_id: ${traceId()})` }
  if (rejection.mp !== undefined) body.error_uri = underIssuer(issuer, `errors/MP-${rejection.mp}`)
  return body
}
