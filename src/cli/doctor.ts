/**
 * `maskinporten doctor`: one line per check, ✓ or ✗ with the fix. Offline it checks the variables, the key and the
 * org numbers; online (doctor-online.ts) the issuer's metadata, the clock and a real token request.
 */
import { readFileSync, statSync } from 'node:fs'
import { configFromEnv, envNamed, resolveConfig, type MaskinportenConfig } from '../config/config.js'
import { describeValue, isMaskinportenError } from '../errors/errors.js'
import { loadSigningKey } from '../signing/keys.js'
import type { CliContext } from './context.js'
import { checkOnline } from './doctor-online.js'
import { checkSystem, doctorSystemId } from './doctor-system.js'
import { checkCertificate, checkCertificateKid, type CertificateSetup } from './doctor-certificate.js'
import { message, Report } from './doctor-report.js'
import { describeScopes } from './output.js'
import {
  CONFIG_FLAGS,
  CONFIG_FLAGS_HELP,
  configFromSettings,
  flagVariables,
  describeSource,
  KEY_VARIABLES,
  keyFileOf,
  loadSettings,
  refuseKeyText,
  setting,
  sourceLabel,
  urlProblem,
  type Settings,
} from './settings.js'
import { TOKEN_REQUEST_FLAGS, TOKEN_REQUEST_HELP, tokenRequestFrom, type TokenRequest } from './token-request.js'
import { parseFlags } from './usage.js'

const FLAGS = { ...CONFIG_FLAGS, ...TOKEN_REQUEST_FLAGS, offline: { type: 'boolean' }, altinn: { type: 'boolean' }, system: { type: 'string' } } as const

/** `maskinporten doctor --help`. */
export const DOCTOR_HELP = `Usage: maskinporten doctor [--offline] [--altinn] [flags]

Checks the setup, one line per check (✓ or ✗ with the fix); exits 1 when any check fails.
Offline: each variable, the key file (readable, not readable by others, RSA >= 2048 bits), the kid, org numbers.
Online: the issuer's metadata, this machine's clock against Maskinporten's, and a real token request.

  --offline   skip the checks that use the network
  --altinn    also exchange the token at Altinn
  --system ID (or ALTINN_SYSTEM_ID) also check that the system is registered and lists this client id

${TOKEN_REQUEST_HELP}
${CONFIG_FLAGS_HELP}`

/** Runs `maskinporten doctor`. Returns the exit code. */
export async function doctorCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseFlags('doctor', argv, FLAGS)
  if (values.help) {
    ctx.out(DOCTOR_HELP)
    return 0
  }
  const flags = flagVariables('doctor', values)
  const report = new Report(ctx)
  let settings: Settings
  try {
    settings = loadSettings(flags, ctx)
  } catch (err) {
    report.fail('.env', `${(err as Error).message}: fix the line, or quote the value`)
    return report.finish()
  }
  if (settings.dotenvPath) report.ok('.env', `read ${settings.dotenvPath} (flags and the environment win over it)`)

  checkClientId(report, settings)
  const certificate = checkCertificate(report, settings, ctx.now())
  checkKey(report, settings, certificate)
  checkEnv(report, settings)
  const badUrl = checkUrls(report, settings)
  const request = checkRequest(report, settings, () => tokenRequestFrom('doctor', values, settings))
  // The whole config only once its parts pass: its first error would repeat a line above.
  const config = report.failures === 0 ? checkConfig(report, settings) : undefined
  if (values.offline) {
    report.skip('online checks', 'skipped (--offline)')
  } else if (badUrl !== undefined) {
    // The request would go to whatever a malformed URL happens to parse as, and its error would blur the cause.
    report.skip('online checks', `skipped: fix ${badUrl} first`)
  } else {
    await checkOnline(report, settings, config, request, values.altinn === true)
    const system = doctorSystemId(values.system, settings)
    if (system) await checkSystem(report, config, system, settings)
  }
  return report.finish()
}

function checkConfig(report: Report, settings: Settings): MaskinportenConfig | undefined {
  try {
    const config = configFromSettings(settings)
    const { tokenEndpoint, exchangeUrl } = resolveConfig(config)
    report.ok('endpoints', `token ${tokenEndpoint}, Altinn exchange ${exchangeUrl}`)
    return config
  } catch (err) {
    report.fail('configuration', message(err))
    return undefined
  }
}

