/**
 * `maskinporten emulator`: the local Maskinporten + Altinn as a process, for test suites in any language. The first
 * stdout line is exactly `Maskinporten emulator listening on http://HOST:PORT` (scripts wait for it); it serves
 * until SIGINT or SIGTERM.
 */
import { readFile } from 'node:fs/promises'
import { tokenEndpointFor } from '../config/config.js'
import { describeValue, invalidConfig, type MaskinportenError } from '../errors/errors.js'
import { CONFIG_FILE_SHAPE, refuseUnknownFields } from '../emulator/config-check.js'
import { startEmulator, type Emulator, type EmulatorClient, type EmulatorOptions } from '../emulator/index.js'
import { parseFlags, UsageError } from './usage.js'

const HELP = `Usage: maskinporten emulator [--port N] [--host H] [--config FILE] [--issuer URL] [--altinn-url URL] [--debug]

Runs a strict local Maskinporten + Altinn (a test server: never give it production keys).
  --port N         TCP port (default 0: a free one, printed)
  --host H         interface to bind (default 127.0.0.1; anything else prints a warning)
  --config FILE    JSON { "clients": [ { clientId, orgNummer, jwks: { keys: [...] }, scopes, systemUsers?,
                   delegations?, tokenLifetimeSeconds?, certificate? } ], "systems"?: [register POST bodies],
                   "resources"?: [resource ids], "parties"?: [org numbers], "certificateAuthorities"?: [PEM] };
                   unknown fields are refused
  --issuer URL     the issuer (grant aud), exactly as given, when clients reach this server under another name
                   (default http://HOST:PORT/)
  --altinn-url URL the Altinn platform URL in Altinn tokens (default http://HOST:PORT)
  --debug          show stacks on errors

First stdout line: Maskinporten emulator listening on http://HOST:PORT
Endpoints: {url}/.well-known/oauth-authorization-server, {url}/jwk, POST {url}/token,
  GET {url}/authentication/api/v1/exchange/maskinporten, {url}/authentication/api/v1/systemregister/vendor,
  {url}/authentication/api/v1/systemuser/{request,changerequest}/vendor, {url}/authentication/api/v1/systemuser/vendor,
  the customer's page {url}/accessmanagement/ui/systemuser/request?id=...,
  POST {url}/__emulator/clients, POST|DELETE {url}/__emulator/faults, GET {url}/__emulator/stats,
  POST {url}/__emulator/requests/{id}/approve|reject
Stops on SIGINT (Ctrl-C) or SIGTERM.
`

type FileConfig = Pick<EmulatorOptions, 'clients' | 'systems' | 'resources' | 'parties' | 'consents' | 'serviceOwners' | 'certificateAuthorities'>

async function readConfig(file: string): Promise<FileConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw invalidConfig('--config', `cannot be read: ${(err as Error).message}`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw invalidConfig('--config', `${file} is not JSON`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalidConfig('--config', `${file} must be { "clients": [ ... ] }`)
  }
  refuseUnknownFields(parsed, CONFIG_FILE_SHAPE)
  const config = parsed as FileConfig
  if (config.clients !== undefined && !Array.isArray(config.clients)) {
    throw invalidConfig('--config', `${file} must be { "clients": [ ... ] }`)
  }
  return config
}

function portOf(value: string | undefined): number {
  if (value === undefined) return 0
  const port = Number(value)
  if (!/^\d+$/.test(value) || port > 65_535) throw new UsageError(`--port must be 0 to 65535, got "${value}"`, 'emulator')
  return port
}

/** A port taken or not ours to bind, said plainly (exit 1), instead of the socket's `listen EADDRINUSE`. */
function listenProblem(err: unknown, host: string, port: number): MaskinportenError | undefined {
  const code = (err as NodeJS.ErrnoException | null)?.code
  const where = `${host}:${port}`
  if (code === 'EADDRINUSE') {
    return invalidConfig('--port', `${port}: ${where} is in use by another program; stop it, or choose another --port (0 picks a free one)`)
  }
  if (code === 'EACCES') {
    return invalidConfig('--port', `${port}: binding ${where} is not allowed for this user (ports below 1024 need privileges); choose another --port`)
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return invalidConfig('--host', `${describeValue(host)} is not an address of this machine; use 127.0.0.1 (the default)`)
  }
  return undefined
}

/**
 * The `.env` lines that point the `maskinporten` command at this emulator: issuer, Altinn URL and, when the config
 * file registered clients, the first one's client id and kid. The key path is the user's: only a reminder.
 *
 * @example
 * ```ts
 * process.stderr.write(envLines(emu, clients)) // MASKINPORTEN_ISSUER=http://127.0.0.1:8099/ ...
 * ```
 */
export function envLines(emu: Pick<Emulator, 'issuer' | 'altinnUrl'>, clients: readonly EmulatorClient[]): string {
  const lines = [`MASKINPORTEN_ISSUER=${emu.issuer}`, `ALTINN_URL=${emu.altinnUrl}`]
  const first = clients[0]
  const kid = first?.jwks?.keys?.find((key) => typeof key?.kid === 'string')?.kid
  if (first !== undefined && typeof first.clientId === 'string') lines.push(`MASKINPORTEN_CLIENT_ID=${first.clientId}`)
  if (kid !== undefined) lines.push(`MASKINPORTEN_KID=${kid}`)
  lines.push('MASKINPORTEN_PRIVAT_NOKKEL=maskinporten_privat.pem')
  return `${lines.join('\n')}\n`
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve(signal)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

/**
 * Runs the emulator until SIGINT/SIGTERM. Returns the exit code (0 after a signal); throws `UsageError` on bad
 * flags and `invalid_config` on a bad config file.
 */
export async function emulatorCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('emulator', argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    config: { type: 'string' },
    issuer: { type: 'string' },
    'altinn-url': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    // Read by main.ts (stacks on errors); accepted here like every command's.
    debug: { type: 'boolean' },
  })
  if (values.help) {
    process.stdout.write(HELP)
    return 0
  }
  const port = portOf(values.port)
  const config = values.config === undefined ? {} : await readConfig(values.config)
  const clients = config.clients ?? []
  const host = values.host ?? '127.0.0.1'
  let emu: Emulator
  try {
    emu = await startEmulator({
      ...config,
      port,
      host,
      clients,
      ...(values.issuer === undefined ? {} : { issuer: values.issuer }),
      ...(values['altinn-url'] === undefined ? {} : { altinnUrl: values['altinn-url'] }),
    })
  } catch (err) {
    throw listenProblem(err, host, port) ?? err
  }
  // Listening for signals before the first line is printed: a script may send one as soon as it reads it.
  const stopped = untilSignal()
  process.stdout.write(`Maskinporten emulator listening on ${emu.url}\n`)
  process.stderr.write(
    `issuer (grant aud): ${emu.issuer}\ntoken endpoint: ${tokenEndpointFor(emu.issuer)}\naltinnUrl: ${emu.altinnUrl}\n` +
      `${clients.length} client(s) registered; more with POST ${emu.url}/__emulator/clients\n` +
      `${config.systems?.length ?? 0} system(s) in the system register; customers decide with POST ` +
      `${emu.url}/__emulator/requests/{id}/approve|reject or at the confirmUrl\n` +
      `For the maskinporten command, in .env (with the private key of the client's JWK):\n${envLines(emu, clients)}`,
  )
  const signal = await stopped
  await emu.close()
  process.stderr.write(`emulator stopped (${signal})\n`)
  return 0
}
