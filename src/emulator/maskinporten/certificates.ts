/**
 * Business certificate grants (`x5c`, virksomhetssertifikat): the chain verified up to one of the emulator's trust
 * anchors at the emulator's clock, and the certificate's organisation number matched to the client's.
 *
 * @see docs/certificates.md
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_jwtgrant
 */
import { X509Certificate, type KeyObject } from 'node:crypto'
import { invalidConfig } from '../../errors/errors.js'
import { chainBreak, issuedBy, orgNummerOfCertificate, validityOf } from '../../signing/certificate.js'
import { MIN_RSA_BITS } from '../../signing/keys.js'
import type { RegisteredClient } from '../registry.js'
import { REJECT, type Rejection } from './rejections.js'
import { MAX_X5C_CERTIFICATES } from '../unconfirmed.js'

/** The emulator's trust anchors: the CA certificates an `x5c` chain must end at (or with). */
export class TrustAnchors {
  readonly #anchors: X509Certificate[]

  /** Reads PEM certificates (one or more per entry). Throws `invalid_config` naming `certificateAuthorities[i]`. */
  constructor(pems: readonly string[] = []) {
    if (!Array.isArray(pems)) throw invalidConfig('certificateAuthorities', 'must be an array of PEM certificates')
    this.#anchors = pems.flatMap((pem, i) => {
      const field = `certificateAuthorities[${i}]`
      if (typeof pem !== 'string') throw invalidConfig(field, 'must be PEM text')
      const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
      if (blocks.length === 0) throw invalidConfig(field, 'holds no PEM block naming a CERTIFICATE')
      return blocks.map((block) => {
        let cert: X509Certificate
        try {
          cert = new X509Certificate(block)
        } catch (err) {
          throw invalidConfig(field, 'is not an X.509 certificate that node:crypto can read', err)
        }
        if (!cert.ca) throw invalidConfig(field, 'is not a CA certificate (basicConstraints CA:TRUE)')
        return cert
      })
    })
  }

  /** True when `cert` is an anchor itself or was issued by one valid at `nowMs`. */
  trusts(cert: X509Certificate, nowMs: number): boolean {
    return this.#anchors.some((anchor) => anchor.raw.equals(cert.raw) || (validAt(anchor, nowMs) && issuedBy(cert, anchor)))
  }
}

function validAt(cert: X509Certificate, nowMs: number): boolean {
  const { notBefore, notAfter } = validityOf(cert)
  return notBefore <= nowMs && nowMs < notAfter
}

/** What a verified certificate grant is signed with. */
export type CertificateVerdict = { ok: true; key: KeyObject; orgNummer: string } | { ok: false; rejection: Rejection }

const refuse = (rejection: Rejection): CertificateVerdict => ({ ok: false, rejection })

/**
 * Verifies a well-formed `x5c` (standard base64 DER, leaf first) for `client` at `nowMs`: each certificate issued
 * and signed by the next, every one valid, the ones above the leaf CAs, the last an anchor or issued by one (else
 * MP-120); the client set up for certificates (else the answer for a grant without a kid); the leaf's organisation
 * number the client's (else MP-122). The grant's signature is checked afterwards with the returned key.
 */
export function verifyCertificateGrant(
  x5c: readonly string[],
  client: RegisteredClient,
  anchors: TrustAnchors,
  nowMs: number,
): CertificateVerdict {
  if (x5c.length > MAX_X5C_CERTIFICATES) return refuse(REJECT.badX5c)
  const chain = x5c.map((der) => new X509Certificate(Buffer.from(der, 'base64'))) // well-formed: checked by the rules
  const leaf = chain[0]!
  if (leaf.ca || chainBreak(chain) >= 0) return refuse(REJECT.invalidCertificate)
  if (!chain.every((cert) => validAt(cert, nowMs))) return refuse(REJECT.invalidCertificate)
  if (!chain.slice(1).every((cert) => cert.ca)) return refuse(REJECT.invalidCertificate)
  if (!anchors.trusts(chain[chain.length - 1]!, nowMs)) return refuse(REJECT.invalidCertificate)
  const key = leaf.publicKey
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) {
    return refuse(REJECT.invalidCertificate)
  }
  if (!client.certificate) return refuse(REJECT.noKid)
  const orgNummer = orgNummerOfCertificate(leaf)
  if (orgNummer === undefined || orgNummer !== client.orgNummer) return refuse(REJECT.wrongCertificateOrg)
  return { ok: true, key, orgNummer }
}
