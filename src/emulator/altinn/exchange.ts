/**
 * Altinn's token exchange and its OpenID keys (docs/protocol.md §5, from Altinn's authentication service source):
 * a Maskinporten token of this emulator in, an Altinn token out.
 *
 * @see https://docs.altinn.studio/authentication/
 */
import { randomBytes } from 'node:crypto'
import { ORGNR_PREFIX } from '../../config/orgnummer.js'
import { methodNotAllowed, send, sendJson, type Call, type EmulatorState } from '../call.js'
import { withFaults } from '../faults.js'
import { decodeJws, verifyJws } from '../jwt.js'
import { altinnClaims, signToken, type SigningKey } from '../tokens.js'
import { maskTokens } from '../../errors/errors.js'
import {
  ALTINN_OPENID_ENDPOINTS,
  ALTINN_SKEW_SECONDS,
  ENTERPRISE_USER_GONE_DETAIL,
  SERVICE_OWNER_PREFIX,
  serviceOwnerCode,
  VERIFIABLE_PROVIDERS,
} from '../unconfirmed.js'

/** Path prefix of the exchange endpoint; the provider follows. */
export const EXCHANGE_PREFIX = '/authentication/api/v1/exchange/'
/** Path of Altinn's OpenID configuration. */
export const OPENID_CONFIGURATION = '/authentication/api/v1/openid/.well-known/openid-configuration'
/** Path of Altinn's JWKS (its `jwks_uri`), below the configuration as on platform.altinn.no. */
export const ALTINN_JWKS = `${OPENID_CONFIGURATION}/jwks`

// Provider names are matched case-insensitively (Altinn's source lower-cases them).
const PROVIDERS = new Set(['maskinporten', 'id-porten', 'altinnstudio'])
const PROBLEM_JSON = 'application/problem+json; charset=utf-8'

/** The `iss` of Altinn tokens. */
export function altinnIssuer(state: EmulatorState): string {
  return `${state.altinnUrl}/authentication/api/v1/openid/`
}

