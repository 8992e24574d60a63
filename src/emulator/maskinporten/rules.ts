/**
 * Grant validation: every rule of docs/protocol.md §2–§4, in the order a client is best helped by (the first broken rule
 * is the one reported): format, header `alg`, `iss`, key (`kid`/`x5c`), signature, `aud`, time, claim set and
 * values, `jti` replay, scopes, `authorization_details`, `consumer_org` delegation.
 *
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_jwtgrant
 */
import { createHash, X509Certificate } from 'node:crypto'
import { parseOrgNummer } from '../../config/orgnummer.js'
import { decodeJws, isGrantAlg, verifyJws, type DecodedJws } from '../jwt.js'
import type { ClientKey, ClientRegistry, RegisteredClient } from '../registry.js'
import { verifyCertificateGrant, type TrustAnchors } from './certificates.js'
import type { ConsentGrant, ConsentRegistry } from './consent.js'
import { checkAuthorizationDetails } from './details.js'
import { REJECT, invalidScope, notDelegated, notGranted, replayMemoryFull, type Rejection } from './rejections.js'
import type { ReplayMemory } from './replay.js'
import type { SystemUserGrant } from './systemuser.js'
import {
  ALLOWED_CLAIMS,
  CONSUMER_ORG_WITH_SYSTEMUSER_REJECTED,
  IAT_SKEW_SECONDS,
  MAX_GRANT_LIFETIME_SECONDS,
  PID_PATTERN,
  RESOURCE_STRING_ACCEPTED,
  SUB_MUST_EQUAL_ISS,
  TOLERATED_TYP,
  USER_LOGIN_ONLY_SCOPES,
} from '../unconfirmed.js'

/** What the rules need from the server. */
export interface GrantContext {
  /** The issuer; the grant's `aud` must be exactly this string. */
  issuer: string
  /** The emulator's clock, epoch seconds (fractional). */
  now: number
  clients: ClientRegistry
  replay: ReplayMemory
  /** Trust anchors for business certificate (`x5c`) grants. */
  anchors: TrustAnchors
  consents: ConsentRegistry
}

/** A grant that passed every rule: what the token will say. */
export interface ValidGrant {
  client: RegisteredClient
  scopes: string[]
  systemUser?: SystemUserGrant
  consent?: ConsentGrant
  /** The delegating customer of a supplier grant. */
  consumerOrg?: string
  /** The token's `aud`. */
  audience?: string | string[]
  pid?: string
  /** `client_amr` of the token: set for business certificate grants. */
  clientAmr?: 'virksomhetssertifikat'
}

/** The verdict on a grant. */
export type GrantVerdict = { ok: true; grant: ValidGrant } | { ok: false; rejection: Rejection }

class Rejected {
  constructor(readonly rejection: Rejection) {}
}

function check(condition: boolean, rejection: Rejection): asserts condition {
  if (!condition) throw new Rejected(rejection)
}

/** An `x5c` is well-formed when it is a non-empty array of standard base64 DER certificates (RFC 7515 §4.1.6). */
function wellFormedX5c(x5c: unknown): boolean {
  if (!Array.isArray(x5c) || x5c.length === 0) return false
  return x5c.every((cert) => {
    if (typeof cert !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(cert)) return false
    try {
      new X509Certificate(Buffer.from(cert, 'base64'))
      return true
    } catch {
      return false
    }
  })
}

/** The key a grant's header names: a registered key by `kid`, or a business certificate's (`x5c`, certificates.ts). */
function selectKey(header: Record<string, unknown>, client: RegisteredClient, ctx: GrantContext): Pick<ClientKey, 'key'> & { certificate?: true } {
  const { kid, x5c } = header
  const now = ctx.now
  check(x5c === undefined || wellFormedX5c(x5c), REJECT.badX5c)
  if (kid === undefined) {
    check(x5c !== undefined, REJECT.noKid)
    const verdict = verifyCertificateGrant(x5c as string[], client, ctx.anchors, now * 1000)
    if (!verdict.ok) throw new Rejected(verdict.rejection)
    return { key: verdict.key, certificate: true }
  }
  const key = typeof kid === 'string' ? client.keys.get(kid) : undefined
  check(key !== undefined, REJECT.unknownKid)
  // Maskinporten keys live one year; an expired one is refused by its own code (MP-121).
  check(key.expiresAt === undefined || key.expiresAt > now, REJECT.expiredKey)
  return key
}