function checkClientId(report: Report, settings: Settings): void {
  const clientId = setting(settings, 'MASKINPORTEN_CLIENT_ID')
  if (clientId && !describeValue(clientId).startsWith('"')) report.fail('MASKINPORTEN_CLIENT_ID', keyTextWhere(settings, 'MASKINPORTEN_CLIENT_ID', 'a client id'))
  else if (clientId) report.ok('MASKINPORTEN_CLIENT_ID', `${describeValue(clientId)} (${sourceLabel(settings, 'MASKINPORTEN_CLIENT_ID')})`)
  else {
    report.fail(
      'MASKINPORTEN_CLIENT_ID',
      "not set: copy the client id from Digdir's self-service portal into .env or the environment, or pass --client-id",
    )
  }
}

/** Checks the key source, the file, the key itself and the kid. */
function checkKey(report: Report, settings: Settings, certificate?: CertificateSetup): void {
  const checkKid = certificate ? checkCertificateKid : checkKidLine
  const vars = settings.vars
  // configFromEnv's order of key sources (KEY_VARIABLES); the file checks below need to know which it will take.
  let keyFile: string | undefined
  if (vars.MASKINPORTEN_PRIVATE_KEY) {
    report.ok('MASKINPORTEN_PRIVATE_KEY', `set (${sourceLabel(settings, 'MASKINPORTEN_PRIVATE_KEY')})`)
  } else if (vars.MASKINPORTEN_CLIENT_JWK) {
    report.ok('MASKINPORTEN_CLIENT_JWK', `set (${sourceLabel(settings, 'MASKINPORTEN_CLIENT_JWK')})`)
  } else if (certificate?.holdsKey && !vars.MASKINPORTEN_PRIVAT_NOKKEL) {
    report.ok('private key', 'in the certificate file (checked with the certificate below)')
    checkKid(report, settings)
    return
  } else {
    keyFile = checkKeyFile(report, settings)
    if (keyFile === undefined) {
      checkKid(report, settings)
      return
    }
  }

  // configFromEnv reads the key; only the key's variables, with stand-ins for id and kid, so that the key is judged
  // on its own (the other variables have their own lines). The file is the one checked above.
  const keyVars: Record<string, string> = { MASKINPORTEN_CLIENT_ID: 'doctor', MASKINPORTEN_KID: 'doctor' }
  for (const name of [...KEY_VARIABLES, 'MASKINPORTEN_PASSPHRASE']) if (vars[name] !== undefined) keyVars[name] = vars[name]
  if (keyFile !== undefined) keyVars.MASKINPORTEN_PRIVAT_NOKKEL = keyFile
  try {
    const key = loadSigningKey(configFromEnv(keyVars, { cwd: settings.cwd }))
    report.ok('private key', `RSA ${key.asymmetricKeyDetails?.modulusLength ?? 0} bits`)
  } catch (err) {
    report.fail('private key', message(err))
  }
  checkKid(report, settings)
}

/** Checks the key file that configFromEnv will read; its full path when it passes. */
function checkKeyFile(report: Report, settings: Settings): string | undefined {
  const label = 'MASKINPORTEN_PRIVAT_NOKKEL'
  let file
  try {
    file = keyFileOf(settings)
  } catch (err) {
    // Key text where the path belongs: the message names the setting and never repeats its value.
    report.fail(label, message(err))
    return undefined
  }
  if (file === undefined) return undefined // not reached: called only when the key comes from a file
  const full = file.path
  const from = file.given ? sourceLabel(settings, label) : 'the default'
  let mode: number
  try {
    const stat = statSync(full)
    // Not a PEM at all (a directory, the public JWK): the key check below says what it is instead of a chmod.
    if (stat.isDirectory() || (stat.size < 65_536 && readFileSync(full, 'utf8').trimStart().startsWith('{'))) return full
    mode = stat.mode
  } catch {
    report.fail(
      label,
      `${full} (${from}) does not exist: make a key with \`maskinporten keygen\`, or set MASKINPORTEN_PRIVAT_NOKKEL to your PEM file (or MASKINPORTEN_PRIVATE_KEY to the PEM)`,
    )
    return undefined
  }
  const octal = (mode & 0o777).toString(8).padStart(4, '0')
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    report.fail(label, `${full} (${from}) is open to other users (mode ${octal}): chmod 600 ${full}`)
    return undefined
  }
  report.ok(label, `${full} (mode ${octal}, ${from})`)
  return full
}

