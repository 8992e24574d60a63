/**
 * The JWT grant (the `assertion` of RFC 7523): Wenche's claims, nothing more, signed RS256 with the client's key.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_jwtgrant
 */
import { randomFillSync } from 'node:crypto'
import { resolveConfig, type MaskinportenConfig, type ResolvedConfig } from '../config/config.js'
import { describeValue, invalidConfig, MaskinportenError } from '../errors/errors.js'
import { partyUrn } from '../config/fodselsnummer.js'
import { finishGrant, grantHeader } from './resolve.js'
import { normalizeOrgNummer, toIso6523 } from '../config/orgnummer.js'
import { splitScopes } from '../config/scopes.js'
import { requestFields } from '../config/arguments.js'
import { withSecretsMasked } from '../config/secret-echo.js'

/** A grant lives this long (seconds). Maskinporten refuses `exp - iat > 120`; one second spare, as in Wenche. */
export const GRANT_LIFETIME_SECONDS = 119

/** What may be added to a grant besides the client and the scope. */
export interface GrantOptions {
  /** Customer org number: adds a system user `authorization_details` (systembruker) for that organisation. */
  orgNummer?: string
  /** The system user's external reference, when it was made with one. Needs `orgNummer`. */
  externalRef?: string
  /** Audience(s) of the token (`resource`): sent as an array, the only form Digdir documents. */
  resource?: string | readonly string[]
  /** Org number of the customer that delegated access to you in Altinn (`consumer_org`, the supplier flow). */
  consumerOrg?: string
  /**
   * A consent (samtykke) given in Altinn: adds `authorization_details: [{type: "urn:altinn:consent", id, from}]`.
   * Not together with `orgNummer` (one entry per grant). See {@link ConsentReference}.
   */
  consent?: ConsentReference
  /** The clock (epoch ms). Default `Date.now`. */
  now?: () => number
}

/**
 * Which consent a token carries (docs/consent.md).
 *
 * @example
 * ```ts
 * const consent = { id: '77ed8698-e619-4066-9eb4-5c1eb3f165a1', from: personNumber } // or an org number
 * ```
 */
export interface ConsentReference {
  /** The consent request's id, a UUID. */
  id: string
  /**
   * Who gave the consent: an 11-digit fødselsnummer or D-number (check digits validated; never shown in errors),
   * a 9-digit org number, or either as Altinn's party URN.
   */
  from: string
}

/** Grant options checked and normalised, ready to sign. */
export interface GrantParams {
  scope: string
  orgNummer?: string
  externalRef?: string
  resource?: string[]
  consumerOrg?: string
  /** The consent, `from` in URN form. */
  consent?: { id: string; from: string }
}

/**
 * Text that looks like key material (a PEM armour, a JWK's members, base64 DER) or is too long to be an identifier:
 * refused in every grant field, since what goes in the grant is sent, and servers echo what they refuse.
 */
const KEY_SHAPED = /-----BEGIN|PRIVATE|"kty"|"d"\s*:|MII[A-Za-z0-9+/]{40}/

/** Throws `invalid_config` for key-shaped text in `field`, without quoting it. */
export function refuseKeyShaped(value: string, field: string, what: string, maxLength = 256): void {
  if (KEY_SHAPED.test(value) || value.length > maxLength) {
    throw invalidConfig(field, `looks like key material, not ${what}; nothing was sent`)
  }
}

/** An `externalRef` as Altinn takes it (docs/protocol.md §8): 1 to 255 of A-Z a-z 0-9 æøå ÆØÅ _ -. */
export const EXTERNAL_REF_PATTERN = /^[A-Za-z0-9æøåÆØÅ_-]{1,255}$/

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A `resource` Maskinporten takes (RFC 8707 §2): an absolute URI without a fragment. */
function isTarget(uri: string): boolean {
  return URL.canParse(uri) && !uri.includes('#') && !/\s/.test(uri)
}

