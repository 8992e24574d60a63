/**
 * `maskinporten grant`: a signed JWT grant on stdout, for trying the token endpoint with curl. The grant is a
 * credential, so only stdout gets it; the note on stderr refers to it by a shell variable.
 */
import { buildJwtGrant, GRANT_LIFETIME_SECONDS } from '../signing/grant.js'
import { describeValue } from '../errors/errors.js'
import { JWT_BEARER_GRANT_TYPE } from '../exchange/maskinporten.js'
import type { CliContext } from './context.js'
import { describeScopes } from './output.js'
import { CONFIG_FLAGS, CONFIG_FLAGS_HELP } from './settings.js'
import { prepareRequest, TOKEN_REQUEST_FLAGS, TOKEN_REQUEST_HELP } from './token-request.js'
import { parseFlags } from './usage.js'

const FLAGS = { ...CONFIG_FLAGS, ...TOKEN_REQUEST_FLAGS } as const

/** `maskinporten grant --help`. */
export const GRANT_HELP = `Usage: maskinporten grant [flags]

Prints a signed JWT grant (RFC 7523 assertion) on stdout. It is single-use and lives ${GRANT_LIFETIME_SECONDS} s.

${TOKEN_REQUEST_HELP}
${CONFIG_FLAGS_HELP}
Example:
  GRANT=$(maskinporten grant --env test)
  curl -s https://test.maskinporten.no/token \\
    -d grant_type=${JWT_BEARER_GRANT_TYPE} -d assertion=$GRANT
`

/** Runs `maskinporten grant`. Returns the exit code. */
export async function grantCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseFlags('grant', argv, FLAGS)
  if (values.help) {
    ctx.out(GRANT_HELP)
    return 0
  }
  const { request, config, resolved } = prepareRequest('grant', values, ctx)
  const { tokenEndpoint, issuer, clientId } = resolved
  const grant = await buildJwtGrant(config, request.scope, { ...request.grant, now: ctx.now })
  ctx.err(
    `Grant for client ${describeValue(clientId)}, aud ${describeValue(issuer)}, scope ${describeScopes(request.scope)}. Single-use; lives ${GRANT_LIFETIME_SECONDS} s.\n` +
      `Use it at once, for example:\n` +
      `  curl -s ${tokenEndpoint} -d grant_type=${JWT_BEARER_GRANT_TYPE} -d assertion=$GRANT\n`,
  )
  ctx.out(`${grant}\n`)
  return 0
}
