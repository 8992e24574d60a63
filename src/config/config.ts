/**
 * Configuration: the environments, validation before anything is sent, and the same environment variables that
 * Wenche (Python) and NAIS already use.
 *
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_func_wellknown
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import type { KeyObject } from 'node:crypto'
import { types } from 'node:util'
import { isAbsolute, join, resolve } from 'node:path'
import { describeValue, invalidConfig, MaskinportenError, safeCause } from '../errors/errors.js'
import { field, optionsObject } from './arguments.js'
import { holdsPrivateKey, readCertificateSetting } from './certificate-file.js'
import { maskSecretEchoes, rememberSecrets } from './secret-echo.js'
import { loadSigningKey, type KeySource } from '../signing/keys.js'
import { resolveSigning, type ResolvedSigning, type SigningSource } from '../signing/resolve.js'

/** Digdir's two Maskinporten environments. `test` pairs with Altinn's tt02. */
export type MaskinportenEnv = 'test' | 'prod'

/** Where an environment's services are. */
export interface Environment {
  /** Maskinporten's issuer; the grant's `aud` is exactly this string, trailing slash included. */
  issuer: string
  /** Altinn 3 platform base URL. */
  altinnUrl: string
}

/** The issuers and Altinn platforms of Digdir's environments (Digdir's well-known endpoints page and Altinn's environment list). */
export const ENVIRONMENTS: Readonly<Record<MaskinportenEnv, Readonly<Environment>>> = Object.freeze({
  prod: Object.freeze({ issuer: 'https://maskinporten.no/', altinnUrl: 'https://platform.altinn.no' }),
  test: Object.freeze({ issuer: 'https://test.maskinporten.no/', altinnUrl: 'https://platform.tt02.altinn.no' }),
})

/**
 * The environment a `WENCHE_ENV` (or `--env`) value names: `test` or `prod` in any case, and `tt02` (Altinn's name
 * for its test environment, which pairs with Maskinporten's test) for `test`. Undefined for anything else.
 *
 * @example
 * ```ts
 * envNamed('TT02') // 'test'
 * ```
 */
export function envNamed(value: string): MaskinportenEnv | undefined {
  const name = value.trim().toLowerCase()
  if (name === 'tt02') return 'test'
  return name === 'test' || name === 'prod' ? name : undefined
}

/** Default for {@link MaskinportenConfig.timeoutMs}. */
export const DEFAULT_TIMEOUT_MS = 15_000

/** Longest key text taken (characters): an RSA 4096 PEM is about 3.3 KB, encrypted a little more. */
const MAX_KEY_CHARS = 64 * 1024

/** The longest timer Node can set. */
const MAX_TIMEOUT_MS = 2_147_483_647

/**
 * How to reach Maskinporten and sign grants.
 *
 * @example
 * ```ts
 * const config: MaskinportenConfig = {
 *   clientId: 'a1b2c3d4-...',
 *   kid: 'my-key-2026',
 *   privateKeyPem: readFileSync('maskinporten_privat.pem', 'utf8'),
 *   env: 'test',
 * }
 * ```
 */
export interface MaskinportenConfig extends SigningSource {
  /** The client id (integration id) from Digdir's self-service portal. Goes in the grant's `iss` and `sub`. */
  clientId: string
  /** `'test'` (test.maskinporten.no, Altinn tt02) or `'prod'`. Default `'prod'`, as in the seed. */
  env?: MaskinportenEnv
  /**
   * Overrides the environment's issuer, taken exactly as given (Skyporten's issuers have no trailing slash). The
   * grant's `aud` is this string; the token endpoint is `token` resolved against it with a slash between.
   */
  issuer?: string
  /** Overrides the environment's Altinn platform base URL (`https://platform.tt02.altinn.no` for test). */
  altinnUrl?: string
  /**
   * A `fetch` to send requests with: for proxies, instrumentation or tests. Default: the package's own sender on
   * `node:http`/`node:https` with keep-alive (it starts faster than the global `fetch`).
   */
  fetch?: typeof globalThis.fetch
  /** Time limit (in milliseconds) for each HTTP request, body included, and for each call to a `signer`. Default 15000. */
  timeoutMs?: number
}

