/**
 * How a config signs its grants, worked out once: a key in the process or a {@link GrantSigner}, named in the header
 * by `kid` or by a business certificate's `x5c`; and the last step of every grant, the signature.
 *
 * @see docs/certificates.md
 */
import { createHash, createPublicKey, KeyObject, sign, type JsonWebKey } from 'node:crypto'
import { types } from 'node:util'
import { describeValue, invalidConfig, MaskinportenError } from '../errors/errors.js'
import {
  checkCertificateTime,
  describeChain,
  keyMatchesCertificate,
  embeddedKeyOf,
  readPemChain,
  readX5c,
  type CertificateInfo,
} from './certificate.js'
import { loadSigningKey, MIN_RSA_BITS, type KeySource, type PublicJwk } from './keys.js'
import { callSigner, DEFAULT_SIGNER_TIMEOUT_MS, type GrantSigner } from './signer.js'

/** Everything in a config that says how grants are signed. */
export interface SigningSource extends KeySource {
  /**
   * The key id registered with the public key on the client in Digdir's portal; goes in the grant's header.
   * Required with a key or a signer, unless the signer has its own `kid`; not with a business certificate.
   */
  kid?: string
  /** Signs the grants instead of a private key in the process (a KMS, an HSM). Not with `privateKeyPem`/`privateKey`. */
  signer?: GrantSigner
  /**
   * A business certificate (virksomhetssertifikat): the chain as PEM text or bytes, leaf first. The grant then carries
   * `x5c` and no `kid`. The key is `privateKeyPem`/`privateKey`, a `signer`, or a private key block in the same text
   * (as `openssl pkcs12 -nodes` writes it).
   */
  certificate?: string | Uint8Array
  /**
   * The public half of the signer's key (a `KeyObject`, a public JWK, its JSON, or SPKI PEM): each signature the signer
   * returns is verified with it before anything is sent. Not needed with a certificate (its key is used).
   */
  publicKey?: KeyObject | JsonWebKey | PublicJwk | string
}

/** How a resolved config signs: exactly one of `key` and `signer`; exactly one of `kid` and `x5c`. */
export interface ResolvedSigning {
  /** The header's `kid`; absent for certificate grants. */
  kid?: string
  /** The header's `x5c` for certificate grants. */
  x5c?: readonly string[]
  /** The private key, when it is in the process. */
  key?: KeyObject
  signer?: GrantSigner
  /** The key a signer's answers must verify with, when known. */
  verifyKey?: KeyObject
  /** The business certificate, when grants carry one. */
  certificate?: CertificateInfo
}

function checkKid(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalidConfig(field, 'is required: the key id registered with the public key on the client')
  }
  if (value !== value.trim()) throw invalidConfig(field, 'has leading or trailing white space')
  if (/-----BEGIN|"(d|kty)"\s*:/.test(value)) throw invalidConfig(field, 'looks like key material, not a key id; nothing was sent')
  if (/[\u0000-\u001f\u007f]/.test(value)) throw invalidConfig(field, 'holds a control character')
  return value
}

/** The signer's members read once (a getter or Proxy cannot throw past us later), checked, as a plain object. */
function checkSigner(signer: unknown): GrantSigner {
  const shape = 'must be an object with a sign(data) method returning a Promise of the signature bytes'
  if (signer === null || typeof signer !== 'object') throw invalidConfig('signer', `${shape}, got ${describeValue(signer)}`)
  let sign: unknown, kid: unknown, x5c: unknown, alg: unknown
  try {
    ;({ sign, kid, x5c, alg } = signer as Record<string, unknown>)
  } catch {
    throw invalidConfig('signer', 'could not be read (a getter threw)')
  }
  if (typeof sign !== 'function') throw invalidConfig('signer', shape)
  if (alg !== undefined && alg !== 'RS256') {
    throw invalidConfig('signer.alg', `must be "RS256" (the only algorithm supported), got ${describeValue(alg)}`)
  }
  if (kid !== undefined && typeof kid !== 'string') throw invalidConfig('signer.kid', `must be a string, got ${describeValue(kid)}`)
  const checked: GrantSigner = { sign: (data, options) => (sign as GrantSigner['sign']).call(signer, data, options) }
  if (kid !== undefined) checked.kid = kid as string
  if (x5c !== undefined) checked.x5c = x5c as readonly string[]
  return checked
}

