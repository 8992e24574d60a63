/**
 * Business certificates (virksomhetssertifikat, from Buypass or Commfides): reading a PEM chain or an `x5c`, the
 * organisation number the certificate names, its validity, and the grant header that carries it.
 *
 * @see docs/certificates.md
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-4.1.6
 */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto'
import { types } from 'node:util'
import { describeValue, MaskinportenError } from '../errors/errors.js'
import { parseOrgNummer } from '../config/orgnummer.js'

/** Days before a certificate's end at which a warning is given (the client's `certificate-expiring` event, doctor). */
export const CERTIFICATE_WARNING_DAYS = 30

/** Most certificates a chain may hold: a leaf, intermediates and a root are rarely more than four. */
export const MAX_CHAIN_LENGTH = 10

/** Most characters of PEM text read as a chain. */
const MAX_CHAIN_CHARS = 256 * 1024

const DAY_MS = 86_400_000

/** What a business certificate says, as doctor shows it and the client checks it. Public information only. */
export interface CertificateInfo {
  /** The leaf's subject, one line (`C=NO, O=ACME AS, serialNumber=991825827, CN=ACME AS`). */
  subject: string
  /** The leaf's issuer, one line. */
  issuer: string
  /** The organisation number the leaf names (subject `serialNumber`, or `organizationIdentifier` without `NTRNO-`). */
  orgNummer: string
  /** Start of the leaf's validity, epoch milliseconds. */
  notBefore: number
  /** End of the leaf's validity, epoch milliseconds. */
  notAfter: number
  /** The leaf's public key: the grant's signature must verify with it. */
  publicKey: KeyObject
  /** The chain as the grant header's `x5c`: standard base64 DER, leaf first. */
  x5c: readonly string[]
}

function certificateError(problem: string, cause?: unknown): MaskinportenError {
  return new MaskinportenError('jwt_sign_failed', `Cannot use the business certificate: ${problem}`, { cause })
}

/** One line of an X.509 name, from Node's multi-line form (`C=NO\nO=...`). */
function oneLine(name: string): string {
  return name.split('\n').join(', ')
}

/**
 * The organisation number a certificate names: its subject's `serialNumber` (Buypass, Commfides) or
 * `organizationIdentifier` (`NTRNO-` + the number, ETSI EN 319 412-1), checked by mod 11. `undefined` when neither
 * holds a valid one.
 *
 * @example
 * ```ts
 * orgNummerOfCertificate(new X509Certificate(pem)) // '991825827'
 * ```
 */
export function orgNummerOfCertificate(cert: X509Certificate): string | undefined {
  const subject = cert.toLegacyObject().subject as unknown as Record<string, string | string[] | undefined>
  const values = (name: string): string[] => {
    const value = subject[name]
    return value === undefined ? [] : Array.isArray(value) ? value : [value]
  }
  const candidates = [
    ...values('organizationIdentifier').map((v) => v.replace(/^NTRNO-/i, '')),
    ...values('serialNumber'),
    ...values('2.5.4.97').map((v) => v.replace(/^NTRNO-/i, '')),
  ]
  for (const candidate of candidates) {
    const parsed = parseOrgNummer(candidate.trim())
    if (parsed.ok) return parsed.orgNummer
  }
  return undefined
}

/** Validity of a certificate as epoch milliseconds. */
export function validityOf(cert: X509Certificate): { notBefore: number; notAfter: number } {
  return { notBefore: Date.parse(cert.validFrom), notAfter: Date.parse(cert.validTo) }
}

/** True when `issuer` issued `cert` and its key signed it. */
export function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey)
  } catch {
    return false
  }
}