/** A config checked and made ready: the key (or signer, certificate) checked, the URLs worked out. */
export interface ResolvedConfig extends ResolvedSigning {
  clientId: string
  env: MaskinportenEnv
  issuer: string
  tokenEndpoint: string
  altinnUrl: string
  exchangeUrl: string
  /** The config's `fetch`; undefined for the default sender (node:http/https with keep-alive). */
  fetch: typeof globalThis.fetch | undefined
  timeoutMs: number
}

/** `token` resolved against an issuer, with exactly one slash between. */
export function tokenEndpointFor(issuer: string): string {
  return issuer.endsWith('/') ? `${issuer}token` : `${issuer}/token`
}

/** Altinn's Maskinporten token exchange endpoint under a platform base URL. */
export function exchangeUrlFor(altinnUrl: string): string {
  return `${altinnUrl.replace(/\/+$/, '')}/authentication/api/v1/exchange/maskinporten`
}

function checkUrl(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalidConfig(field, 'must be an absolute http(s) URL')
  let url: URL
  try {
    url = new URL(value)
  } catch {
    // No cause: URL's TypeError carries the input, which may be anything a user pasted.
    throw invalidConfig(field, `is not an absolute URL: ${describeValue(value)}`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw invalidConfig(field, `must be an http(s) URL, got ${describeValue(url.protocol)}`)
  }
  // A password in the URL would be sent to every hop and printed in every message that names the URL.
  if (url.username !== '' || url.password !== '') {
    throw invalidConfig(field, 'must not carry credentials (user:password@); neither Maskinporten nor Altinn takes them')
  }
  // Key text in a URL would be printed by every message that names the URL (a request that failed, a redirect).
  if (/-----BEGIN|PRIVATE KEY|[A-Za-z0-9+/_-]{48,}/.test(value)) throw invalidConfig(field, 'looks like key material, not a URL; nothing was sent')
  if (value.length > 2048 || /[\u0000-\u0020\u007f]/.test(value)) {
    throw invalidConfig(field, `must be a URL without white space or control characters, got ${describeValue(value)}`)
  }
  return value
}

function checkText(value: unknown, field: string, what: string): string {
  if (value !== undefined && value !== null && typeof value !== 'string') throw invalidConfig(field, `must be a string: ${what}; got ${describeValue(value)}`)
  if (typeof value !== 'string' || value.trim() === '') throw invalidConfig(field, `is required: ${what}`)
  if (value !== value.trim()) throw invalidConfig(field, 'has leading or trailing white space')
  // Key text pasted here is named as such (and never quoted); other control characters as what they are.
  if (/-----BEGIN|"(d|kty)"\s*:/.test(value)) throw invalidConfig(field, `looks like key material, not ${what}; nothing was sent`)
  if (/[\u0000-\u001f\u007f]/.test(value)) throw invalidConfig(field, 'holds a control character')
  return value
}

/**
 * Checks a config and parses its key (once per key: see `loadSigningKey`). Throws `invalid_config` naming the
 * field, or `jwt_sign_failed` for an unusable key. Never sends anything.
 */
export function resolveConfig(given: MaskinportenConfig): ResolvedConfig {
  let seen: Record<string, unknown> = {}
  try {
    return maskingPassphrase(
      () => seen.passphrase,
      () => resolveChecked(given, (fields) => (seen = fields)),
    )
  } catch (err) {
    throw maskKeyEchoes(seen, err)
  }
}

/**
 * A config error with runs of the config's own key (its JWK members) masked: a piece of the key pasted into another
 * field is quoted by that field's check. The key is parsed again only here, on the way out of a failure.
 */
function maskKeyEchoes(fields: Record<string, unknown>, err: unknown): unknown {
  if (!(err instanceof MaskinportenError) || (fields.privateKeyPem === undefined && fields.privateKey === undefined)) return err
  let key: KeyObject
  try {
    key = loadSigningKey({ privateKeyPem: fields.privateKeyPem, privateKey: fields.privateKey, passphrase: fields.passphrase } as KeySource)
  } catch {
    return err // no key to mask runs of
  }
  const holder = {}
  rememberSecrets(holder, { passphrase: fields.passphrase, key })
  return maskSecretEchoes(holder, err)
}

/** Runs `fn`; an error quoting the passphrase (pasted into another field as well) has it masked. */
function maskingPassphrase<T>(passphrase: () => unknown, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    const secret = passphrase()
    if (err instanceof MaskinportenError && typeof secret === 'string' && secret.length >= 4 && err.message.includes(secret)) {
      throw new MaskinportenError(err.code, err.message.split(secret).join('[passphrase masked]'), err.cause === undefined ? {} : { cause: err.cause })
    }
    throw err
  }
}

