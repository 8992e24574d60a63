/**
 * `maskinporten emulator`: the local Maskinporten + Altinn as a process, for test suites in any language. The first
 * stdout line is exactly `Maskinporten emulator listening on http://HOST:PORT` (scripts wait for it); it serves
 * until SIGINT or SIGTERM.
 */
import { readFile } from 'node:fs/promises'
import { tokenEndpointFor } from '../config/config.js'
import { invalidConfig } from '../errors/errors.js'
import { startEmulator, type EmulatorClient } from '../emulator/index.js'
import { parseFlags, UsageError } from './usage.js'

const HELP = `Usage: maskinporten emulator [--port N] [--host H] [--config FILE] [--issuer URL] [--altinn-url URL] [--debug]

Runs a strict local Maskinporten + Altinn (a test server: never give it production keys).
  --port N         TCP port (default 0: a free one, printed)
  --host H         interface to bind (default 127.0.0.1; anything else prints a warning)
  --config FILE    JSON { "clients": [ { clientId, orgNummer, jwks: { keys: [...] }, scopes, systemUsers?,
                   delegations?, tokenLifetimeSeconds?, certificate? } ], "certificateAuthorities"?: [PEM] }
  --issuer URL     the issuer (grant aud), exactly as given, when clients reach this server under another name
                   (default http://HOST:PORT/)
  --altinn-url URL the Altinn platform URL in Altinn tokens (default http://HOST:PORT)
  --debug          show stacks on errors

First stdout line: Maskinporten emulator listening on http://HOST:PORT
Endpoints: {url}/.well-known/oauth-authorization-server, {url}/jwk, POST {url}/token,
  GET {url}/authentication/api/v1/exchange/maskinporten,
  POST {url}/__emulator/clients, POST|DELETE {url}/__emulator/faults, GET {url}/__emulator/stats
Stops on SIGINT (Ctrl-C) or SIGTERM.
`

async function readConfig(file: string): Promise<{ clients: EmulatorClient[]; certificateAuthorities?: string[] }> {
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
  const clients = (parsed as { clients?: unknown } | null)?.clients
  if (!Array.isArray(clients)) throw invalidConfig('--config', `${file} must be { "clients": [ ... ] }`)
  const authorities = (parsed as { certificateAuthorities?: unknown }).certificateAuthorities
  if (authorities === undefined) return { clients: clients as EmulatorClient[] }
  if (!Array.isArray(authorities)) throw invalidConfig('--config', `${file}: certificateAuthorities must be an array of PEM certificates`)
  return { clients: clients as EmulatorClient[], certificateAuthorities: authorities as string[] }
}

function portOf(value: string | undefined): number {
  if (value === undefined) return 0
  const port = Number(value)
  if (!/^\d+$/.test(value) || port > 65_535) throw new UsageError(`--port must be 0 to 65535, got "${value}"`, 'emulator')
  return port
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
  const config = values.config === undefined ? { clients: [] } : await readConfig(values.config)
  const { clients } = config
  const emu = await startEmulator({
    port,
    host: values.host ?? '127.0.0.1',
    ...config,
    ...(values.issuer === undefined ? {} : { issuer: values.issuer }),
    ...(values['altinn-url'] === undefined ? {} : { altinnUrl: values['altinn-url'] }),
  })
  // Listening for signals before the first line is printed: a script may send one as soon as it reads it.
  const stopped = untilSignal()
  process.stdout.write(`Maskinporten emulator listening on ${emu.url}\n`)
  process.stderr.write(
    `issuer (grant aud): ${emu.issuer}\ntoken endpoint: ${tokenEndpointFor(emu.issuer)}\naltinnUrl: ${emu.altinnUrl}\n` +
      `${clients.length} client(s) registered; more with POST ${emu.url}/__emulator/clients\n`,
  )
  const signal = await stopped
  await emu.close()
  process.stderr.write(`emulator stopped (${signal})\n`)
  return 0
}