/** Checks a scope and grant options; org numbers come back as bare nine digits. Throws `invalid_config`. */
export function grantParams(scope: string | readonly string[], options?: GrantOptions | null): GrantParams {
  const opts = options ?? {}
  if (typeof opts !== 'object') throw invalidConfig('options', 'must be an object')
  // Each field of the right type (a throwing getter, a BigInt, a non-iterable resource: invalid_config) before use.
  requestFields(opts, 'options')
  const isList = Array.isArray(scope) && scope.every((s: unknown) => typeof s === 'string')
  if (typeof scope !== 'string' && !isList) throw invalidConfig('scope', 'must be a string of scopes or a list of strings')
  const scopes = splitScopes(scope)
  if (scopes.length === 0) throw invalidConfig('scope', 'is empty: at least one scope is required')
  // Maskinporten repeats unknown scopes in its error: key text pasted as a scope would be sent and echoed back.
  for (const s of scopes) refuseKeyShaped(s, 'scope', 'scopes')
  const params: GrantParams = { scope: scopes.join(' ') }
  if (opts.orgNummer !== undefined) params.orgNummer = normalizeOrgNummer(opts.orgNummer, 'orgNummer')
  if (opts.externalRef !== undefined) {
    if (typeof opts.externalRef !== 'string' || opts.externalRef === '') {
      throw invalidConfig('externalRef', 'must be a non-empty string')
    }
    refuseKeyShaped(opts.externalRef, 'externalRef', "a system user's external reference")
    if (!EXTERNAL_REF_PATTERN.test(opts.externalRef)) {
      throw invalidConfig(
        'externalRef',
        `${describeValue(opts.externalRef)} is not an external reference Altinn takes: 1 to 255 of A-Z a-z 0-9 æøå ÆØÅ _ - (Maskinporten answers MP-302); nothing was sent`,
      )
    }
    if (params.orgNummer === undefined) throw invalidConfig('externalRef', 'needs orgNummer (the system user it belongs to)')
    params.externalRef = opts.externalRef
  }
  if (opts.resource !== undefined) {
    const list = typeof opts.resource === 'string' ? [opts.resource] : [...opts.resource]
    if (list.length === 0 || list.some((r) => typeof r !== 'string' || r.trim() === '')) {
      throw invalidConfig('resource', 'must be a non-empty string or a list of them')
    }
    for (const [i, r] of (list as string[]).entries()) {
      refuseKeyShaped(r, 'resource', 'a URI', 2048)
      if (!isTarget(r)) {
        // Named by position, not quoted: a value that is no URI may be a secret pasted into the wrong field.
        throw invalidConfig(
          'resource',
          `entry ${i + 1} is not an absolute URI without a fragment (RFC 8707; Maskinporten answers invalid_target); nothing was sent`,
        )
      }
    }
    params.resource = list as string[]
  }
  if (opts.consumerOrg !== undefined) params.consumerOrg = normalizeOrgNummer(opts.consumerOrg, 'consumerOrg')
  if (opts.consent !== undefined) params.consent = consentParams(opts.consent, params)
  return params
}

/** A consent reference checked: a UUID id, `from` as a party URN; never with a system user. */
function consentParams(consent: unknown, params: GrantParams): { id: string; from: string } {
  if (consent === null || typeof consent !== 'object' || Array.isArray(consent)) {
    throw invalidConfig('consent', 'must be { id, from }')
  }
  const { id, from } = consent as Record<string, unknown>
  if (typeof id !== 'string' || !UUID.test(id)) {
    // Not quoted: a person's number given here by mistake must not be shown.
    throw invalidConfig('consent.id', "must be the consent request's id, a UUID (8-4-4-4-12 hex digits)")
  }
  // Maskinporten takes one authorization_details entry: a consent or a system user, not both.
  if (params.orgNummer !== undefined) {
    throw invalidConfig('consent', 'cannot be combined with orgNummer (a system user): a grant carries one or the other')
  }
  return { id: id.toLowerCase(), from: partyUrn(from, 'consent.from') }
}

// Configs whose clientId and kid were checked for key-shaped text, so the hot path checks each config once.
const CHECKED_CONFIGS = new WeakSet<ResolvedConfig>()

/** Refuses a config whose clientId or kid, which go in every grant, look like key material. */
function checkWireConfig(config: ResolvedConfig): void {
  if (CHECKED_CONFIGS.has(config)) return
  if (typeof config.clientId === 'string') refuseKeyShaped(config.clientId, 'clientId', 'a client id')
  if (typeof config.kid === 'string') refuseKeyShaped(config.kid, 'kid', 'a key id')
  CHECKED_CONFIGS.add(config)
}

