/**
 * Where each setting comes from: a flag, else the environment, else `.env` in the working directory (which never
 * overrides the environment). The three are merged into one set of variables, so that the library's
 * `configFromEnv` does the mapping for the CLI exactly as it does for library users.
 */
import { configFromEnv, envNamed, keyFilePath, type MaskinportenConfig } from '../config/config.js'
import { describeValue, isMaskinportenError, MaskinportenError } from '../errors/errors.js'
import { readDotenv } from './dotenv.js'
import type { CliContext } from './context.js'
import { UsageError, type FlagSpec } from './usage.js'

/** Where a value came from. */
export type Source = 'flag' | 'environment' | '.env'

/** Flags that set a configuration variable, and the variable each sets. */
export const FLAG_VARIABLES = {
  'client-id': 'MASKINPORTEN_CLIENT_ID',
  kid: 'MASKINPORTEN_KID',
  key: 'MASKINPORTEN_PRIVAT_NOKKEL',
  env: 'WENCHE_ENV',
  issuer: 'MASKINPORTEN_ISSUER',
  'altinn-url': 'ALTINN_URL',
  org: 'ORG_NUMMER',
  scope: 'MASKINPORTEN_SCOPES',
  timeout: 'MASKINPORTEN_TIMEOUT_MS',
  certificate: 'MASKINPORTEN_CERTIFICATE',
} as const

/** A configuration flag's name. */
export type ConfigFlag = keyof typeof FLAG_VARIABLES

