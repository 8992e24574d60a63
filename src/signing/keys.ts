/**
 * Signing keys: loading them once from whatever form the user has, checking them, making new ones, and their
 * public JWK for Digdir's self-service portal.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair as generateKeyPairCb,
  KeyObject,
  type JsonWebKey,
} from 'node:crypto'
import { promisify } from 'node:util'
import { describeValue, invalidConfig, MaskinportenError, safeCause } from '../errors/errors.js'
import { field } from '../config/arguments.js'

const generateKeyPairAsync = promisify(generateKeyPairCb)

/** RSA keys shorter than this are refused (Maskinporten requires at least 2048 bits). */
export const MIN_RSA_BITS = 2048

/** Where a private key can come from. Exactly one of `privateKeyPem` and `privateKey`. */
export interface KeySource {
  /** PEM text or bytes: PKCS#8 (a `PRIVATE KEY` PEM block), PKCS#1 (an `RSA PRIVATE KEY` block), or encrypted PKCS#8. */
  privateKeyPem?: string | Uint8Array
  /** A private `KeyObject`, or a private JWK as an object or as JSON text. */
  privateKey?: KeyObject | JsonWebKey | string
  /** Passphrase of an encrypted PEM. */
  passphrase?: string
}

/** The public half of an RSA signing key, as Digdir's portal takes it. */
export interface PublicJwk {
  kty: 'RSA'
  n: string
  e: string
  kid: string
  use: 'sig'
  alg: 'RS256'
}

function keyError(problem: string, cause?: unknown): MaskinportenError {
  return new MaskinportenError('jwt_sign_failed', `Cannot use the signing key: ${problem}`, { cause: safeCause(cause) })
}