// One call into the CSPRNG per 256 grants: a 16-byte randomBytes() per grant costs several microseconds.
const JTI_BYTES = 16
const jtiPool = Buffer.alloc(JTI_BYTES * 256)
let jtiOffset = jtiPool.length

/** A random 128-bit jti, base64url. */
function newJti(): string {
  if (jtiOffset >= jtiPool.length) {
    randomFillSync(jtiPool)
    jtiOffset = 0
  }
  const jti = jtiPool.toString('base64url', jtiOffset, jtiOffset + JTI_BYTES)
  jtiOffset += JTI_BYTES
  return jti
}

/**
 * Signs a grant with a resolved config. With a key in the process: synchronous and without I/O, the hot path of
 * every token request; with a `signer`: a Promise (resolve.ts `finishGrant`). `jti` is for golden tests; leave it
 * out and a random 128-bit one is made.
 */
export function createGrant(config: ResolvedConfig, params: GrantParams, nowMs: number, jti?: string): string | Promise<string> {
  checkWireConfig(config)
  const iat = Math.floor(nowMs / 1000)
  // Claim order and set are Wenche's; Maskinporten rejects claims outside its table (2025).
  const claims: Record<string, unknown> = {
    aud: config.issuer,
    iss: config.clientId,
    sub: config.clientId,
    scope: params.scope,
    iat,
    exp: iat + GRANT_LIFETIME_SECONDS,
    jti: jti ?? newJti(),
  }
  if (params.orgNummer !== undefined) {
    const detail: Record<string, unknown> = {
      type: 'urn:altinn:systemuser',
      systemuser_org: { authority: 'iso6523-actorid-upis', ID: toIso6523(params.orgNummer) },
    }
    if (params.externalRef !== undefined) detail.externalRef = params.externalRef
    claims.authorization_details = [detail]
  }
  if (params.consent !== undefined) {
    claims.authorization_details = [{ type: 'urn:altinn:consent', id: params.consent.id, from: params.consent.from }]
  }
  if (params.resource !== undefined) claims.resource = params.resource
  if (params.consumerOrg !== undefined) claims.consumer_org = params.consumerOrg
  const input = `${grantHeader(config)}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
  return finishGrant(config, input, nowMs)
}

/** {@link createGrant} for a key in the process: always synchronous. Throws `jwt_sign_failed` for a config with a signer. */
export function signGrant(config: ResolvedConfig, params: GrantParams, nowMs: number, jti?: string): string {
  if (config.signer) throw new MaskinportenError('jwt_sign_failed', 'Signing the grant failed: a signer signs asynchronously; use createGrant')
  return createGrant(config, params, nowMs, jti) as string
}

/**
 * Builds and signs the JWT grant that Maskinporten's token endpoint takes as `assertion`.
 *
 * Header `{alg: "RS256", kid}` (or `{alg: "RS256", x5c}` with a business certificate); claims `aud` (the issuer), `iss` = `sub` = client id, `scope`, `iat`,
 * `exp = iat + 119`, a random `jti`, and only when asked `authorization_details` (system user), `resource`,
 * `consumer_org`. A grant is single-use and lives 119 seconds. It is a credential: do not log it.
 *
 * @example
 * ```ts
 * const grant = await buildJwtGrant(config, defaultScopes(), { orgNummer: '310702641' })
 * ```
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_jwtgrant
 */
export async function buildJwtGrant(
  config: MaskinportenConfig,
  scope: string,
  opts: GrantOptions = {},
): Promise<string> {
  const resolved = resolveConfig(config)
  return withSecretsMasked(resolved, async () => {
    const params = grantParams(scope, opts)
    const now: unknown = opts?.now ?? Date.now
    if (typeof now !== 'function') throw invalidConfig('now', `must be a function returning epoch milliseconds, got ${describeValue(now, false)}`)
    let nowMs: unknown
    try {
      nowMs = (now as () => unknown)()
    } catch {
      // The clock's own error is not kept: it is the caller's code and may quote anything.
      throw invalidConfig('now', 'threw when called; it must return epoch milliseconds')
    }
    // A clock that is not a number would give a grant with no valid iat/exp, and let an expired certificate through.
    if (typeof nowMs !== 'number' || !Number.isFinite(nowMs)) throw invalidConfig('now', `must return epoch milliseconds, returned ${describeValue(nowMs, false)}`)
    return await createGrant(resolved, params, nowMs)
  })
}