function resolveChecked(given: MaskinportenConfig, saw: (fields: Record<string, unknown>) => void): ResolvedConfig {
  if (given === null || typeof given !== 'object' || Array.isArray(given)) throw invalidConfig('config', `must be an object, got ${describeValue(given, false)}`)
  // Each field read once, through a guard: a getter that throws, or a Proxy, cannot get past as a TypeError.
  const raw = optionsObject(given, 'config')
  const config = {} as Record<string, unknown>
  for (const name of ['clientId', 'kid', 'env', 'issuer', 'altinnUrl', 'fetch', 'timeoutMs', 'privateKeyPem', 'privateKey', 'passphrase', 'signer', 'certificate', 'publicKey']) {
    const value = field(raw, name, 'config')
    if (value !== undefined) config[name] = value
  }
  saw(config)
  const clientId = checkText(config.clientId, 'clientId', "the client id from Digdir's self-service portal")
  const env = config.env ?? 'prod'
  if (env !== 'test' && env !== 'prod') {
    throw invalidConfig('env', `must be "test" or "prod", got ${describeValue(env)}`)
  }
  if (typeof config.privateKeyPem === 'string' && config.privateKeyPem.length > MAX_KEY_CHARS) {
    throw invalidConfig('privateKeyPem', `is ${config.privateKeyPem.length} characters; a private key PEM is a few KB`)
  }
  if (config.privateKeyPem !== undefined && config.privateKey !== undefined) {
    throw invalidConfig('privateKeyPem', 'and privateKey are both set; give exactly one key source')
  }
  const pem: unknown = config.privateKeyPem
  // types.isUint8Array, not instanceof: a Proxy's getPrototypeOf trap cannot throw past us.
  if (pem !== undefined && typeof pem !== 'string' && !types.isUint8Array(pem)) {
    throw invalidConfig('privateKeyPem', 'must be PEM text (a string) or its bytes (a Buffer or Uint8Array)')
  }
  const jwk: unknown = config.privateKey
  if (jwk !== undefined && (jwk === null || (typeof jwk !== 'string' && typeof jwk !== 'object'))) {
    throw invalidConfig('privateKey', 'must be a KeyObject, a private JWK object, or its JSON text')
  }
  if (config.passphrase !== undefined && typeof config.passphrase !== 'string') {
    throw invalidConfig('passphrase', 'must be a string')
  }
  const issuer = config.issuer === undefined ? ENVIRONMENTS[env].issuer : checkUrl(config.issuer, 'issuer')
  const altinnUrl =
    config.altinnUrl === undefined ? ENVIRONMENTS[env].altinnUrl : checkUrl(config.altinnUrl, 'altinnUrl')
  const timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS
  // setTimeout takes at most 2^31 - 1 ms (about 24.8 days); beyond that Node fires at once.
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) {
    throw invalidConfig('timeoutMs', `must be a positive number of milliseconds up to ${MAX_TIMEOUT_MS}, got ${describeValue(timeoutMs, false)}`)
  }
  // Undefined: requests go out through the package's own node:http sender (http/send.ts).
  const fetchFn = config.fetch
  if (fetchFn !== undefined && typeof fetchFn !== 'function') throw invalidConfig('fetch', 'must be a function like the global fetch')
  const resolved: ResolvedConfig = {
    clientId,
    ...resolveSigning(config as SigningSource),
    env,
    issuer,
    tokenEndpoint: tokenEndpointFor(issuer),
    altinnUrl,
    exchangeUrl: exchangeUrlFor(altinnUrl),
    fetch: fetchFn as typeof globalThis.fetch | undefined,
    timeoutMs,
  }
  rememberSecrets(resolved, resolved.key ? { passphrase: config.passphrase, key: resolved.key } : { passphrase: config.passphrase })
  return resolved
}

