/**
 * A config from environment variables: the ones Wenche (Python) and NAIS already use, plus a few of our own. Apart
 * from the config checks because it has its own failures (a variable named in each) and its own sources (a key file,
 * a certificate file); what it returns is checked again by `resolveConfig`.
 */
import { describeValue, invalidConfig, safeCause } from '../errors/errors.js'
import { field, optionsObject } from './arguments.js'
import { holdsPrivateKey, readCertificateSetting } from './certificate-file.js'
import { envNamed } from './environments.js'
import { maskingPassphrase, maskKeyEchoes } from './failure-masking.js'
import { DEFAULT_KEY_FILE, envError, keyFilePath, MAX_KEY_CHARS, notPemProblem, readKeyFile } from './key-file.js'
import { MAX_TIMEOUT_MS, type MaskinportenConfig } from './resolve-config.js'

/** Options for {@link configFromEnv}. */
export interface ConfigFromEnvOptions {
  /** Directory that a relative `MASKINPORTEN_PRIVAT_NOKKEL` is read from. Default: the current directory. */
  cwd?: string
}

/**
 * A {@link MaskinportenConfig} from environment variables: the ones Wenche uses, plus NAIS' and a few of our own.
 *
 * | variable | meaning |
 * |---|---|
 * | `MASKINPORTEN_CLIENT_ID` | client id (required) |
 * | `MASKINPORTEN_KID` | key id (required unless `MASKINPORTEN_CLIENT_JWK` carries one) |
 * | `MASKINPORTEN_PRIVATE_KEY` | the PEM itself, for secret stores |
 * | `MASKINPORTEN_CLIENT_JWK` | private JWK as JSON (NAIS); its `kid` is used |
 * | `MASKINPORTEN_PRIVAT_NOKKEL` | path to the PEM file (`~/` is the home directory); default `maskinporten_privat.pem` |
 * | `MASKINPORTEN_PASSPHRASE` | passphrase of an encrypted PEM |
 * | `MASKINPORTEN_CERTIFICATE` | business certificate chain: a PEM file (leaf first) or the PEM itself; no kid then |
 * | `WENCHE_ENV` | `test` (also `tt02`) or `prod`, in any case (default `prod`) |
 * | `MASKINPORTEN_ISSUER` | issuer override |
 * | `ALTINN_URL` | Altinn platform override |
 * | `MASKINPORTEN_TIMEOUT_MS` | time limit of each request in milliseconds (`timeoutMs`, default 15000) |
 *
 * The key source is the first present of `MASKINPORTEN_PRIVATE_KEY`, `MASKINPORTEN_CLIENT_JWK`,
 * `MASKINPORTEN_PRIVAT_NOKKEL` (or its default file, unless the certificate file holds the key). A missing or bad
 * variable is named in the error.
 *
 * @example
 * ```ts
 * const token = await getAltinnToken(configFromEnv())
 * ```
 */
export function configFromEnv(
  env: Record<string, string | undefined> = process.env,
  options: ConfigFromEnvOptions = {},
): MaskinportenConfig {
  let passphrase: unknown
  let keyText: Record<string, unknown> = {}
  try {
    return maskingPassphrase(
      () => passphrase,
      () => {
        if (env !== null && typeof env === 'object') {
          try {
            passphrase = env.MASKINPORTEN_PASSPHRASE
            const pem = env.MASKINPORTEN_PRIVATE_KEY
            const jwk = env.MASKINPORTEN_CLIENT_JWK
            if (typeof pem === 'string' && pem.trim() !== '') keyText = { privateKeyPem: pem.includes('\\n') && !pem.includes('\n') ? pem.replace(/\\n/g, '\n') : pem.trim() }
            else if (typeof jwk === 'string' && jwk.trim() !== '') keyText = { privateKey: jwk.trim() }
          } catch {
            // read again, and refused, below
          }
        }
        return fromEnv(env, options)
      },
    )
  } catch (err) {
    throw maskKeyEchoes({ ...keyText, passphrase }, err)
  }
}

