/**
 * A minimal self-signed X.509 certificate for the emulator's Altinn signing key, so that its `kid`, `x5t` and `x5c`
 * are what Altinn's are: a certificate's SHA-1 thumbprint (upper-case hex as `kid`, base64url as `x5t`) and its DER
 * in the JWKS (docs/protocol.md §8). Node can parse certificates but not make them, so this file writes the few DER
 * structures one needs (ITU-T X.690) and signs them with `node:crypto`.
 *
 * @see https://www.rfc-editor.org/rfc/rfc5280#section-4.1
 */
import { createHash, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto'

/** One DER element: tag, length, contents. */
function der(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents)
  const n = body.length
  let length: Buffer
  if (n < 0x80) length = Buffer.from([n])
  else {
    const bytes: number[] = []
    for (let rest = n; rest > 0; rest >>>= 8) bytes.unshift(rest & 0xff)
    length = Buffer.from([0x80 | bytes.length, ...bytes])
  }
  return Buffer.concat([Buffer.from([tag]), length, body])
}

const sequence = (...items: Buffer[]) => der(0x30, ...items)
const set = (...items: Buffer[]) => der(0x31, ...items)
const nullValue = () => der(0x05)

/** A positive INTEGER from big-endian bytes (a leading zero when the high bit is set, none redundant). */
function integer(bytes: Buffer): Buffer {
  let start = 0
  while (start < bytes.length - 1 && bytes[start] === 0 && bytes[start + 1]! < 0x80) start++
  const trimmed = bytes.subarray(start)
  return der(0x02, trimmed[0]! >= 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed)
}

/** An OBJECT IDENTIFIER from its dotted form. */
function oid(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]]
  const bytes = [first * 40 + second]
  for (const arc of rest) {
    const groups: number[] = [arc & 0x7f]
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80)
    bytes.push(...groups)
  }
  return der(0x06, Buffer.from(bytes))
}

/** UTCTime before 2050, GeneralizedTime from then on (RFC 5280 §4.1.2.5). */
function time(date: Date): Buffer {
  const iso = date.toISOString().replace(/[-:T]/g, '').slice(0, 14) // YYYYMMDDHHMMSS
  return date.getUTCFullYear() < 2050
    ? der(0x17, Buffer.from(`${iso.slice(2)}Z`, 'ascii'))
    : der(0x18, Buffer.from(`${iso}Z`, 'ascii'))
}

/** A Name of one common name. */
function name(commonName: string): Buffer {
  return sequence(set(sequence(oid('2.5.4.3'), der(0x0c, Buffer.from(commonName, 'utf8')))))
}

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11'

/** A certificate, and what a JWKS and a JWS header say of it. */
export interface SelfSignedCertificate {
  /** The certificate, DER. */
  der: Buffer
  /** Its SHA-1 thumbprint, upper-case hex: Altinn's `kid`. */
  thumbprintHex: string
  /** The same thumbprint, base64url: `x5t` (RFC 7515 §4.1.7). */
  x5t: string
  /** The DER in standard base64: the `x5c` entry (RFC 7517 §4.7). */
  x5c: string
}

/**
 * Makes an X.509 v3 certificate for `publicKey`, signed with `privateKey` (RSA, SHA-256), valid from an hour ago for
 * `days` days, with `commonName` as subject and issuer. Parsed back with `X509Certificate` before it is returned.
 *
 * @example
 * ```ts
 * const cert = selfSignedCertificate(privateKey, publicKey, 'emulated Altinn')
 * new X509Certificate(cert.der).subject // 'CN=emulated Altinn'
 * ```
 */
export function selfSignedCertificate(
  privateKey: KeyObject,
  publicKey: KeyObject,
  commonName: string,
  now: Date = new Date(),
  days = 365,
): SelfSignedCertificate {
  const algorithm = sequence(oid(SHA256_WITH_RSA), nullValue())
  const serial = randomBytes(16)
  serial[0] = serial[0]! & 0x7f || 0x01 // positive and not zero-led
  const tbs = sequence(
    der(0xa0, integer(Buffer.from([2]))), // [0] EXPLICIT version: v3
    integer(serial),
    algorithm,
    name(commonName),
    sequence(time(new Date(now.getTime() - 3_600_000)), time(new Date(now.getTime() + days * 86_400_000))),
    name(commonName),
    publicKey.export({ format: 'der', type: 'spki' }),
  )
  const signature = sign('sha256', tbs, privateKey)
  const certificate = sequence(tbs, algorithm, der(0x03, Buffer.from([0]), signature))
  // The proof that the encoding is right: Node's own parser reads it and the signature verifies.
  const parsed = new X509Certificate(certificate)
  if (!parsed.verify(publicKey)) throw new Error('self-signed certificate does not verify')
  const thumbprint = createHash('sha1').update(certificate).digest()
  return {
    der: certificate,
    thumbprintHex: thumbprint.toString('hex').toUpperCase(),
    x5t: thumbprint.toString('base64url'),
    x5c: certificate.toString('base64'),
  }
}