function parsePublicKey(value: unknown): KeyObject {
  const text = typeof value === 'string' ? value : undefined
  let holdsD: boolean
  try {
    holdsD = value !== null && typeof value === 'object' && 'd' in value
  } catch {
    // A Proxy whose trap throws: its error (which may quote anything) is not kept.
    throw invalidConfig('publicKey', 'could not be read (a getter or Proxy threw)')
  }
  if ((text !== undefined && /PRIVATE KEY|"d"\s*:/.test(text)) || holdsD) {
    throw invalidConfig('publicKey', 'holds a private key; give only its public half (the signer keeps the private key)')
  }
  let key: KeyObject
  try {
    if (value instanceof KeyObject) key = value.type === 'private' ? createPublicKey(value) : value
    else if (typeof value === 'string' && value.includes('-----BEGIN')) key = createPublicKey(value)
    else {
      const jwk = typeof value === 'string' ? (JSON.parse(value) as JsonWebKey) : (value as JsonWebKey)
      const { alg: _alg, kid: _kid, use: _use, ...pub } = jwk as JsonWebKey & { kid?: string }
      key = createPublicKey({ key: pub, format: 'jwk' })
    }
  } catch {
    // The parser's messages can quote the text, which may be a private key pasted by mistake.
    throw invalidConfig('publicKey', 'must be a public KeyObject, a public JWK (object or JSON) or SPKI PEM text')
  }
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
    throw invalidConfig('publicKey', `must be an RSA key of at least ${MIN_RSA_BITS} bits`)
  }
  return key
}

function keySourceGiven(source: KeySource): boolean {
  return source.privateKeyPem !== undefined || source.privateKey !== undefined
}

/** The chain of a config: `certificate` PEM, or the signer's `x5c`; the two together are refused. */
function chainOf(source: SigningSource, signer: GrantSigner | undefined): { info: CertificateInfo; embeddedKey?: string } | undefined {
  const fromSigner = signer?.x5c
  if (source.certificate === undefined && fromSigner === undefined) return undefined
  if (source.certificate !== undefined && fromSigner !== undefined) {
    throw invalidConfig('certificate', "and signer.x5c are both set: give the chain once (certificate, or the signer's x5c)")
  }
  if (fromSigner !== undefined) return { info: describeChain(readX5c(fromSigner, 'signer.x5c')) }
  const cert: unknown = source.certificate
  if (typeof cert !== 'string' && !types.isUint8Array(cert)) {
    throw invalidConfig('certificate', 'must be the chain as PEM text (a string) or its bytes, leaf first')
  }
  // The cache holds the chain's public facts only: a key block in the text is taken from the text each time.
  const embedded = (): { embeddedKey?: string } => {
    const key = embeddedKeyOf(cert)
    return key === undefined ? {} : { embeddedKey: key }
  }
  const id = createHash('sha256').update(cert).digest('base64url')
  const hit = chainCache.get(id)
  if (hit) return { info: hit, ...embedded() }
  const info = describeChain(readPemChain(cert).chain)
  if (chainCache.size >= MAX_CACHED_CHAINS) chainCache.delete(chainCache.keys().next().value!)
  chainCache.set(id, info)
  return { info, ...embedded() }
}

// Chains given as text are read once (parsing and verifying a chain costs more than signing a grant), by a digest
// of the text, as keys are; and a key is matched to a certificate once.
const MAX_CACHED_CHAINS = 32
const chainCache = new Map<string, CertificateInfo>()
const matched = new WeakMap<KeyObject, WeakSet<CertificateInfo>>()

function keyMatches(key: KeyObject, info: CertificateInfo): boolean {
  if (matched.get(key)?.has(info)) return true
  if (!keyMatchesCertificate(key, info)) return false
  let set = matched.get(key)
  if (set === undefined) matched.set(key, (set = new WeakSet()))
  set.add(info)
  return true
}

/**
 * Checks how a config signs and loads what it needs, once: the key (parsed and cached, see `loadSigningKey`), the
 * signer, the certificate (in order, naming an org number, matching the key). Throws `invalid_config` naming the
 * field, or `jwt_sign_failed` for a key or certificate that cannot be used. Never sends anything.
 */