function checkHeader(header: Record<string, unknown>): void {
  // `crit` names extensions the server must understand (RFC 7515 §4.1.11); none are.
  check(header.crit === undefined, REJECT.invalidJwt)
  const { typ } = header
  check(typ === undefined || (typeof typ === 'string' && typ.toUpperCase() === TOLERATED_TYP), REJECT.invalidJwt)
  // `none`, HMAC, PSS and EC are all refused as a bad signature (docs/protocol.md §3).
  check(isGrantAlg(header.alg), REJECT.badSignature)
}

function checkTime(claims: Record<string, unknown>, now: number): void {
  const { iat, exp, nbf } = claims
  // A missing or non-numeric time is treated as a wrong one (docs/protocol.md §3: MP-130).
  check(typeof exp === 'number' && Number.isFinite(exp), REJECT.expired)
  check(typeof iat === 'number' && Number.isFinite(iat), REJECT.expired)
  check(exp - iat <= MAX_GRANT_LIFETIME_SECONDS, REJECT.expired)
  // A grant that ends before it begins is no grant (unconfirmed.ts, item 3).
  check(exp >= iat, REJECT.expired)
  check(iat <= now + IAT_SKEW_SECONDS, REJECT.issuedInFuture)
  check(exp > now, REJECT.expired)
  check(iat >= now - IAT_SKEW_SECONDS, REJECT.expired)
  if (nbf !== undefined) {
    check(typeof nbf === 'number' && Number.isFinite(nbf), REJECT.invalidParameter)
    check(nbf <= now + IAT_SKEW_SECONDS, REJECT.notYetValid)
  }
}

function absoluteUri(value: unknown): value is string {
  if (typeof value !== 'string' || value === '') return false
  try {
    return new URL(value).protocol.length > 1
  } catch {
    return false
  }
}

/** RFC 8707 §2: a resource is an absolute URI without a fragment; anything else is `invalid_target`. */
function checkTarget(uri: string): void {
  check(absoluteUri(uri) && !uri.includes('#'), REJECT.invalidTarget)
}

/** The token's `aud` from `resource`: one URI, or several. Digdir supports only arrays; strings are seen too. */
function audienceOf(resource: unknown): string | string[] | undefined {
  if (resource === undefined) return undefined
  if (typeof resource === 'string') {
    check(RESOURCE_STRING_ACCEPTED, REJECT.invalidParameter)
    checkTarget(resource)
    return resource
  }
  check(Array.isArray(resource) && resource.length > 0 && resource.every((r) => typeof r === 'string'), REJECT.invalidParameter)
  const uris = resource as string[]
  uris.forEach(checkTarget)
  return uris.length === 1 ? uris[0] : uris
}

/** Claim set and values: nothing undocumented (Digdir, 2025), and each claim of the right shape. */
function checkClaims(claims: Record<string, unknown>, client: RegisteredClient): void {
  check(Object.keys(claims).every((name) => ALLOWED_CLAIMS.has(name)), REJECT.invalidParameter)
  check(!SUB_MUST_EQUAL_ISS || claims.sub === undefined || claims.sub === claims.iss, REJECT.invalidParameter)
  const { jti, scope, pid, consumer_org: consumerOrg, iss_onbehalfof: onBehalfOf } = claims
  check(jti === undefined || (typeof jti === 'string' && jti !== ''), REJECT.invalidParameter)
  check(scope === undefined || typeof scope === 'string', REJECT.invalidParameter)
  check(pid === undefined || (typeof pid === 'string' && PID_PATTERN.test(pid)), REJECT.invalidParameter)
  // Deprecated but still in Digdir's table (docs/protocol.md §8): a string is not refused for being there.
  check(onBehalfOf === undefined || (typeof onBehalfOf === 'string' && onBehalfOf !== ''), REJECT.invalidParameter)
  if (consumerOrg !== undefined) {
    // A bare nine-digit org (no 0192: prefix), not mixed with iss_onbehalfof or a system user (a consent may be
    // the delegating customer's: docs/consent.md).
    check(typeof consumerOrg === 'string' && /^\d{9}$/.test(consumerOrg), REJECT.invalidParameter)
    check(parseOrgNummer(consumerOrg).ok && onBehalfOf === undefined, REJECT.invalidParameter)
    // Digdir's own text for a client asking on behalf of itself (docs/protocol.md §8).
    check(consumerOrg !== client.orgNummer, REJECT.ownConsumerOrg)
    check(!CONSUMER_ORG_WITH_SYSTEMUSER_REJECTED || !isSystemUserDetails(claims.authorization_details), REJECT.invalidParameter)
  }
}

