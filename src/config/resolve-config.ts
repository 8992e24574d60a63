/**
 * A config object and its checks: every field read once through a guard, checked before anything is sent, and made
 * ready (key parsed, URLs worked out) as a `ResolvedConfig`. The environments it defaults from live in
 * `environments.ts`; reading a config from environment variables lives in `config-from-env.ts`.
 */
import { types } from 'node:util'
import { describeValue, invalidConfig } from '../errors/errors.js'
import { field, optionsObject } from './arguments.js'
import { ENVIRONMENTS, exchangeUrlFor, tokenEndpointFor, type MaskinportenEnv } from './environments.js'
import { maskingPassphrase, maskKeyEchoes } from './failure-masking.js'
import { MAX_KEY_CHARS } from './key-file.js'
import { rememberSecrets } from './secret-echo.js'
import { resolveSigning, type ResolvedSigning, type SigningSource } from '../signing/resolve.js'

/** Default for {@link MaskinportenConfig.timeoutMs}. */
export const DEFAULT_TIMEOUT_MS = 15_000

/** The longest timer Node can set. */
export const MAX_TIMEOUT_MS = 2_147_483_647

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
