/**
 * Maskinporten's endpoints: the metadata document, the JWKS, and `POST /token` (docs/protocol.md §1, §3).
 *
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_token
 */
import { mediaType, methodNotAllowed, readBody, sendJson, type Call } from '../call.js'
import { withFaults } from '../faults.js'
import { underIssuer } from '../issuer.js'
import { REJECT, rejectionBody, type Rejection } from './rejections.js'
import { validateGrant } from './rules.js'
import { maskinportenClaims, signToken } from '../tokens.js'
import { GRANT_ALGS } from '../jwt.js'

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
// RFC 6749 §5.1: token responses must not be cached.
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' }

/** `GET /.well-known/oauth-authorization-server`: the shape of test.maskinporten.no's, with this server's URLs. */
export function metadata(call: Call): void {
  const { issuer } = call.state
  sendJson(call, 200, {
    issuer,
    token_endpoint: underIssuer(issuer, 'token'),
    jwks_uri: underIssuer(issuer, 'jwk'),
    grant_types_supported: [JWT_BEARER],
    token_endpoint_auth_methods_supported: ['private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: [...GRANT_ALGS],
    authorization_details_types_supported: ['urn:altinn:systemuser', 'urn:altinn:consent'],
  })
}

/** `GET /jwk`: the keys Maskinporten tokens are signed with. */
export function jwk(call: Call): void {
  sendJson(call, 200, { keys: [call.state.maskinportenKey.jwk] })
}

/** The `assertion` of a form body, or the rejection of the request itself. */
function assertionOf(call: Call, body: Buffer): string | Rejection {
  if (mediaType(call) !== 'application/x-www-form-urlencoded') return REJECT.notForm
  const form = new URLSearchParams(body.toString('utf8'))
  // RFC 6749 §3.2: request parameters must not be repeated. Other parameters (client_id, ...) are ignored.
  if (form.getAll('grant_type').length > 1 || form.getAll('assertion').length > 1) return REJECT.repeated
  if (form.get('grant_type') !== JWT_BEARER) return REJECT.grantType
  const assertion = form.get('assertion')
  return assertion ? assertion : REJECT.noAssertion
}

/** `POST /token`: a JWT grant in, an access token or Maskinporten's error out. */
export function token(call: Call): Promise<void> {
  return withFaults(call, 'token', answerToken)
}

async function answerToken(call: Call): Promise<'issued' | 'rejected'> {
  const { state } = call
  if (call.req.method !== 'POST') {
    methodNotAllowed(call, ['POST'])
    return 'rejected'
  }
  const body = await readBody(call)
  if (body === undefined) return 'rejected'
  const assertion = assertionOf(call, body)
  const now = state.now() / 1000
  const verdict =
    typeof assertion === 'string'
      ? validateGrant(assertion, { issuer: state.issuer, now, clients: state.clients, replay: state.replay, consents: state.consents, anchors: state.anchors })
      : ({ ok: false, rejection: assertion } as const)
  if (!verdict.ok) {
    const { status = 400, retryAfterSeconds } = verdict.rejection
    const retry: Record<string, string> = retryAfterSeconds === undefined ? {} : { 'Retry-After': String(retryAfterSeconds) }
    sendJson(call, status, rejectionBody(verdict.rejection, state.issuer), { ...NO_STORE, ...retry })
    return 'rejected'
  }
  const { grant } = verdict
  const claims = maskinportenClaims(grant, { issuer: state.issuer, altinnUrl: state.altinnUrl, now })
  const accessToken = await signToken(state.maskinportenKey, claims, 'maskinporten')
  const answer = {
    access_token: accessToken,
    token_type: 'Bearer',
    // Observed on real answers: one less than the token's lifetime (119 for 120 s).
    expires_in: grant.client.tokenLifetimeSeconds - 1,
    scope: grant.scopes.join(' '),
  }
  sendJson(call, 200, answer, NO_STORE)
  return 'issued'
}
