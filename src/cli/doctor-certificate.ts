/**
 * The doctor's certificate lines: the business certificate's subject, organisation number, issuer and days left,
 * and the kid line for certificate setups (their grants carry x5c, no kid).
 *
 * @see docs/certificates.md
 */
import { statSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { holdsPrivateKey, readCertificateSetting } from '../config/certificate-file.js'
import { CERTIFICATE_WARNING_DAYS, daysLeft, inspectCertificate } from '../signing/certificate.js'
import { message, type Report } from './doctor-report.js'
import { describeSource, setting, sourceLabel, type Settings } from './settings.js'

const VARIABLE = 'MASKINPORTEN_CERTIFICATE'

/** What the key and kid checks need to know of a certificate setup. */
export interface CertificateSetup {
  /** The certificate text also holds the private key (`openssl pkcs12 -nodes` output). */
  holdsKey: boolean
}

/** Checks the certificate setting, if any, into `report`; `undefined` when no certificate is set. */
export function checkCertificate(report: Report, settings: Settings, nowMs: number): CertificateSetup | undefined {
  const value = setting(settings, VARIABLE)
  if (value === undefined) return undefined
  let text: string
  try {
    text = readCertificateSetting(value, settings.cwd, describeSource(settings, VARIABLE))
  } catch (err) {
    report.fail(VARIABLE, message(err))
    return { holdsKey: false }
  }
  const holdsKey = holdsPrivateKey(text)
  if (holdsKey && !value.includes('-----BEGIN') && process.platform !== 'win32') {
    const file = isAbsolute(value) ? value : resolve(settings.cwd, value)
    const mode = statSync(file).mode & 0o777
    if ((mode & 0o077) !== 0) {
      report.fail(VARIABLE, `${file} holds the private key and is open to other users (mode ${mode.toString(8).padStart(4, '0')}): chmod 600 ${file}`)
      return { holdsKey }
    }
  }
  try {
    const info = inspectCertificate(text)
    const left = daysLeft(info, nowMs)
    const until = new Date(info.notAfter).toISOString()
    const detail = `${info.subject}; org number ${info.orgNummer}; issuer ${info.issuer}`
    if (nowMs >= info.notAfter) report.fail('certificate', `${detail}; expired on ${until}: order a new one from the issuer`)
    else if (nowMs < info.notBefore) report.fail('certificate', `${detail}; valid only from ${new Date(info.notBefore).toISOString()}: check this machine's clock`)
    else if (left < CERTIFICATE_WARNING_DAYS) report.ok('certificate', `${detail}; ${left} days left (until ${until}): renew it now`)
    else report.ok('certificate', `${detail}; ${left} days left (until ${until}) (${sourceLabel(settings, VARIABLE)})`)
  } catch (err) {
    report.fail('certificate', message(err))
  }
  return { holdsKey }
}

/** The kid line of a certificate setup: none is needed, and one set would be refused. */
export function checkCertificateKid(report: Report, settings: Settings): void {
  if (setting(settings, 'MASKINPORTEN_KID') === undefined) {
    report.skip('MASKINPORTEN_KID', 'not needed: grants carry the business certificate (x5c) instead of a kid')
  } else {
    report.fail('MASKINPORTEN_KID', `is set (${sourceLabel(settings, 'MASKINPORTEN_KID')}) with a business certificate, whose grants carry no kid: unset it`)
  }
}