export function resolveSigning(source: SigningSource): ResolvedSigning {
  const signer = source.signer === undefined ? undefined : checkSigner(source.signer)
  if (signer && keySourceGiven(source)) {
    throw invalidConfig('signer', 'and a private key (privateKeyPem or privateKey) are both set: give exactly one way to sign')
  }
  const certificate = chainOf(source, signer)
  if (certificate) {
    if (source.kid !== undefined || signer?.kid !== undefined) {
      throw invalidConfig('kid', 'is set with a business certificate: certificate grants carry x5c and no kid; leave kid out')
    }
    let key: KeyObject | undefined
    if (!signer) {
      const embedded = keySourceGiven(source) ? undefined : certificate.embeddedKey
      key = loadSigningKey(embedded === undefined ? source : { privateKeyPem: embedded, passphrase: source.passphrase })
      if (!keyMatches(key, certificate.info)) {
        throw new MaskinportenError(
          'jwt_sign_failed',
          `Cannot use the business certificate: its public key is not the private key's (certificate for ${certificate.info.orgNummer}, ${certificate.info.subject}); give the key the certificate was issued for`,
        )
      }
    }
    const { info } = certificate
    return key ? { x5c: info.x5c, key, certificate: info } : { x5c: info.x5c, signer: signer!, verifyKey: info.publicKey, certificate: info }
  }
  if (signer) {
    if (source.kid !== undefined && signer.kid !== undefined && source.kid !== signer.kid) {
      throw invalidConfig('kid', `(${describeValue(source.kid)}) differs from signer.kid (${describeValue(signer.kid)}): give one`)
    }
    const kid = checkKid(signer.kid ?? source.kid, signer.kid !== undefined ? 'signer.kid' : 'kid')
    const resolved: ResolvedSigning = { kid, signer }
    if (source.publicKey !== undefined) resolved.verifyKey = parsePublicKey(source.publicKey)
    return resolved
  }
  const kid = checkKid(source.kid, 'kid')
  if (!keySourceGiven(source)) {
    throw invalidConfig('privateKeyPem', 'or privateKey is required (or a signer, for keys kept in a vault)')
  }
  return { kid, key: loadSigningKey(source) }
}

const headerCache = new WeakMap<readonly string[], string>()
const kidHeaders = new Map<string, string>()

/** The grant's encoded JOSE header: `{alg: "RS256", kid}` (the same bytes as ever), or `{alg: "RS256", x5c}`. */
export function grantHeader(signing: ResolvedSigning): string {
  if (signing.x5c !== undefined) {
    let header = headerCache.get(signing.x5c)
    if (header === undefined) {
      header = Buffer.from(JSON.stringify({ alg: 'RS256', x5c: signing.x5c })).toString('base64url')
      headerCache.set(signing.x5c, header)
    }
    return header
  }
  const kid = signing.kid ?? ''
  let header = kidHeaders.get(kid)
  if (header === undefined) {
    header = Buffer.from(JSON.stringify({ alg: 'RS256', kid })).toString('base64url')
    if (kidHeaders.size > 64) kidHeaders.clear()
    kidHeaders.set(kid, header)
  }
  return header
}

/**
 * The signed grant for a JWS signing input: at once with a key in the process, as a Promise with a signer (bounded
 * by `timeoutMs`, checked against the known public key). A certificate outside its validity at `nowMs` is refused
 * first. Throws (or rejects with) `jwt_sign_failed`.
 */
export function finishGrant(signing: ResolvedSigning & { timeoutMs?: number; signal?: AbortSignal }, input: string, nowMs: number): string | Promise<string> {
  if (signing.certificate) checkCertificateTime(signing.certificate, nowMs)
  if (signing.key) {
    let signature: Buffer
    try {
      signature = sign('sha256', Buffer.from(input), signing.key)
    } catch (err) {
      throw new MaskinportenError('jwt_sign_failed', 'Signing the grant failed', { cause: err })
    }
    return `${input}.${signature.toString('base64url')}`
  }
  if (!signing.signer) throw new MaskinportenError('jwt_sign_failed', 'Signing the grant failed: the config has no key and no signer')
  const keyName = signing.certificate ? `the business certificate for ${signing.certificate.orgNummer}` : `kid ${describeValue(signing.kid)}`
  const call = { signer: signing.signer, keyName, timeoutMs: signing.timeoutMs ?? DEFAULT_SIGNER_TIMEOUT_MS, ...(signing.signal ? { signal: signing.signal } : {}) }
  return callSigner(signing.verifyKey ? { ...call, verifyKey: signing.verifyKey } : call, input).then(
    (signature) => `${input}.${signature.toString('base64url')}`,
  )
}
