/**
 * `maskinporten decode`: a token's header and claims, with its times as dates. It does not verify the signature,
 * and says so: it is for looking, never for trusting.
 */
import { decodeToken } from '../exchange/token.js'
import { MaskinportenError } from '../errors/errors.js'
import { readAll, type CliContext } from './context.js'
import { describeTime } from './output.js'
import { parseFlags, UsageError } from './usage.js'

/** `maskinporten decode --help`. */
export const DECODE_HELP = `Usage: maskinporten decode [TOKEN | -] [--json]

Shows a JWT's header and claims (a Maskinporten or Altinn token, or a grant), with iat, nbf and exp as dates and the
seconds left. The signature is NOT verified. With no TOKEN, or -, the token is read from stdin.

  --json    print {"header": ..., "claims": ...} on one line

Examples:
  maskinporten decode "$TOKEN"
  maskinporten token --env test | maskinporten decode -
`

const TIME_CLAIMS = ['iat', 'nbf', 'exp'] as const

/** Runs `maskinporten decode`. Returns the exit code. */
export async function decodeCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags(
    'decode',
    argv,
    { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, debug: { type: 'boolean' } },
    1,
  )
  if (values.help) {
    ctx.out(DECODE_HELP)
    return 0
  }
  const arg = positionals[0]
  if ((arg === undefined || arg === '-') && ctx.stdin.isTTY) {
    throw new UsageError('give a token, or pipe one in: maskinporten token | maskinporten decode -', 'decode')
  }
  const text = arg === undefined || arg === '-' ? await readAll(ctx.stdin) : arg
  if (text.trim() === '') {
    const from = arg === undefined || arg === '-' ? 'stdin was empty' : 'the argument is empty'
    throw new MaskinportenError('invalid_token', `No token to decode: ${from}`, {
      hint: 'Pass one, or pipe one in: maskinporten token | maskinporten decode -',
    })
  }
  const { header, claims } = decodeToken(text.trim())
  if (values.json) {
    ctx.out(`${JSON.stringify({ header, claims })}\n`)
  } else {
    const lines = [`Header:`, indent(header), `Claims:`, indent(claims)]
    const times = TIME_CLAIMS.filter((name) => typeof claims[name] === 'number')
    if (times.length > 0) {
      lines.push('Times:')
      for (const name of times) lines.push(`  ${name}  ${describeTime((claims[name] as number) * 1000, ctx.now())}`)
    }
    ctx.out(`${lines.join('\n')}\n`)
  }
  ctx.err('Not verified: this shows what the token says, not that it is genuine or unexpired.\n')
  return 0
}

function indent(value: unknown): string {
  return JSON.stringify(value, null, 2)
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')
}