function checkKidLine(report: Report, settings: Settings): string | undefined {
  const kid = setting(settings, 'MASKINPORTEN_KID')
  // The JWK's own kid counts only when the JWK is the key that will sign (a PEM comes first).
  const jwkIsKey = !settings.vars.MASKINPORTEN_PRIVATE_KEY && Boolean(settings.vars.MASKINPORTEN_CLIENT_JWK)
  const jwkKid = jwkIsKey ? kidOfJwk(settings.vars.MASKINPORTEN_CLIENT_JWK) : undefined
  if (kid && jwkKid && kid !== jwkKid) {
    report.fail(
      'MASKINPORTEN_KID',
      `${describeValue(kid)} (${sourceLabel(settings, 'MASKINPORTEN_KID')}) differs from the kid ${describeValue(jwkKid)} in MASKINPORTEN_CLIENT_JWK: unset MASKINPORTEN_KID, or set it to the kid the key was registered with`,
    )
    return undefined
  }
  if (kid && !describeValue(kid).startsWith('"')) {
    report.fail('MASKINPORTEN_KID', keyTextWhere(settings, 'MASKINPORTEN_KID', 'a key id'))
    return undefined
  }
  if (kid) {
    report.ok('MASKINPORTEN_KID', `${describeValue(kid)} (${sourceLabel(settings, 'MASKINPORTEN_KID')})`)
    return kid
  }
  if (jwkKid) {
    report.ok('MASKINPORTEN_KID', `${describeValue(jwkKid)} (from MASKINPORTEN_CLIENT_JWK)`)
    return jwkKid
  }
  report.fail(
    'MASKINPORTEN_KID',
    'not set: the kid the public JWK was registered with in the portal (printed by `maskinporten keygen`); set it in .env or the environment, or pass --kid',
  )
  return undefined
}

/** What {@link refuseKeyText} says about key text in `variable`. */
function keyTextWhere(settings: Settings, variable: string, what: string): string {
  try {
    refuseKeyText(settings.vars[variable] ?? '', describeSource(settings, variable), what)
  } catch (err) {
    return message(err)
  }
  return `${variable} is not ${what}` // not reached: called only for key text
}

function kidOfJwk(text: string | undefined): string | undefined {
  if (!text) return undefined
  try {
    const kid = (JSON.parse(text) as { kid?: unknown }).kid
    return typeof kid === 'string' && kid !== '' ? kid : undefined
  } catch {
    return undefined // reported by the key check
  }
}

function checkEnv(report: Report, settings: Settings): void {
  const env = setting(settings, 'WENCHE_ENV')
  if (env === undefined) report.ok('WENCHE_ENV', 'prod (the default; set WENCHE_ENV=test for the test environment)')
  else if (envNamed(env) !== undefined) {
    const named = envNamed(env)
    report.ok('WENCHE_ENV', `${named}${named === env ? '' : ` (from ${describeValue(env)})`} (${sourceLabel(settings, 'WENCHE_ENV')})`)
  } else report.fail('WENCHE_ENV', `${describeValue(env)} (${sourceLabel(settings, 'WENCHE_ENV')}) must be test (or tt02) or prod`)
}

/** A line for each URL override; the first bad one's variable, for skipping the online checks. */
function checkUrls(report: Report, settings: Settings): string | undefined {
  let bad: string | undefined
  for (const variable of ['MASKINPORTEN_ISSUER', 'ALTINN_URL']) {
    const value = setting(settings, variable)
    if (value === undefined) continue
    const problem = urlProblem(settings, variable)
    if (problem === undefined) report.ok(variable, `${describeValue(value)} (${sourceLabel(settings, variable)})`)
    else {
      report.fail(variable, problem)
      bad ??= variable
    }
  }
  return bad
}

function checkRequest(report: Report, settings: Settings, make: () => TokenRequest): TokenRequest | undefined {
  let request: TokenRequest
  try {
    request = make()
  } catch (err) {
    if (!isMaskinportenError(err)) throw err // usage errors are for main: exit 2
    report.fail(/org|ORG_NUMMER/.test(message(err)) ? 'org number' : 'request', message(err))
    return undefined
  }
  const org = request.grant.orgNummer
  if (org) report.ok('ORG_NUMMER', `${org} (${sourceLabel(settings, 'ORG_NUMMER')}): tokens for its system user`)
  else report.skip('ORG_NUMMER', 'not set (only needed for system user tokens)')
  if (request.grant.consumerOrg) report.ok('--consumer-org', request.grant.consumerOrg)
  let from = 'the default'
  if (request.flow) from = `--${request.flow}`
  else if (setting(settings, 'MASKINPORTEN_SCOPES')) from = sourceLabel(settings, 'MASKINPORTEN_SCOPES')
  report.ok('scope', `${describeScopes(request.scope)} (${from})`)
  return request
}
