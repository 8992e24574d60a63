/**
 * The tokens the emulator issues: Maskinporten access tokens (docs/protocol.md §3–§4) and Altinn tokens (§5), each
 * signed with its own RSA 2048 key made at start, published as a JWKS.
 */
import { createPublicKey, generateKeyPair, randomBytes, randomUUID, type KeyObject } from 'node:crypto'
import { promisify } from 'node:util'
import { publicJwk, type PublicJwk } from '../signing/keys.js'
import { toIso6523 } from '../config/orgnummer.js'
import { signJwt } from './jwt.js'
import type { ValidGrant } from './maskinporten/rules.js'
import { selfSignedCertificate } from './altinn/certificate.js'
import { delegationSource } from './unconfirmed.js'

const generateKeyPairAsync = promisify(generateKeyPair)

/** Lifetime of an Altinn token, seconds: 30 minutes, whatever the Maskinporten token's (Altinn's source). */
export const ALTINN_TOKEN_LIFETIME_SECONDS = 1800

/** One signing key of the emulator, with what its tokens' headers and its JWKS need. */
export interface SigningKey {
  privateKey: KeyObject
  publicKey: KeyObject
  kid: string
  /** The key's public JWK, `kid` included. */
  jwk: PublicJwk | CertifiedJwk
  /** With a certificate: its SHA-1 thumbprint, base64url. */
  x5t?: string
}

/** A JWKS entry as Altinn publishes its keys: `x5t` and `x5c` of the certificate, no `alg` (docs/protocol.md §8). */
export interface CertifiedJwk {
  kty: 'RSA'
  use: 'sig'
  kid: string
  x5t: string
  e: string
  n: string
  x5c: string[]
}

/**
 * Makes a fresh RSA 2048 signing key. `certified`: with a self-signed certificate, whose SHA-1 thumbprint is the
 * `kid` (upper-case hex) and `x5t` (base64url), as Altinn's key (docs/protocol.md §8); else Maskinporten-style, the
 * kid the JWK thumbprint.
 */
export async function makeSigningKey(certified = false): Promise<SigningKey> {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 })
  const publicKey = createPublicKey(privateKey)
  const jwk = publicJwk(publicKey)
  if (!certified) return { privateKey, publicKey, kid: jwk.kid, jwk }
  const cert = selfSignedCertificate(privateKey, publicKey, 'Wenche emulated Altinn token signing')
  const kid = cert.thumbprintHex
  const certifiedJwk: CertifiedJwk = { kty: 'RSA', use: 'sig', kid, x5t: cert.x5t, e: jwk.e, n: jwk.n, x5c: [cert.x5c] }
  return { privateKey, publicKey, kid, jwk: certifiedJwk, x5t: cert.x5t }
}

const iso = (orgNummer: string) => ({ authority: 'iso6523-actorid-upis', ID: toIso6523(orgNummer) })

/** The claims of a Maskinporten access token for a valid grant, in the order real tokens have them. */
export function maskinportenClaims(
  grant: ValidGrant,
  opts: { issuer: string; altinnUrl: string; now: number },
): Record<string, unknown> {
  const { client } = grant
  const iat = Math.floor(opts.now)
  const claims: Record<string, unknown> = {
    scope: grant.scopes.join(' '),
    iss: opts.issuer,
    client_amr: grant.clientAmr ?? 'private_key_jwt',
    token_type: 'Bearer',
    exp: iat + client.tokenLifetimeSeconds,
    iat,
    client_id: client.clientId,
    // 32 random bytes: 43 base64url characters, as in real tokens.
    jti: randomBytes(32).toString('base64url'),
    // On a delegated token the consumer is the customer and the client's owner is the supplier.
    consumer: iso(grant.consumerOrg ?? client.orgNummer),
  }
  if (grant.audience !== undefined) claims.aud = grant.audience
  if (grant.systemUser) claims.authorization_details = [grant.systemUser.tokenDetail]
  if (grant.consent) claims.authorization_details = [grant.consent.tokenDetail]
  if (grant.consumerOrg !== undefined) {
    claims.supplier = iso(client.orgNummer)
    claims.delegation_source = delegationSource(opts.altinnUrl)
  }
  if (grant.pid !== undefined) claims.pid = grant.pid
  return claims
}

/** Signs a token with one of the emulator's keys; header `{kid, alg}` as Maskinporten's, plus `x5t, typ` as Altinn's. */
export function signToken(
  key: SigningKey,
  claims: Record<string, unknown>,
  style: 'maskinporten' | 'altinn',
): Promise<string> {
  const header =
    style === 'maskinporten'
      ? { kid: key.kid, alg: 'RS256' }
      : { alg: 'RS256', kid: key.kid, ...(key.x5t === undefined ? {} : { x5t: key.x5t }), typ: 'JWT' }
  return signJwt(header, claims, key.privateKey)
}

/**
 * The claims of an Altinn token for a verified Maskinporten token: copied minus `aud`, `iss`, `client_amr` (and the
 * old times and jti), with Altinn's own added.
 */
export function altinnClaims(
  mp: Record<string, unknown>,
  opts: { altinnIssuer: string; orgNummer: string; now: number },
): Record<string, unknown> {
  const { aud: _aud, iss: _iss, client_amr: _amr, jti: _jti, iat: _iat, exp: _exp, nbf: _nbf, ...kept } = mp
  const now = Math.floor(opts.now)
  const claims: Record<string, unknown> = {
    ...kept,
    'urn:altinn:orgNumber': opts.orgNummer,
    'urn:altinn:authenticatemethod': 'maskinporten',
    'urn:altinn:authlevel': 3,
    jti: randomUUID(),
    sid: randomUUID(),
    iss: opts.altinnIssuer,
    iat: now,
    nbf: now,
    exp: now + ALTINN_TOKEN_LIFETIME_SECONDS,
  }
  // Altinn's quirk: a single-entry authorization_details array comes back as one object.
  const details = kept.authorization_details
  if (Array.isArray(details) && details.length === 1) claims.authorization_details = details[0]
  return claims
}
