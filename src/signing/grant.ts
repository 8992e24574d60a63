/**
 * The JWT grant (the `assertion` of RFC 7523): Wenche's claims, nothing more, signed RS256 with the client's key.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7523#section-3
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_jwtgrant
 */
import { randomFillSync } from 'node:crypto'
import { resolveConfig, type MaskinportenConfig, type ResolvedConfig } from '../config/config.js'
import { invalidConfig, MaskinportenError } from '../errors/errors.js'
import { finishGrant, grantHeader } from './resolve.js'
import { normalizeOrgNummer, toIso6523 } from '../config/orgnummer.js'
import { splitScopes } from '../config/scopes.js'

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
  /** The clock (epoch ms). Default `Date.now`. */
  now?: () => number
}

/** Grant options checked and normalised, ready to sign. */
export interface GrantParams {
  scope: string
  orgNummer?: string
  externalRef?: string
  resource?: string[]
  consumerOrg?: string
}

/** Checks a scope and grant options; org numbers come back as bare nine digits. Throws `invalid_config`. */
export function grantParams(scope: string | readonly string[], options?: GrantOptions | null): GrantParams {
  const opts = options ?? {}
  if (typeof opts !== 'object') throw invalidConfig('options', 'must be an object')
  const isList = Array.isArray(scope) && scope.every((s: unknown) => typeof s === 'string')
  if (typeof scope !== 'string' && !isList) throw invalidConfig('scope', 'must be a string of scopes or a list of strings')
  const scopes = splitScopes(scope)
  if (scopes.length === 0) throw invalidConfig('scope', 'is empty: at least one scope is required')
  // Maskinporten repeats unknown scopes in its error: key text pasted as a scope would be sent and echoed back.
  if (scopes.some((s) => /-----BEGIN|PRIVATE|"kty"|"d"\s*:/.test(s) || s.length > 256)) {
    throw invalidConfig('scope', 'looks like key material, not scopes; nothing was sent')
  }
  const params: GrantParams = { scope: scopes.join(' ') }
  if (opts.orgNummer !== undefined) params.orgNummer = normalizeOrgNummer(opts.orgNummer, 'orgNummer')
  if (opts.externalRef !== undefined) {
    if (typeof opts.externalRef !== 'string' || opts.externalRef === '') {
      throw invalidConfig('externalRef', 'must be a non-empty string')
    }
    if (params.orgNummer === undefined) throw invalidConfig('externalRef', 'needs orgNummer (the system user it belongs to)')
    params.externalRef = opts.externalRef
  }
  if (opts.resource !== undefined) {
    const list = typeof opts.resource === 'string' ? [opts.resource] : [...opts.resource]
    if (list.length === 0 || list.some((r) => typeof r !== 'string' || r.trim() === '')) {
      throw invalidConfig('resource', 'must be a non-empty string or a list of them')
    }
    params.resource = list
  }
  if (opts.consumerOrg !== undefined) params.consumerOrg = normalizeOrgNummer(opts.consumerOrg, 'consumerOrg')
  return params
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
  const params = grantParams(scope, opts)
  return await createGrant(resolved, params, (opts?.now ?? Date.now)())
}