/** Checks that a parsed key can sign Maskinporten grants: private, RSA, at least 2048 bits. */
function checkSigningKey(key: KeyObject): KeyObject {
  if (key.type !== 'private') {
    throw keyError(`it is a ${key.type} key; give the private key (the PEM whose header names a PRIVATE KEY)`)
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw keyError(`it is an ${key.asymmetricKeyType ?? 'unknown'} key; Maskinporten grants are signed with RSA (RS256)`)
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
  if (bits < MIN_RSA_BITS) {
    throw keyError(`the RSA key has ${bits} bits; at least ${MIN_RSA_BITS} are required (make one with \`maskinporten keygen\`)`)
  }
  return key
}

function parsePem(pem: string | Uint8Array, passphrase: string | undefined): KeyObject {
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('utf8')
  if (!text.includes('-----BEGIN')) {
    throw keyError('privateKeyPem is not PEM text (expected a PEM header line naming a PRIVATE KEY)')
  }
  if (/-----BEGIN (RSA )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----/.test(text) && !/PRIVATE KEY-----/.test(text)) {
    throw keyError('privateKeyPem holds a public key or certificate; give the private key (a PEM whose header names a PRIVATE KEY)')
  }
  const encrypted = text.includes('ENCRYPTED PRIVATE KEY') || text.includes('Proc-Type: 4,ENCRYPTED')
  if (encrypted && !passphrase) {
    throw keyError('the PEM is encrypted; set passphrase')
  }
  try {
    return createPrivateKey(passphrase ? { key: text, format: 'pem', passphrase } : { key: text, format: 'pem' })
  } catch (err) {
    if (encrypted) throw keyError('the passphrase does not open the encrypted PEM', err)
    throw keyError('privateKeyPem could not be parsed as a PKCS#1 or PKCS#8 private key', err)
  }
}

function parseJwk(jwk: JsonWebKey | string): KeyObject {
  let parsed: unknown = jwk
  if (typeof jwk === 'string') {
    try {
      parsed = JSON.parse(jwk)
    } catch {
      // The parser's message quotes the input, which is key material: no cause here.
      throw keyError('privateKey is a string but not JSON; give a JWK object, its JSON text, or use privateKeyPem for PEM')
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw keyError('privateKey must be a KeyObject or a private JWK')
  }
  let obj: Record<string, unknown>
  try {
    obj = { ...(parsed as Record<string, unknown>) } // read once: a getter or Proxy trap cannot throw past us later
  } catch {
    // Its error is not kept: it may quote the key.
    throw keyError('privateKey could not be read (a getter or Proxy threw); give a plain JWK object')
  }
  if (obj.kty !== 'RSA') throw keyError(`the JWK has kty ${describeValue(obj.kty)}; an RSA key is required`)
  if (typeof obj.d !== 'string') throw keyError('the JWK is a public key (no "d"); give the private JWK')
  try {
    return createPrivateKey({ key: obj as JsonWebKey, format: 'jwk' })
  } catch (err) {
    throw keyError('the JWK could not be read as an RSA private key', err)
  }
}

// Keys given as text are cached by a digest of text + passphrase, so that the same PEM in a fresh config object is
// parsed once, and the cache itself holds no key text. Objects are cached by identity.
const MAX_CACHED_TEXT_KEYS = 32
const byDigest = new Map<string, KeyObject>()
const byObject = new WeakMap<object, KeyObject>()
let parses = 0

function digest(kind: 'pem' | 'jwk', material: string | Uint8Array, passphrase: string | undefined): string {
  const hash = createHash('sha256')
  // The kind is part of the digest: PEM text given as privateKey (a JWK field) must not find the parsed PEM.
  hash.update(`${kind}:${typeof material === 'string' ? 'text' : 'bytes'}:`)
  hash.update(material)
  hash.update('\0')
  hash.update(passphrase ?? '')
  return hash.digest('base64url')
}

function remember(id: string, key: KeyObject): KeyObject {
  if (byDigest.size >= MAX_CACHED_TEXT_KEYS) byDigest.delete(byDigest.keys().next().value!)
  byDigest.set(id, key)
  return key
}

/** How many keys have been parsed in this process (the cache works when this stays flat). For tests and benchmarks. */
export function keyParseCount(): number {
  return parses
}

/**
 * The private signing key of a config, parsed once. Throws `jwt_sign_failed` saying what is wrong with the key,
 * and `invalid_config` when there is no key or two.
 */
export function loadSigningKey(source: KeySource): KeyObject {
  const { privateKeyPem, privateKey, passphrase } = source
  if (isKeyObject(privateKey)) return checkSigningKey(privateKey)
  if (privateKeyPem !== undefined) {
    const id = digest('pem', privateKeyPem, passphrase)
    const hit = byDigest.get(id)
    if (hit) return hit
    parses++
    return remember(id, checkSigningKey(parsePem(privateKeyPem, passphrase)))
  }
  if (typeof privateKey === 'string') {
    const id = digest('jwk', privateKey, undefined)
    const hit = byDigest.get(id)
    if (hit) return hit
    parses++
    return remember(id, checkSigningKey(parseJwk(privateKey)))
  }
  if (privateKey !== undefined && privateKey !== null && typeof privateKey === 'object') {
    const hit = byObject.get(privateKey)
    if (hit) return hit
    parses++
    const key = checkSigningKey(parseJwk(privateKey))
    byObject.set(privateKey, key)
    return key
  }
  throw new MaskinportenError('invalid_config', 'Invalid configuration: privateKeyPem or privateKey is required')
}

/**
 * RFC 7638 thumbprint (SHA-256, base64url) of an RSA public key: a kid that is unique without coordination.
 * @see https://www.rfc-editor.org/rfc/rfc7638
 */
export function jwkThumbprint(jwk: { n: string; e: string }): string {
  let n: unknown, e: unknown
  try {
    ;({ n, e } = (jwk ?? {}) as { n?: unknown; e?: unknown })
  } catch {
    n = undefined // a getter or Proxy trap that throws: not a JWK
  }
  if (typeof n !== 'string' || typeof e !== 'string' || !/^[A-Za-z0-9_-]{1,4096}$/.test(n) || !/^[A-Za-z0-9_-]{1,16}$/.test(e)) {
    throw invalidConfig('jwk', 'must be an RSA public JWK with base64url n and e')
  }
  const canonical = `{"e":"${jwk.e}","kty":"RSA","n":"${jwk.n}"}`
  return createHash('sha256').update(canonical).digest('base64url')
}

/**
 * The public JWK of an RSA key (private or public), ready for Digdir's self-service portal: `kty, n, e, kid, use,
 * alg` and nothing private. The kid defaults to the key's RFC 7638 thumbprint.
 *
 * @example
 * ```ts
 * const jwk = publicJwk(loadSigningKey({ privateKeyPem }), 'my-kid')
 * console.log(JSON.stringify(jwk))
 * ```
 */
export function publicJwk(key: KeyObject, kid?: string): PublicJwk {
  if (!isKeyObject(key)) throw invalidConfig('key', `must be a KeyObject, got ${describeValue(key, false)}`)
  if (kid !== undefined) checkKid(kid)
  const pub = key.type === 'private' ? createPublicKey(key) : key
  if (pub.asymmetricKeyType !== 'rsa') throw keyError('only RSA keys have a JWK for Maskinporten here')
  const { n, e } = pub.export({ format: 'jwk' }) as { n: string; e: string }
  return { kty: 'RSA', n, e, kid: kid ?? jwkThumbprint({ n, e }), use: 'sig', alg: 'RS256' }
}

/** `instanceof KeyObject`, without letting a Proxy's getPrototypeOf trap throw past. */
function isKeyObject(value: unknown): value is KeyObject {
  try {
    return value instanceof KeyObject
  } catch {
    return false
  }
}

/** A kid goes in every grant's header and in the portal: short printable text, never key material. */
function checkKid(kid: unknown): void {
  if (typeof kid !== 'string' || kid === '' || kid.length > 200 || /[\u0000-\u001f\u007f]/.test(kid) || !describeValue(kid).startsWith('"')) {
    throw invalidConfig('kid', `must be a short key id, got ${describeValue(kid)}`)
  }
}

/** A freshly made signing key, in every form a user needs. */
export interface GeneratedKey {
  privateKey: KeyObject
  /** PKCS#8 PEM of the private key. Secret. */
  privateKeyPem: string
  publicJwk: PublicJwk
  kid: string
  /** Set when the key is larger than the 2048 bits Digdir documents: what to check before relying on it. */
  warning?: string
}

/** The RSA key size Digdir's self-service API documents for client keys (docs/protocol.md §8). */
export const DOCUMENTED_RSA_BITS = 2048

/**
 * Makes a new RSA signing key with its public JWK: 2048 bits unless told, the size Digdir documents. Larger keys
 * (up to 8192 bits) can be made, but no source confirms that Maskinporten accepts them: such a key comes with a
 * `warning`. The kid defaults to the JWK thumbprint, which is unique across Maskinporten's customers as kids must be.
 *
 * @example
 * ```ts
 * const { privateKeyPem, publicJwk } = await generateSigningKey()
 * ```
 */
export async function generateSigningKey(options: { bits?: number; kid?: string } = {}): Promise<GeneratedKey> {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw invalidConfig('options', `must be an object, got ${describeValue(options, false)}`)
  }
  const opts = options as Record<string, unknown>
  const bits: unknown = field(opts, 'bits', 'options') ?? MIN_RSA_BITS
  if (typeof bits !== 'number' || !Number.isInteger(bits) || bits < MIN_RSA_BITS || bits > 8192) {
    throw invalidConfig('bits', `must be a whole number from ${MIN_RSA_BITS} to 8192 (${DOCUMENTED_RSA_BITS} is the size Digdir documents), got ${describeValue(bits, false)}`)
  }
  const kid: unknown = field(opts, 'kid', 'options')
  if (kid !== undefined) checkKid(kid)
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: bits })
  const jwk = publicJwk(privateKey, kid as string | undefined)
  const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  const generated: GeneratedKey = { privateKey, privateKeyPem, publicJwk: jwk, kid: jwk.kid }
  if (bits > DOCUMENTED_RSA_BITS) {
    generated.warning = `a ${bits}-bit key: Digdir documents ${DOCUMENTED_RSA_BITS}-bit RSA keys for Maskinporten clients; larger ones are not confirmed to be accepted, so test it before relying on it (or use ${DOCUMENTED_RSA_BITS})`
  }
  return generated
}
