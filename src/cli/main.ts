#!/usr/bin/env node
/**
 * The `maskinporten` command: dispatches to one file per subcommand, and turns what they throw into exit codes:
 * 0 success, 1 failure (the error's message, which carries the fix), 2 usage error. No stack unless `--debug`.
 */
import { describeValue, isMaskinportenError, type MaskinportenError } from '../errors/errors.js'
import { VERSION } from '../http/version.js'
import { processContext, type CliContext } from './context.js'
import { suggest, UsageError } from './usage.js'

type Command = (argv: string[], ctx: CliContext) => Promise<number>

interface Entry {
  summary: string
  // Loaded on demand, so that `decode` does not load the emulator.
  load(): Promise<Command>
}

const COMMANDS: Record<string, Entry> = {
  keygen: {
    summary: "make an RSA key pair and the public JWK for Digdir's portal",
    load: async () => (await import('./keygen.js')).keygenCommand,
  },
  token: {
    summary: 'get an access token (Altinn with --altinn); prints only the token',
    load: async () => (await import('./token.js')).tokenCommand,
  },
  grant: {
    summary: 'print a signed JWT grant, for curl',
    load: async () => (await import('./grant.js')).grantCommand,
  },
  decode: {
    summary: "show a token's header and claims (not verified)",
    load: async () => (await import('./decode.js')).decodeCommand,
  },
  doctor: {
    summary: 'check the setup: variables, key, org numbers, metadata, clock, a real token',
    load: async () => (await import('./doctor.js')).doctorCommand,
  },
  logout: {
    summary: 'remove cached tokens',
    load: async () => (await import('./logout.js')).logoutCommand,
  },
  system: {
    summary: "your systems in Altinn's system register (register, show, list, delete)",
    load: async () => (await import('./system.js')).systemCommand,
  },
  systemuser: {
    summary: 'ask customers for system users and follow them (request, status, list, find, change, connect)',
    load: async () => (await import('./systemuser.js')).systemuserCommand,
  },
  emulator: {
    summary: 'run a local Maskinporten + Altinn emulator (--port, --host, --config FILE)',
    load: async () => {
      const { emulatorCommand } = await import('./emulator.js')
      return (argv) => emulatorCommand(argv)
    },
  },
}

const HELP = `maskinporten ${VERSION}: Maskinporten and Altinn 3 tokens from the command line

Usage: maskinporten <command> [flags]

Commands:
${Object.entries(COMMANDS)
  .map(([name, entry]) => `  ${name.padEnd(10)} ${entry.summary}`)
  .join('\n')}

Flags: --help (also after a command), --version, --debug (stacks on errors)

Configuration comes from flags, then environment variables, then ./.env (which never overrides the environment):
MASKINPORTEN_CLIENT_ID, MASKINPORTEN_KID, MASKINPORTEN_PRIVAT_NOKKEL (default maskinporten_privat.pem),
MASKINPORTEN_PRIVATE_KEY, MASKINPORTEN_CLIENT_JWK, MASKINPORTEN_PASSPHRASE, WENCHE_ENV (test|prod, default prod),
ORG_NUMMER, MASKINPORTEN_SCOPES, MASKINPORTEN_ISSUER, ALTINN_URL, ALTINN_SYSTEM_ID.

Examples:
  maskinporten keygen --out .
  maskinporten doctor --env test
  TOKEN=$(maskinporten token --env test --altinn --org 310702641)
  maskinporten decode "$TOKEN"
  maskinporten system register --env test --name wenche2 --right app_brg_aarsregnskap-vanlig-202406
  maskinporten systemuser request 310702641 --env test --name wenche2 --wait

Exit codes: 0 success, 1 failure, 2 usage error.
`

/** Runs the command line `argv` (without `node` and the script). Returns the exit code; throws what failed. */
export async function main(argv: string[], ctx: CliContext): Promise<number> {
  const args = argv[0] === '--debug' ? argv.slice(1) : argv
  const [name, ...rest] = args
  if (name === undefined) {
    ctx.err(HELP)
    return 2
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    if (rest[0] !== undefined) return main([rest[0], '--help'], ctx)
    ctx.out(HELP)
    return 0
  }
  if (name === '--version' || name === '-v') {
    ctx.out(`${VERSION}\n`)
    return 0
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (entry === undefined) {
    const what = describeValue(name)
    if (name.startsWith('-')) {
      const near = name.startsWith('--') ? suggest(name.slice(2), ['help', 'version', 'debug']) : undefined
      throw new UsageError(`unknown flag ${what} before the command${near ? `; did you mean --${near}?` : ''}`)
    }
    const near = suggest(name, Object.keys(COMMANDS))
    throw new UsageError(`unknown command ${what}${near ? `; did you mean \`maskinporten ${near}\`?` : ''}`)
  }
  return (await entry.load())(rest, ctx)
}

/** Prints what went wrong and returns the exit code for it. */
function reportError(err: unknown, ctx: CliContext, debug: boolean): number {
  if (err instanceof UsageError) {
    const help = err.command ? `maskinporten ${err.command} --help` : 'maskinporten --help'
    ctx.err(`maskinporten: ${err.message}\nSee \`${help}\`.\n`)
    return 2
  }
  if (isMaskinportenError(err)) {
    // The message never holds a key, grant or token (errors.ts), and already ends with the fix.
    ctx.err(`maskinporten: ${forTheCommandLine(err)}\n`)
    if (debug) ctx.err(`${JSON.stringify(err, null, 2)}\n${err.stack ?? ''}\n${causes(err)}`)
    else if (err.code !== 'invalid_config') ctx.err('(run with --debug for details)\n')
    return 1
  }
  const error = err instanceof Error ? err : new Error(String(err))
  ctx.err(`maskinporten: unexpected error: ${error.message}\n`)
  if (debug) ctx.err(`${error.stack ?? ''}\n${causes(error)}`)
  return 1
}

/** The library's message, with its advice said the command line's way. */
function forTheCommandLine(err: MaskinportenError): string {
  // The library names its option; here it is a flag or a variable.
  let text = err.message.replace('raise timeoutMs', 'raise the limit with --timeout MS (or MASKINPORTEN_TIMEOUT_MS)')
  // doctor compares the issuer's metadata with the aud the grant carries, and names the one that differs.
  if (err.mpCode === 'MP-110') text += '. `maskinporten doctor` (with the same flags) shows which of them is off'
  return text
}

function causes(err: Error): string {
  let text = ''
  for (let cause = err.cause, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    text += `caused by: ${cause.stack ?? cause.message}\n`
  }
  return text
}

// `maskinporten decode ... | head -1` closes the pipe early: that is the reader's choice, not a failure to report.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0)
  throw err
})

// No top-level await: the command line ships as a CommonJS bundle (rollup.config.mjs), which the bin requires.
const ctx = processContext()
const argv = process.argv.slice(2)
main(argv, ctx).then(
  (code) => (process.exitCode = code),
  (err: unknown) => (process.exitCode = reportError(err, ctx, argv.includes('--debug'))),
)
