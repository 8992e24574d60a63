/**
 * Compact JWS, as far as the emulator needs it: strict decoding, RS256/RS384/RS512 verification and signing, all
 * with `node:crypto` (the emulator has no runtime dependencies).
 *
 * @see https://www.rfc-editor.org/rfc/rfc7515
 */
import { sign as signCb, verify, type KeyObject } from 'node:crypto'

/** The algorithms Maskinporten accepts on a grant (its metadata's `token_endpoint_auth_signing_alg_values_supported`). */
export const GRANT_ALGS = ['RS256', 'RS384', 'RS512'] as const
/** One of {@link GRANT_ALGS}. */
export type GrantAlg = (typeof GRANT_ALGS)[number]

const HASH: Record<GrantAlg, string> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' }

/** A JWS split into its parts; nothing is verified yet. */
export interface DecodedJws {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  /** `base64url(header) + '.' + base64url(payload)`, the bytes the signature covers. */
  signingInput: string
  signature: Buffer
}

const B64URL = /^[A-Za-z0-9_-]*$/

function jsonObject(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** Splits a compact JWS; `undefined` when it is not three base64url parts with JSON-object header and payload. */
export function decodeJws(token: string): DecodedJws | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  const [h, p, s] = parts as [string, string, string]
  // An empty signature is a well-formed unsecured JWS (`alg: none`); the alg rule refuses it, as Digdir does.
  if (h === '' || p === '' || !B64URL.test(h) || !B64URL.test(p) || !B64URL.test(s)) return undefined
  const header = jsonObject(h)
  const payload = jsonObject(p)
  if (!header || !payload) return undefined
  return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') }
}

/** True when `alg` is one the grant may use. */
export function isGrantAlg(alg: unknown): alg is GrantAlg {
  return typeof alg === 'string' && (GRANT_ALGS as readonly string[]).includes(alg)
}

/** RSASSA-PKCS1-v1_5 verification of a decoded JWS with `alg`. */
export function verifyJws(jws: DecodedJws, alg: GrantAlg, key: KeyObject): boolean {
  try {
    return verify(HASH[alg], Buffer.from(jws.signingInput), key, jws.signature)
  } catch {
    return false
  }
}

/**
 * Signs a JWT with RS256. The callback form of `crypto.sign` runs in libuv's thread pool, so a busy emulator signs
 * on every core instead of blocking its event loop.
 */
export function signJwt(header: Record<string, unknown>, payload: Record<string, unknown>, key: KeyObject): Promise<string> {
  const input = `${b64json(header)}.${b64json(payload)}`
  return new Promise((resolve, reject) => {
    signCb('sha256', Buffer.from(input), key, (err, signature) => {
      if (err) reject(err)
      else resolve(`${input}.${signature.toString('base64url')}`)
    })
  })
}

function b64json(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}