/** The position of the first certificate not issued by the next one, or -1 when the chain is in order. */
export function chainBreak(chain: readonly X509Certificate[]): number {
  for (let i = 0; i + 1 < chain.length; i++) if (!issuedBy(chain[i]!, chain[i + 1]!)) return i
  return -1
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g
const KEY_BLOCK = /-----BEGIN (?:RSA |ENCRYPTED )?PRIVATE KEY-----[\s\S]*?-----END (?:RSA |ENCRYPTED )?PRIVATE KEY-----/

/** A PEM chain read: the certificates in the order given (a key block in the same text is left alone). */
export interface PemChain {
  chain: X509Certificate[]
}

/** Reads the certificates of PEM text. Throws `jwt_sign_failed`, never quoting the text. */
export function readPemChain(pem: string | Uint8Array): PemChain {
  if (typeof pem !== 'string' && !types.isUint8Array(pem)) {
    throw new MaskinportenError('invalid_config', 'Invalid configuration: certificate must be the chain as PEM text (a string) or its bytes, leaf first')
  }
  const text = typeof pem === 'string' ? pem : Buffer.from(pem).toString('utf8')
  if (text.length > MAX_CHAIN_CHARS) throw certificateError(`the PEM text has ${text.length} characters; a chain is far smaller`)
  const blocks = text.match(CERT_BLOCK) ?? []
  if (blocks.length === 0) {
    throw certificateError(
      'certificate holds no PEM block naming a CERTIFICATE; give the chain as PEM, leaf first (a .p12/.pfx file converts with `openssl pkcs12 -in cert.p12 -out cert.pem -nodes`)',
    )
  }
  if (blocks.length > MAX_CHAIN_LENGTH) throw certificateError(`the chain has ${blocks.length} certificates; at most ${MAX_CHAIN_LENGTH} are taken`)
  const chain = blocks.map((block, i) => {
    try {
      return new X509Certificate(block)
    } catch (err) {
      throw certificateError(`certificate ${i + 1} of the chain cannot be read as X.509`, err)
    }
  })
  return { chain }
}

/** The private key block of PEM text that also holds certificates, if any. Secret: never quote it. */
export function embeddedKeyOf(pem: string | Uint8Array): string | undefined {
  if (typeof pem !== 'string' && !types.isUint8Array(pem)) return undefined
  return KEY_BLOCK.exec(typeof pem === 'string' ? pem : Buffer.from(pem).toString('utf8'))?.[0]
}

/** Reads an `x5c` (standard base64 DER, leaf first). Throws `invalid_config` naming `field` when it is malformed. */
export function readX5c(x5c: unknown, field: string): X509Certificate[] {
  const bad = (problem: string, cause?: unknown) =>
    new MaskinportenError('invalid_config', `Invalid configuration: ${field} ${problem}`, { cause })
  const badEntry = (i: number, problem: string, cause?: unknown) =>
    new MaskinportenError('invalid_config', `Invalid configuration: ${field}[${i}] ${problem}`, { cause })
  if (!Array.isArray(x5c) || x5c.length === 0) throw bad('must be a non-empty array of base64 DER certificates, leaf first')
  if (x5c.length > MAX_CHAIN_LENGTH) throw bad(`has ${x5c.length} certificates; at most ${MAX_CHAIN_LENGTH} are taken`)
  let entries: unknown[]
  try {
    entries = Array.from(x5c as unknown[]) // one read of each entry: a Proxy or getter cannot change them later
  } catch {
    throw bad('could not be read')
  }
  return entries.map((entry: unknown, i) => {
    if (typeof entry !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(entry)) {
      throw badEntry(i, `is not standard base64 (RFC 7515 §4.1.6: base64 DER, not base64url, no PEM armour)`)
    }
    try {
      return new X509Certificate(Buffer.from(entry, 'base64'))
    } catch (err) {
      throw badEntry(i, 'is not a DER certificate', err)
    }
  })
}

/**
 * What a chain (leaf first) says, checked: in order (each certificate issued by the next), the leaf an RSA key of at
 * least 2048 bits, naming an organisation number. Throws `jwt_sign_failed` saying what to fix.
 */
export function describeChain(chain: readonly X509Certificate[]): CertificateInfo {
  const leaf = chain[0]
  if (leaf === undefined) throw certificateError('the chain is empty')
  if (leaf.ca) throw certificateError(`the first certificate (${oneLine(leaf.subject)}) is a CA; put the business certificate (the leaf) first`)
  const broken = chainBreak(chain)
  if (broken >= 0) {
    throw certificateError(
      `certificate ${broken + 1} of the chain (${oneLine(chain[broken]!.subject)}) is not issued by certificate ${broken + 2}; order the chain leaf first, then each issuer`,
    )
  }
  const publicKey = leaf.publicKey
  if (publicKey.asymmetricKeyType !== 'rsa' || (publicKey.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw certificateError('its key is not RSA of at least 2048 bits; Maskinporten grants are signed RS256')
  }
  const orgNummer = orgNummerOfCertificate(leaf)
  if (orgNummer === undefined) {
    throw certificateError(
      `its subject (${oneLine(leaf.subject)}) names no organisation number (serialNumber or organizationIdentifier NTRNO-…); is it a business certificate?`,
    )
  }
  const { notBefore, notAfter } = validityOf(leaf)
  return {
    subject: oneLine(leaf.subject),
    issuer: oneLine(leaf.issuer),
    orgNummer,
    notBefore,
    notAfter,
    publicKey,
    x5c: Object.freeze(chain.map((cert) => cert.raw.toString('base64'))),
  }
}

/** True when the private (or public) key is the one the certificate holds. */
export function keyMatchesCertificate(key: KeyObject, info: Pick<CertificateInfo, 'publicKey'>): boolean {
  const pub = key.type === 'private' ? createPublicKey(key) : key
  const der = (k: KeyObject) => k.export({ format: 'der', type: 'spki' })
  return der(pub).equals(der(info.publicKey))
}

/** Whole days from `nowMs` to the certificate's end (negative once it has ended). */
export function daysLeft(info: Pick<CertificateInfo, 'notAfter'>, nowMs: number): number {
  let notAfter: unknown
  try {
    notAfter = info !== null && typeof info === 'object' ? info.notAfter : undefined
  } catch {
    notAfter = undefined // a getter or Proxy that throws: refused below, its text not kept
  }
  if (typeof notAfter !== 'number' || !Number.isFinite(notAfter)) {
    throw new MaskinportenError('invalid_config', `Invalid configuration: daysLeft needs a CertificateInfo (from inspectCertificate), got ${describeValue(info, false)}`)
  }
  if (typeof nowMs !== 'number' || !Number.isFinite(nowMs)) {
    throw new MaskinportenError('invalid_config', `Invalid configuration: daysLeft needs the time as epoch milliseconds, got ${describeValue(nowMs, false)}`)
  }
  return Math.floor((notAfter - nowMs) / DAY_MS)
}

/** Throws `jwt_sign_failed` when the certificate is not valid at `nowMs`: nothing is sent with it. */
export function checkCertificateTime(info: CertificateInfo, nowMs: number): void {
  // NaN passes both comparisons below: a clock that is not a number must not let a certificate through unchecked.
  if (typeof nowMs !== 'number' || !Number.isFinite(nowMs)) {
    throw certificateError(`the clock gave ${describeValue(nowMs, false)}, not epoch milliseconds; its validity cannot be checked`)
  }
  if (nowMs < info.notBefore) {
    throw certificateError(`it is valid only from ${new Date(info.notBefore).toISOString()}; check this machine's clock`)
  }
  if (nowMs >= info.notAfter) {
    throw certificateError(`it expired on ${new Date(info.notAfter).toISOString()}; order a new one from your certificate issuer`)
  }
}

/** A warning when fewer than {@link CERTIFICATE_WARNING_DAYS} days are left, else `undefined`. */
export function expiryWarning(info: CertificateInfo, nowMs: number): string | undefined {
  const left = daysLeft(info, nowMs)
  if (left >= CERTIFICATE_WARNING_DAYS || nowMs >= info.notAfter) return undefined
  return `the business certificate for ${info.orgNummer} expires in ${left} day${left === 1 ? '' : 's'} (${new Date(info.notAfter).toISOString()}); renew it in time`
}

/**
 * What a business certificate says, for display (doctor) and checks before use: subject, org number, issuer,
 * validity. The PEM text may also hold the private key (it is ignored here). Throws `jwt_sign_failed`.
 *
 * @example
 * ```ts
 * const info = inspectCertificate(readFileSync('virksomhet.pem', 'utf8'))
 * console.log(info.orgNummer, daysLeft(info, Date.now()))
 * ```
 */
export function inspectCertificate(pem: string | Uint8Array): CertificateInfo {
  return describeChain(readPemChain(pem).chain)
}