function fromEnv(env: Record<string, string | undefined>, options: ConfigFromEnvOptions): MaskinportenConfig {
  const vars = optionsObject(env, 'env')
  if (options === null || typeof options !== 'object') throw invalidConfig('options', `must be an object, got ${describeValue(options, false)}`)
  const get = (name: string): string | undefined => {
    const raw = field(vars, name, 'env')
    if (raw !== undefined && typeof raw !== 'string') throw envError(name, `must be text, got ${describeValue(raw)}`)
    const value = raw?.trim()
    return value === undefined || value === '' ? undefined : value
  }
  const clientId = get('MASKINPORTEN_CLIENT_ID')
  if (!clientId) throw envError('MASKINPORTEN_CLIENT_ID', "is not set: the client id from Digdir's self-service portal")
  const config: MaskinportenConfig = { clientId }

  const wencheEnv = get('WENCHE_ENV')
  if (wencheEnv !== undefined) {
    const named = envNamed(wencheEnv)
    if (named === undefined) {
      throw envError('WENCHE_ENV', `must be "test" (or "tt02") or "prod", got ${describeValue(wencheEnv)}`)
    }
    config.env = named
  }
  const issuer = get('MASKINPORTEN_ISSUER')
  if (issuer) config.issuer = issuer
  const altinnUrl = get('ALTINN_URL')
  if (altinnUrl) config.altinnUrl = altinnUrl
  const timeout = get('MASKINPORTEN_TIMEOUT_MS')
  if (timeout !== undefined) {
    const ms = Number(timeout)
    if (!/^\d+$/.test(timeout) || ms <= 0 || ms > MAX_TIMEOUT_MS) {
      throw envError('MASKINPORTEN_TIMEOUT_MS', `must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, got ${describeValue(timeout)}`)
    }
    config.timeoutMs = ms
  }
  const passphrase = field(vars, 'MASKINPORTEN_PASSPHRASE', 'env')
  if (passphrase !== undefined && typeof passphrase !== 'string') throw envError('MASKINPORTEN_PASSPHRASE', `must be text, got ${describeValue(passphrase)}`)
  if (passphrase) config.passphrase = passphrase
  const certificate = get('MASKINPORTEN_CERTIFICATE')
  if (certificate) config.certificate = readCertificateSetting(certificate, options.cwd)

  let jwkKid: string | undefined
  const pem = get('MASKINPORTEN_PRIVATE_KEY')
  const jwkText = get('MASKINPORTEN_CLIENT_JWK')
  if (pem) {
    // Secret stores and CI variables often hold the PEM with literal "\n" for line breaks.
    config.privateKeyPem = pem.includes('\\n') && !pem.includes('\n') ? pem.replace(/\\n/g, '\n') : pem
  } else if (jwkText) {
    let jwk: unknown
    try {
      jwk = JSON.parse(jwkText)
    } catch {
      // The parser's message would quote key material.
      throw envError('MASKINPORTEN_CLIENT_JWK', 'is not valid JSON: it should hold a private JWK')
    }
    if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) {
      throw envError('MASKINPORTEN_CLIENT_JWK', 'must be a JSON object (a private JWK)')
    }
    const kid = (jwk as { kid?: unknown }).kid
    if (typeof kid === 'string' && kid !== '') jwkKid = kid
    config.privateKey = jwk as Record<string, string>
  } else if (get('MASKINPORTEN_PRIVAT_NOKKEL') || !holdsPrivateKey(config.certificate)) {
    const given = get('MASKINPORTEN_PRIVAT_NOKKEL')
    const variable = given ? 'MASKINPORTEN_PRIVAT_NOKKEL' : 'MASKINPORTEN_PRIVAT_NOKKEL (default file)'
    const cwd: unknown = options.cwd
    if (cwd !== undefined && typeof cwd !== 'string') throw invalidConfig('cwd', `must be a directory path, got ${describeValue(cwd, false)}`)
    const full = keyFilePath(given, cwd, variable)
    let text: string
    try {
      text = readKeyFile(full)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'EISDIR') {
        throw envError(
          variable,
          `names "${full}", which is a directory: name the PEM file in it (${DEFAULT_KEY_FILE} from \`maskinporten keygen\`)`,
        )
      }
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EFTYPE' ? 'is not a regular file' : code === 'EFBIG' ? `is over ${MAX_KEY_CHARS} bytes` : 'cannot be read'
      throw envError(
        variable,
        `names "${full}", which ${why}; set MASKINPORTEN_PRIVAT_NOKKEL to your PEM file, or MASKINPORTEN_PRIVATE_KEY to the PEM itself`,
        safeCause(err),
      )
    }
    const problem = notPemProblem(text)
    if (problem !== undefined) throw envError(variable, `names "${full}", which ${problem}`)
    config.privateKeyPem = text
  }

  // A certificate grant carries x5c and no kid: a JWK's own kid is not taken then, only one set on purpose.
  const kid = get('MASKINPORTEN_KID') ?? (config.certificate === undefined ? jwkKid : undefined)
  if (!kid && config.certificate !== undefined) return config
  if (!kid) throw envError('MASKINPORTEN_KID', 'is not set: the key id registered with the public key in the portal')
  config.kid = kid
  return config
}