/** Default path of the private key file, as in Wenche. */
export const DEFAULT_KEY_FILE = 'maskinporten_privat.pem'

/**
 * The key file a path setting names (default {@link DEFAULT_KEY_FILE}), resolved against `cwd` (default the current
 * directory). A value that is key text rather than a path is refused without being echoed: it is a secret.
 *
 * @param variable the setting's name, for the error (`MASKINPORTEN_PRIVAT_NOKKEL`, `--key`).
 */
export function keyFilePath(path: string | undefined, cwd: string = process.cwd(), variable = 'MASKINPORTEN_PRIVAT_NOKKEL'): string {
  const value = path ?? DEFAULT_KEY_FILE
  if (value.includes('-----BEGIN') || value.includes('\n') || value.length > 1024) {
    throw envError(
      variable,
      'holds key text, not a path to a key file: put the PEM itself in MASKINPORTEN_PRIVATE_KEY, or the file name here',
    )
  }
  // `~/` as a shell would expand it: a .env file or `node --env-file` passes it on literally.
  if (value === '~' || value.startsWith('~/')) return join(homedir(), value.slice(2))
  return isAbsolute(value) ? value : resolve(cwd, value)
}

/**
 * Why a key file's text is not a PEM, when it is something else we can name: the public JWK that `keygen` writes
 * next to the private key, or a JWK at all (whose place is MASKINPORTEN_CLIENT_JWK). Undefined for anything else,
 * which the key parser judges.
 */
function notPemProblem(text: string): string | undefined {
  const trimmed = text.trim()
  if (!trimmed.startsWith('{')) return undefined
  let jwk: unknown
  try {
    jwk = JSON.parse(trimmed)
  } catch {
    return 'holds JSON-like text, not a PEM private key'
  }
  if (jwk === null || typeof jwk !== 'object' || typeof (jwk as { kty?: unknown }).kty !== 'string') return undefined
  if ((jwk as { d?: unknown }).d === undefined) {
    return `holds a public JWK (what goes to Digdir's portal), not the private key: point it at the PEM file next to it (${DEFAULT_KEY_FILE} from \`maskinporten keygen\`)`
  }
  return 'holds a private JWK, not a PEM: put the JWK in MASKINPORTEN_CLIENT_JWK instead'
}

/**
 * A key file's text: a regular file of at most {@link MAX_KEY_CHARS} bytes. Opened without blocking, so a FIFO or a
 * device named by mistake is refused (`EFTYPE`) instead of hanging the process.
 */
function readKeyFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  try {
    const stats = fstatSync(fd)
    if (stats.isDirectory()) throw Object.assign(new Error('a directory'), { code: 'EISDIR' })
    if (!stats.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EFTYPE' })
    if (stats.size > MAX_KEY_CHARS) throw Object.assign(new Error('too large'), { code: 'EFBIG' })
    return readFileSync(fd, 'utf8')
  } finally {
    closeSync(fd)
  }
}

/** Options for {@link configFromEnv}. */
export interface ConfigFromEnvOptions {
  /** Directory that a relative `MASKINPORTEN_PRIVAT_NOKKEL` is read from. Default: the current directory. */
  cwd?: string
}

function envError(variable: string, problem: string, cause?: unknown): MaskinportenError {
  return new MaskinportenError('invalid_config', `Invalid configuration: ${variable} ${problem}`, { cause })
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