/** The flags every command that talks to Maskinporten takes (`--org` and `--scope` belong to the commands). */
export const CONFIG_FLAGS = {
  'client-id': { type: 'string' },
  kid: { type: 'string' },
  key: { type: 'string' },
  env: { type: 'string' },
  issuer: { type: 'string' },
  'altinn-url': { type: 'string' },
  timeout: { type: 'string' },
  certificate: { type: 'string' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies FlagSpec

/** Help text for {@link CONFIG_FLAGS}. */
export const CONFIG_FLAGS_HELP = `Configuration (flag > environment variable > ./.env):
  --client-id ID     MASKINPORTEN_CLIENT_ID      client id from Digdir's self-service portal
  --kid KID          MASKINPORTEN_KID            key id registered with the public JWK
  --key FILE         MASKINPORTEN_PRIVAT_NOKKEL  private key PEM file (default maskinporten_privat.pem)
                     MASKINPORTEN_PRIVATE_KEY    the PEM itself (secret stores)
                     MASKINPORTEN_CLIENT_JWK     private JWK as JSON (NAIS); its kid is used
                     MASKINPORTEN_PASSPHRASE     passphrase of an encrypted PEM
  --certificate FILE MASKINPORTEN_CERTIFICATE    business certificate chain, PEM, leaf first (no kid then; the
                                                 key may be in the same file: openssl pkcs12 -nodes output)
  --env test|prod    WENCHE_ENV                  environment (default prod; any case, tt02 = test)
  --issuer URL       MASKINPORTEN_ISSUER         issuer override, taken exactly as given
  --altinn-url URL   ALTINN_URL                  Altinn platform override
  --timeout MS       MASKINPORTEN_TIMEOUT_MS     time limit of each request, milliseconds (default 15000)
  --debug                                        show stacks on errors
`

// One key is one decision: the source that names any key variable supplies the key, so that `--key FILE` is not
// overruled by a MASKINPORTEN_PRIVATE_KEY left in .env, nor a NAIS JWK in the environment by a PEM path in .env.
/** The variables that name a private key, in configFromEnv's order of preference. */
export const KEY_VARIABLES = ['MASKINPORTEN_PRIVATE_KEY', 'MASKINPORTEN_CLIENT_JWK', 'MASKINPORTEN_PRIVAT_NOKKEL'] as const

/** The merged variables and where each came from. */
export interface Settings {
  /** Variables after precedence: what `configFromEnv` reads. */
  vars: Record<string, string>
  /** The source of each variable in {@link vars}. */
  sources: Record<string, Source>
  /** The `.env` file that was read, if any. */
  dotenvPath?: string
  /** Its variables as read (null when there was none): what the run cache (run-cache.cts) keys a run by. */
  dotenvValues: Record<string, string> | null
  cwd: string
}

/** Variables set by flags, from parsed flag values. Empty values are a usage error (a flag must mean something). */
export function flagVariables(command: string, values: Partial<Record<ConfigFlag, string | string[] | undefined>>) {
  const vars: Record<string, string> = {}
  for (const [flag, variable] of Object.entries(FLAG_VARIABLES) as Array<[ConfigFlag, string]>) {
    const value = values[flag]
    if (value === undefined) continue
    const text = Array.isArray(value) ? value.join(' ') : value
    if (text.trim() === '') throw new UsageError(`--${flag} needs a value`, command)
    vars[variable] = text
  }
  if (vars.WENCHE_ENV !== undefined && envNamed(vars.WENCHE_ENV) === undefined) {
    throw new UsageError(`--env must be test (or tt02) or prod; got ${describeValue(vars.WENCHE_ENV)}`, command)
  }
  return vars
}

/**
 * Refuses key text (as {@link describeValue} judges it: PEM armour, newlines, JWK members, a JWT, a long value) where
 * `what` belongs, unless `fits` accepts the value as it is. Nothing is sent with it then: a key given as a client id
 * or scope would otherwise go to Maskinporten, whose refusal may quote it back. The error names `where`, not the value.
 */
export function refuseKeyText(value: string, where: string, what: string, fits: (value: string) => boolean = () => false): void {
  const described = describeValue(value)
  if (described.startsWith('"') || fits(value)) return
  throw new MaskinportenError(
    'invalid_config',
    `${where} holds ${described}, not ${what}. A private key goes in MASKINPORTEN_PRIVAT_NOKKEL (its file), MASKINPORTEN_PRIVATE_KEY or MASKINPORTEN_CLIENT_JWK`,
  )
}

/** Merges flags, the environment and `.env` (in that order of precedence). */
export function loadSettings(flags: Record<string, string>, ctx: Pick<CliContext, 'env' | 'cwd'>): Settings {
  const dotenv = readDotenv(ctx.cwd)
  const environment: Record<string, string> = {}
  for (const [name, value] of Object.entries(ctx.env)) if (value !== undefined) environment[name] = value
  const layers: Array<[Source, Record<string, string>]> = [
    ['flag', flags],
    ['environment', environment],
    ['.env', dotenv?.values ?? {}],
  ]
  const keyLayer = layers.find(([, vars]) => KEY_VARIABLES.some((name) => present(vars[name])))
  const settings: Settings = { vars: {}, sources: {}, dotenvValues: dotenv?.values ?? null, cwd: ctx.cwd }
  if (dotenv) settings.dotenvPath = dotenv.path
  // Lowest precedence first, so that each layer overwrites the ones below it.
  for (const [source, vars] of [...layers].reverse()) {
    for (const [name, value] of Object.entries(vars)) {
      if (!present(value)) continue
      if ((KEY_VARIABLES as readonly string[]).includes(name) && keyLayer?.[0] !== source) continue
      settings.vars[name] = value
      settings.sources[name] = source
    }
  }
  return settings
}

function present(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== ''
}

/** A variable's value, when set by any source. */
export function setting(settings: Settings, name: string): string | undefined {
  return settings.vars[name]?.trim()
}

/** How to say where a variable came from: `--org`, `ORG_NUMMER`, `ORG_NUMMER in /x/.env`. */
export function describeSource(settings: Settings, variable: string): string {
  const source = settings.sources[variable]
  if (source === 'flag') {
    const flag = Object.entries(FLAG_VARIABLES).find(([, v]) => v === variable)?.[0]
    return flag ? `--${flag}` : variable
  }
  if (source === '.env') return `${variable} in ${settings.dotenvPath ?? '.env'}`
  return variable
}

/** Where a variable came from, for a report line: `from --org`, `from the environment`, `from .env`. */
export function sourceLabel(settings: Settings, variable: string): string {
  const source = settings.sources[variable]
  if (source === 'flag') return `from ${describeSource(settings, variable)}`
  return source === '.env' ? 'from .env' : 'from the environment'
}

/** The key file the settings name, and whether it was named (else it is the default file). */
export interface KeyFile {
  path: string
  given: boolean
}

/**
 * The key file configFromEnv will read, resolved as it resolves it (`keyFilePath`), or undefined when the key comes
 * from MASKINPORTEN_PRIVATE_KEY or MASKINPORTEN_CLIENT_JWK. Key text where the path belongs is refused without being
 * echoed, and the error names where it was set (`--key`, `MASKINPORTEN_PRIVAT_NOKKEL in /x/.env`).
 */
export function keyFileOf(settings: Settings): KeyFile | undefined {
  // configFromEnv's order of key sources (KEY_VARIABLES): a file only when neither of the others is set.
  if (setting(settings, 'MASKINPORTEN_PRIVATE_KEY') || setting(settings, 'MASKINPORTEN_CLIENT_JWK')) return undefined
  const given = setting(settings, 'MASKINPORTEN_PRIVAT_NOKKEL')
  const variable = given ? describeSource(settings, 'MASKINPORTEN_PRIVAT_NOKKEL') : 'MASKINPORTEN_PRIVAT_NOKKEL (default file)'
  return { path: keyFilePath(given, settings.cwd, variable), given: given !== undefined }
}

/** The settings that hold a URL, and whether it is an issuer (which gets a trailing slash in a suggestion). */
const URL_VARIABLES = [
  ['MASKINPORTEN_ISSUER', true],
  ['ALTINN_URL', false],
] as const

/**
 * What is wrong with the URL in `variable`, if anything, said with the whole value quoted, where it came from
 * (`--issuer`, `MASKINPORTEN_ISSUER in /x/.env`) and, when the value looks like a host without its scheme
 * (`localhost:8099`, `test.maskinporten.no`), the URL that was probably meant (`http://localhost:8099/`).
 * A URL that parses is taken as given (Skyporten's issuers have no trailing slash).
 *
 * @example
 * ```ts
 * urlProblem(settings, 'MASKINPORTEN_ISSUER') // 'MASKINPORTEN_ISSUER is "localhost:8099", ...; did you mean "http://localhost:8099/"? ...'
 * ```
 */
export function urlProblem(settings: Settings, variable: string): string | undefined {
  const value = setting(settings, variable)
  if (value === undefined) return undefined
  const where = describeSource(settings, variable)
  if (!describeValue(value).startsWith('"')) return `${where} holds ${describeValue(value)}, not a URL`
  if (/^https?:\/\/[^/]/i.test(value) && URL.canParse(value)) return undefined
  const issuer = URL_VARIABLES.find(([name]) => name === variable)?.[1] === true
  const meant = meantUrl(value, issuer)
  return (
    `${where} is ${describeValue(value)}, which is not an http(s) URL` +
    (meant === undefined ? '.' : `; did you mean ${describeValue(meant)}?`) +
    ` Set ${variable === 'MASKINPORTEN_ISSUER' ? 'it to the whole issuer, scheme included' : 'it to the whole URL, scheme included'}, or unset it to use the environment's (WENCHE_ENV)`
  )
}

/** `localhost:8099` → `http://localhost:8099/`; `test.maskinporten.no` → `https://test.maskinporten.no/`. */
function meantUrl(value: string, issuer: boolean): string | undefined {
  // A scheme of its own (`ftp://`, `http:/x`): not a missing one. `localhost:8099` is a host and a port.
  if (/^[a-z][a-z0-9+.-]*:(?!\d)/i.test(value)) return undefined
  const bare = value.replace(/^\/+/, '')
  const host = bare.split(/[/:?#]/, 1)[0] ?? ''
  if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/i.test(host) || host === '') return undefined
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i.test(host) || !host.includes('.')
  let url = `${loopback ? 'http' : 'https'}://${bare}`
  if (!URL.canParse(url)) return undefined
  if (issuer && new URL(url).pathname === '/' && !url.endsWith('/')) url += '/'
  return url
}

/**
 * Throws `invalid_config` for the first URL setting {@link urlProblem} finds wrong.
 *
 * @example
 * ```ts
 * checkUrlSettings(loadSettings(flags, ctx)) // before configFromEnv, whose message would name the library's field
 * ```
 */
export function checkUrlSettings(settings: Settings): void {
  for (const [variable] of URL_VARIABLES) {
    const problem = urlProblem(settings, variable)
    if (problem !== undefined) throw new MaskinportenError('invalid_config', `Invalid configuration: ${problem}`)
  }
}

/**
 * The library config from the merged settings, through `configFromEnv`, with the key file resolved by
 * {@link keyFileOf} (so that a bad path names its flag or file). Its errors gain where to set what is missing,
 * since a CLI user may use a flag.
 */
export function configFromSettings(settings: Settings): MaskinportenConfig {
  try {
    for (const [variable, what] of [['MASKINPORTEN_CLIENT_ID', 'a client id'], ['MASKINPORTEN_KID', 'a key id']] as const) {
      const value = setting(settings, variable)
      if (value !== undefined) refuseKeyText(value, describeSource(settings, variable), what)
    }
    checkUrlSettings(settings)
    const file = keyFileOf(settings)
    const vars = file?.given ? { ...settings.vars, MASKINPORTEN_PRIVAT_NOKKEL: file.path } : settings.vars
    return configFromEnv(vars, { cwd: settings.cwd })
  } catch (err) {
    throw withWhereToSet(err)
  }
}

function withWhereToSet(err: unknown): unknown {
  if (!isMaskinportenError(err) || err.code !== 'invalid_config' || !/ is not set/.test(err.message)) return err
  const entry = Object.entries(FLAG_VARIABLES).find(([, variable]) => err.message.includes(`: ${variable} `))
  if (!entry) return err
  return new MaskinportenError(
    'invalid_config',
    `${err.message}. Set ${entry[1]} in the environment or in .env, or pass --${entry[0]}`,
    err.cause === undefined ? {} : { cause: err.cause },
  )
}
