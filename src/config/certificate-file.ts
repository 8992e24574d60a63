/**
 * `MASKINPORTEN_CERTIFICATE` (`--certificate`): a business certificate chain given as a file name, or as the PEM text
 * itself (certificates are public; secret stores and CI variables hold them as text).
 *
 * @see docs/certificates.md
 */
import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { describeValue, MaskinportenError, safeCause } from '../errors/errors.js'

/** Largest certificate file read, bytes: a chain of a few certificates is a few kilobytes. */
const MAX_CERTIFICATE_FILE_BYTES = 256 * 1024

function settingError(variable: string, problem: string, cause?: unknown): MaskinportenError {
  return new MaskinportenError('invalid_config', `Invalid configuration: ${variable} ${problem}`, { cause })
}

/**
 * The PEM text a certificate setting names: the value itself when it is PEM (literal `\n` turned into line breaks),
 * else the file it names, resolved against `cwd`. The text is never quoted in errors: the file may also hold a
 * private key (`openssl pkcs12 -nodes` writes both).
 *
 * @example
 * ```ts
 * const certificate = readCertificateSetting('virksomhet.pem', process.cwd())
 * ```
 */
export function readCertificateSetting(value: string, cwd: string = process.cwd(), variable = 'MASKINPORTEN_CERTIFICATE'): string {
  if (value.includes('-----BEGIN')) return value.includes('\\n') && !value.includes('\n') ? value.replace(/\\n/g, '\n') : value
  if (value.includes('\n') || value.length > 1024) {
    throw settingError(variable, 'is neither PEM text nor a file name: give the path of the PEM chain (leaf first)')
  }
  const full = certificateFileOf(value, cwd)!
  // The path is quoted as any setting is: a value pasted here by mistake (key text, a passphrase) is not shown.
  const shown = describeValue(full)
  let bytes: Buffer
  try {
    bytes = readFileSync(full)
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : 'cannot be read'
    throw settingError(variable, `names ${shown}, which ${why}; set it to the PEM file of your business certificate chain`, safeCause(err, [value, full]))
  }
  if (bytes.length > MAX_CERTIFICATE_FILE_BYTES) {
    throw settingError(variable, `names ${shown}, which has ${bytes.length} bytes; a certificate chain is far smaller`)
  }
  if (bytes[0] === 0x30) {
    throw settingError(
      variable,
      `names ${shown}, which is binary (DER or PKCS#12), not PEM; convert it: openssl pkcs12 -in cert.p12 -out cert.pem -nodes (or openssl x509 -inform der -in cert.cer -out cert.pem)`,
    )
  }
  return bytes.toString('utf8')
}

/**
 * The file a certificate setting names (absolute), or undefined when the setting is the PEM text itself.
 *
 * @example
 * ```ts
 * certificateFileOf('virksomhet.pem', '/srv/app') // '/srv/app/virksomhet.pem'
 * ```
 */
export function certificateFileOf(value: string, cwd: string = process.cwd()): string | undefined {
  if (value.includes('-----BEGIN')) return undefined
  return isAbsolute(value) ? value : resolve(cwd, value)
}

/** True when PEM text holds a private key block (the key that goes with the certificate). */
export function holdsPrivateKey(text: string | Uint8Array | undefined): boolean {
  if (text === undefined) return false
  return (typeof text === 'string' ? text : Buffer.from(text).toString('utf8')).includes('PRIVATE KEY-----')
}