function isSystemUserDetails(details: unknown): boolean {
  if (details === undefined) return false
  // Anything but a well-formed consent counts as a system user grant here; its own checks come later.
  return !(Array.isArray(details) && details.length === 1 && (details[0] as { type?: unknown } | null)?.type === 'urn:altinn:consent')
}

function checkReplay(jws: DecodedJws, client: RegisteredClient, ctx: GrantContext): void {
  const { jti, exp } = jws.payload
  const id = typeof jti === 'string' ? `jti:${jti}` : `sig:${jws.signature.toString('base64url')}`
  // Hashed so that a huge jti cannot grow the memory; per client, as kids and jtis are the client's own.
  const key = createHash('sha256').update(client.clientId).update('\0').update(id).digest('base64url')
  const seen = ctx.replay.use(key, exp as number, ctx.now)
  // Full of grants that are all still live: refuse for now rather than forget one (it could then be replayed).
  check(typeof seen !== 'number', replayMemoryFull(typeof seen === 'number' ? seen : 0))
  check(seen, REJECT.replayed)
}

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces.
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

function checkScopes(scope: unknown, client: RegisteredClient): string[] {
  // Spaces only: a tab or newline is part of a (then unknown) scope, not a separator.
  const scopes = typeof scope === 'string' ? [...new Set(scope.split(' ').filter((s) => s !== ''))] : []
  check(scopes.length > 0, REJECT.noScopes)
  const malformed = scopes.find((s) => !SCOPE_TOKEN.test(s))
  check(malformed === undefined, invalidScope(JSON.stringify(malformed ?? '').slice(1, -1)))
  check(!scopes.some((s) => USER_LOGIN_ONLY_SCOPES.has(s)), REJECT.userLoginScope)
  const unregistered = scopes.find((s) => !client.scopes.has(s))
  check(unregistered === undefined, invalidScope(unregistered ?? ''))
  // On the client, but the API owner has not given the organisation access (docs/protocol.md §8).
  const notYetGranted = scopes.find((s) => !client.grantedScopes.has(s))
  check(notYetGranted === undefined, notGranted(notYetGranted ?? ''))
  return scopes
}

function checkDelegation(consumerOrg: string, scopes: string[], client: RegisteredClient): void {
  for (const scope of scopes) {
    const delegated = client.delegations.some((d) => d.consumerOrg === consumerOrg && d.scopes.has(scope))
    check(delegated, notDelegated(consumerOrg, scope, client.orgNummer))
  }
}

function validate(assertion: string, ctx: GrantContext): ValidGrant {
  const jws = decodeJws(assertion)
  check(jws !== undefined, REJECT.invalidJwt)
  const { header, payload: claims } = jws
  checkHeader(header)
  const client = typeof claims.iss === 'string' ? ctx.clients.get(claims.iss) : undefined
  check(client !== undefined, REJECT.unknownClient)
  const key = selectKey(header, client, ctx)
  check(verifyJws(jws, header.alg as 'RS256', key.key), REJECT.badSignature)
  // Exactly the issuer string: not the token endpoint, not an array (docs/protocol.md §1).
  check(claims.aud === ctx.issuer, REJECT.badAudience)
  checkTime(claims, ctx.now)
  checkClaims(claims, client)
  const audience = audienceOf(claims.resource)
  checkReplay(jws, client, ctx)
  const scopes = checkScopes(claims.scope, client)
  const grant: ValidGrant = { client, scopes }
  if (key.certificate) grant.clientAmr = 'virksomhetssertifikat'
  if (claims.authorization_details !== undefined) {
    const forOrg = typeof claims.consumer_org === 'string' ? claims.consumer_org : client.orgNummer
    const details = checkAuthorizationDetails(claims.authorization_details, client, { consents: ctx.consents, forOrg, now: ctx.now })
    if (!details.ok) throw new Rejected(details.rejection)
    if ('systemUser' in details.grant) grant.systemUser = details.grant.systemUser
    else grant.consent = details.grant.consent
  }
  if (typeof claims.consumer_org === 'string') {
    checkDelegation(claims.consumer_org, scopes, client)
    grant.consumerOrg = claims.consumer_org
  }
  if (audience !== undefined) grant.audience = audience
  if (typeof claims.pid === 'string') grant.pid = claims.pid
  return grant
}

/** Validates a grant (the `assertion` of a token request) by every rule; the first rule broken is reported. */
export function validateGrant(assertion: string, ctx: GrantContext): GrantVerdict {
  try {
    return { ok: true, grant: validate(assertion, ctx) }
  } catch (err) {
    if (err instanceof Rejected) return { ok: false, rejection: err.rejection }
    throw err
  }
}