/** `GET .../openid-configuration`: the members Altinn's has (docs/protocol.md §8), with this server's URLs. */
export function openidConfiguration(call: Call): void {
  const { state } = call
  const issuer = altinnIssuer(state)
  sendJson(call, 200, {
    issuer,
    jwks_uri: `${issuer}.well-known/openid-configuration/jwks`,
    ...ALTINN_OPENID_ENDPOINTS(state.altinnUrl),
    response_types_supported: ['token'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
  })
}

/** `GET .../openid-configuration/jwks`: the certificate-backed key Altinn tokens are signed with (x5t, x5c, no alg). */
export function altinnJwks(call: Call): void {
  sendJson(call, 200, { keys: [call.state.altinnKey.jwk] })
}

/** The customer org of a Maskinporten token's `consumer`, or undefined. */
function consumerOrg(consumer: unknown): string | undefined {
  if (consumer === null || typeof consumer !== 'object') return undefined
  const id = (consumer as Record<string, unknown>).ID
  if (typeof id !== 'string' || !id.startsWith(ORGNR_PREFIX)) return undefined
  const org = id.slice(ORGNR_PREFIX.length)
  return /^\d{9}$/.test(org) ? org : undefined
}

/**
 * The claims of a Maskinporten token that verifies against `key` (RS256, its kid), was issued by `issuer`, is within
 * its lifetime give or take Altinn's skew, and names a `consumer`; undefined otherwise.
 */
export function checkMaskinportenToken(
  token: string,
  opts: { key: SigningKey; issuer: string; now: number },
): { claims: Record<string, unknown>; orgNummer: string } | undefined {
  const jws = decodeJws(token)
  const { key } = opts
  if (!jws || jws.header.alg !== 'RS256' || jws.header.kid !== key.kid || !verifyJws(jws, 'RS256', key.publicKey)) {
    return undefined
  }
  const claims = jws.payload
  const { exp, iat } = claims
  if (claims.iss !== opts.issuer || typeof exp !== 'number' || typeof iat !== 'number') return undefined
  if (exp + ALTINN_SKEW_SECONDS <= opts.now || iat - ALTINN_SKEW_SECONDS > opts.now) return undefined
  const orgNummer = consumerOrg(claims.consumer)
  return orgNummer === undefined ? undefined : { claims, orgNummer }
}

function bearerToken(call: Call): string | undefined {
  const match = /^Bearer +([^ ]+) *$/i.exec(call.req.headers.authorization ?? '')
  return match?.[1]
}

/** `GET /authentication/api/v1/exchange/{provider}`. */
export function exchange(call: Call): Promise<void> {
  return withFaults(call, 'exchange', answerExchange)
}

async function answerExchange(call: Call): Promise<'issued' | 'rejected'> {
  const { state, req } = call
  call.req.resume()
  if (req.method !== 'GET') {
    methodNotAllowed(call, ['GET'])
    return 'rejected'
  }
  const unauthorized = (): 'rejected' => {
    sendJson(call, 401, problem(401, 'Unauthorized'), {}, PROBLEM_JSON)
    return 'rejected'
  }
  // Altinn's order (docs/protocol.md §8): the bearer first, even before an unknown provider.
  const bearer = bearerToken(call)
  if (bearer === undefined) return unauthorized()
  const raw = safeDecode(call.path.slice(EXCHANGE_PREFIX.length))
  const provider = raw.toLowerCase()
  if (!PROVIDERS.has(provider)) {
    // The segment is echoed as Altinn does, but a token pasted into the URL is not.
    const shown = maskTokens(raw.slice(0, 200))
    const text = `Invalid token provider: ${shown}. Trusted token providers are 'Maskinporten', 'Id-porten' and 'AltinnStudio'.`
    send(call, 400, text, { 'Content-Type': 'text/plain; charset=utf-8' })
    return 'rejected'
  }
  // Only Maskinporten tokens can be verified here; id-porten and altinnstudio tokens never do (see unconfirmed.ts).
  const now = state.now() / 1000
  const mp = VERIFIABLE_PROVIDERS.has(provider)
    ? checkMaskinportenToken(bearer, { key: state.maskinportenKey, issuer: state.issuer, now })
    : undefined
  if (!mp) return unauthorized()
  // Enterprise users (virksomhetsbrukere) are replaced by system users; Altinn answers 410 Gone, after validation.
  if (req.headers['x-altinn-enterpriseuser-authentication'] !== undefined) {
    sendJson(call, 410, enterpriseUserGone(), {}, PROBLEM_JSON)
    return 'rejected'
  }
  const claims = altinnClaims(mp.claims, { altinnIssuer: altinnIssuer(state), orgNummer: mp.orgNummer, now })
  if (isServiceOwnerToken(mp.claims.scope)) {
    const org = serviceOwnerCode(state.serviceOwners, mp.orgNummer, /^true$/i.test(call.query.get('test') ?? ''))
    if (org === undefined) return unauthorized()
    claims['urn:altinn:org'] = org
  }
  const token = await signToken(state.altinnKey, claims, 'altinn')
  // Raw JWT text by default; a JSON string (in quotes) when the client asks for JSON (Altinn's MVC formatters).
  const wantsJson = /\bapplication\/json\b/i.test(req.headers.accept ?? '')
  if (wantsJson) sendJson(call, 200, token)
  else send(call, 200, token, { 'Content-Type': 'text/plain; charset=utf-8' })
  return 'issued'
}

/** True when a space-separated scope string holds an `altinn:serviceowner` scope. */
function isServiceOwnerToken(scope: unknown): boolean {
  return typeof scope === 'string' && scope.split(' ').some((s) => s === SERVICE_OWNER_PREFIX || s.startsWith(`${SERVICE_OWNER_PREFIX}/`))
}

/** The 410 of Altinn's source: problem details naming what replaced enterprise users (docs/protocol.md §8). */
function enterpriseUserGone(): Record<string, unknown> {
  return {
    type: 'https://docs.altinn.studio',
    title: 'Virksomhetsbruker is no longer available',
    status: 410,
    detail: ENTERPRISE_USER_GONE_DETAIL,
    traceId: traceparentId(),
  }
}

function traceparentId(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`
}

/** An ASP.NET problem details body, with a W3C trace id as Altinn's have. */
function problem(status: number, title: string): Record<string, unknown> {
  return {
    type: `https://tools.ietf.org/html/rfc9110#section-15.${status === 401 ? '5.2' : '5.11'}`,
    title,
    status,
    traceId: traceparentId(),
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}
