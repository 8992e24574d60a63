/**
 * `maskinporten token`: one access token on stdout, alone on its line, so that `$(maskinporten token)` works.
 * Everything else goes to stderr. Tokens are cached in files between runs (file-cache.ts) unless `--no-cache`.
 */
import { exchangeForAltinnToken } from '../altinn.js'
import { getMaskinportenToken } from '../flows.js'
import { decodeToken } from '../token.js'
import type { CliContext } from './context.js'
import {
  cacheDir,
  cacheKey,
  readCachedToken,
  writeCachedToken,
  type CachedToken,
} from './file-cache.js'
import { describeTime } from './output.js'
import { CONFIG_FLAGS, CONFIG_FLAGS_HELP } from './settings.js'
import { prepareRequest, TOKEN_REQUEST_FLAGS, TOKEN_REQUEST_HELP } from './token-request.js'
import { parseFlags } from './usage.js'

/** Altinn tokens live 30 minutes; used when one carries no readable `exp`. */
const ALTINN_TOKEN_SECONDS = 1800

const FLAGS = {
  ...CONFIG_FLAGS,
  ...TOKEN_REQUEST_FLAGS,
  altinn: { type: 'boolean' },
  json: { type: 'boolean' },
  'no-cache': { type: 'boolean' },
} as const

/** `maskinporten token --help`. */
export const TOKEN_HELP = `Usage: maskinporten token [flags]

Gets an access token and prints it, alone, on stdout. Notes go to stderr.

  --altinn          exchange the Maskinporten token for an Altinn 3 token
  --json            print the token response as JSON (access_token, token_type, expires_in, expires_at in
                    epoch seconds, scope) instead of the bare token
  --no-cache        neither use nor store a cached token

${TOKEN_REQUEST_HELP}
${CONFIG_FLAGS_HELP}
Tokens are cached in $XDG_CACHE_HOME/wenche-maskinporten (or ~/.cache/wenche-maskinporten) and reused while at
least 30 s of them is left; \`maskinporten logout\` removes them.

Examples:
  maskinporten token --env test
  curl -H "Authorization: Bearer $(maskinporten token --altinn --org 310702641)" https://platform.tt02.altinn.no/...
  maskinporten token --admin --json | jq .expires_in
`

/** Runs `maskinporten token`. Returns the exit code. */
export async function tokenCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseFlags('token', argv, FLAGS)
  if (values.help) {
    ctx.out(TOKEN_HELP)
    return 0
  }
  const { request, config, resolved } = prepareRequest('token', values, ctx)
  const altinn = values.altinn === true
  const what = altinn ? 'an Altinn token' : 'a Maskinporten token'
  const org = request.grant.orgNummer ? ` as the system user of ${request.grant.orgNummer}` : ''

  const dir = cacheDir(ctx.env)
  const key = cacheKey({
    clientId: resolved.clientId,
    kid: resolved.kid,
    issuer: resolved.issuer,
    scope: request.scope,
    ...request.grant,
    ...(altinn ? { altinnUrl: resolved.altinnUrl } : {}),
  })
  const useCache = values['no-cache'] !== true
  const cached = useCache ? readCachedToken(dir, key, ctx.now()) : undefined
  if (cached) {
    ctx.err(`Cached: ${what}${org}, expires ${describeTime(cached.expires_at, ctx.now())}\n`)
    print(ctx, cached, values.json === true)
    return 0
  }

  ctx.err(`Asking ${resolved.issuer} for ${what}${org} (scope: ${request.scope})\n`)
  const response = await getMaskinportenToken(config, request.scope, request.grant)
  let token: CachedToken = {
    access_token: response.access_token,
    token_type: response.token_type,
    expires_at: ctx.now() + response.expires_in * 1000,
    ...(response.scope !== undefined ? { scope: response.scope } : {}),
  }
  if (altinn) {
    const altinnToken = await exchangeForAltinnToken(resolved, response.access_token)
    token = { ...token, access_token: altinnToken, token_type: 'Bearer', expires_at: altinnExpiry(altinnToken, ctx.now()) }
  }
  if (useCache) {
    try {
      writeCachedToken(dir, key, token)
    } catch (err) {
      // A token in hand is worth more than a cache; say why it was not stored and go on.
      ctx.err(`Warning: could not cache the token in ${dir}: ${(err as Error).message}\n`)
    }
  }
  ctx.err(`Got ${what}, expires ${describeTime(token.expires_at, ctx.now())}\n`)
  print(ctx, token, values.json === true)
  return 0
}

function altinnExpiry(token: string, nowMs: number): number {
  try {
    const { expiresAt } = decodeToken(token)
    if (expiresAt !== undefined) return expiresAt
  } catch {
    // Altinn's token is a JWT today; if it ever is not, its documented lifetime will do.
  }
  return nowMs + ALTINN_TOKEN_SECONDS * 1000
}

function print(ctx: CliContext, token: CachedToken, json: boolean): void {
  if (!json) {
    ctx.out(`${token.access_token}\n`)
    return
  }
  const response = {
    access_token: token.access_token,
    token_type: token.token_type,
    expires_in: Math.max(0, Math.floor((token.expires_at - ctx.now()) / 1000)),
    expires_at: Math.floor(token.expires_at / 1000),
    ...(token.scope !== undefined ? { scope: token.scope } : {}),
  }
  ctx.out(`${JSON.stringify(response)}\n`)
}
