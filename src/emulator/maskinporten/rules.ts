/**
 * Grant validation: every rule of PROTOCOL.md §2–§4, in the order a client is best helped by (the first broken rule
 * is the one reported): format, header `alg`, `iss`, key (`kid`/`x5c`), signature, `aud`, time, claim set and
 * values, `jti` replay, scopes, `authorization_details`, `consumer_org` delegation.
 *
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_jwtgrant
 */
import { createHash, X509Certificate } from 'node:crypto'
import { parseOrgNummer } from '../../config/orgnummer.js'
import { splitScopes } from '../../config/scopes.js'
import { decodeJws, isGrantAlg, verifyJws, type DecodedJws } from '../jwt.js'
import type { ClientKey, ClientRegistry, RegisteredClient } from '../registry.js'
import { REJECT, invalidScope, notDelegated, type Rejection } from './rejections.js'
import { verifyCertificateGrant, type TrustAnchors } from './certificates.js'
import type { ReplayMemory } from './replay.js'
import { checkAuthorizationDetails, type SystemUserGrant } from './systemuser.js'
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
}

/** A grant that passed every rule: what the token will say. */
export interface ValidGrant {
  client: RegisteredClient
  scopes: string[]
  systemUser?: SystemUserGrant
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
  // `none`, HMAC, PSS and EC are all refused as a bad signature (PROTOCOL.md §3).
  check(isGrantAlg(header.alg), REJECT.badSignature)
}

function checkTime(claims: Record<string, unknown>, now: number): void {
  const { iat, exp, nbf } = claims
  // A missing or non-numeric time is treated as a wrong one (PROTOCOL.md §3: MP-130).
  check(typeof exp === 'number' && Number.isFinite(exp), REJECT.expired)
  check(typeof iat === 'number' && Number.isFinite(iat), REJECT.expired)
  check(exp - iat <= MAX_GRANT_LIFETIME_SECONDS, REJECT.expired)
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

/** The token's `aud` from `resource`: one URI, or several. Digdir supports only arrays; strings are seen too. */
function audienceOf(resource: unknown): string | string[] | undefined {
  if (resource === undefined) return undefined
  if (typeof resource === 'string') {
    check(RESOURCE_STRING_ACCEPTED && absoluteUri(resource), REJECT.invalidParameter)
    return resource
  }
  check(Array.isArray(resource) && resource.length > 0 && resource.every(absoluteUri), REJECT.invalidParameter)
  const uris = resource as string[]
  return uris.length === 1 ? uris[0] : uris
}

/** Claim set and values: nothing undocumented (Digdir, 2025), and each claim of the right shape. */
function checkClaims(claims: Record<string, unknown>, client: RegisteredClient): void {
  check(Object.keys(claims).every((name) => ALLOWED_CLAIMS.has(name)), REJECT.invalidParameter)
  check(!SUB_MUST_EQUAL_ISS || claims.sub === undefined || claims.sub === claims.iss, REJECT.invalidParameter)
  const { jti, scope, pid, consumer_org: consumerOrg } = claims
  check(jti === undefined || (typeof jti === 'string' && jti !== ''), REJECT.invalidParameter)
  check(scope === undefined || typeof scope === 'string', REJECT.invalidParameter)
  check(pid === undefined || (typeof pid === 'string' && PID_PATTERN.test(pid)), REJECT.invalidParameter)
  if (consumerOrg !== undefined) {
    // A bare nine-digit org (no 0192: prefix), not the client's own, and not mixed with a system user.
    check(typeof consumerOrg === 'string' && /^\d{9}$/.test(consumerOrg), REJECT.invalidParameter)
    check(parseOrgNummer(consumerOrg).ok && consumerOrg !== client.orgNummer, REJECT.invalidParameter)
    check(!CONSUMER_ORG_WITH_SYSTEMUSER_REJECTED || claims.authorization_details === undefined, REJECT.invalidParameter)
  }
}

function checkReplay(jws: DecodedJws, client: RegisteredClient, ctx: GrantContext): void {
  const { jti, exp } = jws.payload
  const id = typeof jti === 'string' ? `jti:${jti}` : `sig:${jws.signature.toString('base64url')}`
  // Hashed so that a huge jti cannot grow the memory; per client, as kids and jtis are the client's own.
  const key = createHash('sha256').update(client.clientId).update('\0').update(id).digest('base64url')
  check(ctx.replay.use(key, exp as number, ctx.now), REJECT.replayed)
}

function checkScopes(scope: unknown, client: RegisteredClient): string[] {
  const scopes = typeof scope === 'string' ? splitScopes(scope) : []
  check(scopes.length > 0, REJECT.noScopes)
  check(!scopes.some((s) => USER_LOGIN_ONLY_SCOPES.has(s)), REJECT.userLoginScope)
  const unregistered = scopes.find((s) => !client.scopes.has(s))
  check(unregistered === undefined, invalidScope(unregistered ?? ''))
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
  // Exactly the issuer string: not the token endpoint, not an array (PROTOCOL.md §1).
  check(claims.aud === ctx.issuer, REJECT.badAudience)
  checkTime(claims, ctx.now)
  checkClaims(claims, client)
  const audience = audienceOf(claims.resource)
  checkReplay(jws, client, ctx)
  const scopes = checkScopes(claims.scope, client)
  const grant: ValidGrant = { client, scopes }
  if (key.certificate) grant.clientAmr = 'virksomhetssertifikat'
  if (claims.authorization_details !== undefined) {
    const details = checkAuthorizationDetails(claims.authorization_details, client)
    if (!details.ok) throw new Rejected(details.rejection)
    grant.systemUser = details.grant
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
