/**
 * `maskinporten token`: one access token on stdout, alone on its line, so that `$(maskinporten token)` works.
 * Everything else goes to stderr. The token comes from the library's `MaskinportenClient`, with its tokens kept in
 * files between runs (file-store.ts) unless `--no-cache`.
 */
import { statSync } from 'node:fs'
import type { ClientEvent } from '../client/options.js'
import type { RetryOptions } from '../client/retry.js'
import { cacheKeysFor, type CacheKeys } from '../client/cache-keys.js'
import type { StoredToken } from '../client/store.js'
import type { TokenResult } from '../client/token-result.js'
import type { ResolvedConfig } from '../config/config.js'
import { grantParams } from '../signing/grant.js'
import type { CliContext } from './context.js'
import { writeFileAtomically } from './atomic-file.js'
import { cacheDir, FileTokenStore } from './file-store.js'
import { describeScopes } from './output.js'
import { describeParty } from '../config/fodselsnummer.js'
import { certificateFileOf, holdsPrivateKey } from '../config/certificate-file.js'
import type { MaskinportenConfig } from '../config/config.js'
import { CONFIG_FLAGS, CONFIG_FLAGS_HELP, keyFileOf, setting, type Settings } from './settings.js'
import { prepareRequest, TOKEN_REQUEST_FLAGS, TOKEN_REQUEST_HELP, type TokenRequest } from './token-request.js'
import { cacheFiles, runCache } from './short-way.js'
import { parseFlags } from './usage.js'

const { describeTime, isOwnDir, keyFileWarning, MARGIN_MS, tokenResponse } = cacheFiles
const { keyFileStamp, noteText, runFile, runKey } = runCache

/**
 * Someone is waiting at a prompt: a few quick retries of what another attempt may cure (no answer, 5xx, 429), then
 * the error, within seconds rather than the library's 30.
 */
const RETRY = { deadlineMs: 10_000, maxAttempts: 4 } as const satisfies RetryOptions

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
Tokens are cached in $XDG_CACHE_HOME/wenche-maskinporten (or ~/.cache/wenche-maskinporten) and reused while
more than ${MARGIN_MS / 1000} s of them is left; \`maskinporten logout\` removes them. No answer, 5xx and 429 are
retried (up to ${RETRY.maxAttempts} attempts within ${RETRY.deadlineMs / 1000} s); other errors are reported at once.

Examples:
  maskinporten token --env test
  curl -H "Authorization: Bearer $(maskinporten token --altinn --org 310702641)" https://platform.tt02.altinn.no/...
  maskinporten token --admin --json | jq .expires_in
  maskinporten token --env test --scope altinn:consentrequests.read --consent 77ed8698-e619-4066-9eb4-5c1eb3f165a1 --from 991825827
`

/** Runs `maskinporten token`. Returns the exit code. */
export async function tokenCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseFlags('token', argv, FLAGS)
  if (values.help) {
    ctx.out(TOKEN_HELP)
    return 0
  }
  const { settings, request, config, resolved } = prepareRequest('token', values, ctx)
  const keyFile = keyFileRead(settings, config)
  const keyStats = keyFile === undefined ? undefined : statSync(keyFile, { throwIfNoEntry: false })
  const warning = keyFile === undefined || keyStats === undefined ? undefined : keyFileWarning(keyFile, keyStats.mode)
  if (warning !== undefined) ctx.err(warning)
  const keyNote = { keyFile: keyFile ?? null, keyStamp: keyStats === undefined ? null : keyFileStamp(keyStats) }
  const altinn = values.altinn === true
  const what = altinn ? 'an Altinn token' : 'a Maskinporten token'
  const { consent } = request.grant
  const org = request.grant.orgNummer
    ? ` as the system user of ${request.grant.orgNummer}`
    : consent
      ? ` with consent ${consent.id} from ${describeParty(consent.from)}`
      : ''
  const store = values['no-cache'] === true ? undefined : new FileTokenStore(cacheDir(ctx.env), { now: ctx.now, warn: ctx.err })

  // A cache hit is answered here, before the client and the HTTP code are loaded: most runs are hits, and loading
  // them was most of a hit's time. The client would find the same file under the same key, and judge it alike.
  const keys = cacheKeys(resolved, request)
  let cached: StoredToken | undefined
  try {
    cached = store?.get(altinn ? keys.altinnKey : keys.key)
  } catch {
    cached = undefined // the client reads it again, and warns about the cache it cannot use
  }
  const json = values.json === true
  if (cached !== undefined && ctx.now() < cached.expiresAt - MARGIN_MS) {
    ctx.err(`Cached: ${what}${org}, expires ${describeTime(cached.expiresAt, ctx.now())}\n`)
    ctx.out(`${json ? JSON.stringify(tokenResponse(cached, ctx.now())) : cached.accessToken}\n`)
    if (store) leaveRunNote(store, argv, ctx, settings, { token: store.fileNameOf(altinn ? keys.altinnKey : keys.key), json, what: `${what}${org}`, ...keyNote })
    return 0
  }
  const { MaskinportenClient } = await import('../client/client.js')

  let fetched = false
  // Progress on stderr, from the client's events: what is asked, and why it is asked again.
  const onEvent = (event: ClientEvent): void => {
    if (event.type === 'request') {
      ctx.err(
        event.endpoint === 'token'
          ? `Asking ${resolved.issuer} for a Maskinporten token${org} (scope: ${describeScopes(request.scope)})\n`
          : `Exchanging it at ${resolved.exchangeUrl} for an Altinn token\n`,
      )
    } else if (event.type === 'fetched' && event.endpoint === (altinn ? 'exchange' : 'token')) fetched = true
    else if (event.type === 'retry') ctx.err(retryNote(event))
    else if (event.type === 'store-error' && store) {
      ctx.err(`Warning: could not ${event.operation === 'get' ? 'read' : 'update'} the token cache in ${store.dir}\n`)
    }
  }
  // refreshAhead 1: a run ends once it has its token, so a cache hit must not start a refresh that would hold it.
  const client = new MaskinportenClient(
    config,
    { ...(store ? { store } : {}), marginMs: MARGIN_MS, refreshAhead: 1, retry: RETRY, now: ctx.now, onEvent },
  )
  let token: TokenResult
  try {
    const options = { scope: request.scope, ...request.grant }
    token = altinn ? await client.altinnTokenResult(options) : await client.getToken(options)
  } finally {
    client.close()
  }
  const expires = `expires ${describeTime(token.expiresAt, ctx.now())}`
  ctx.err(fetched ? `Got ${what}, ${expires}\n` : `Cached: ${what}${org}, ${expires}\n`)
  ctx.out(`${json ? JSON.stringify(tokenResponse(token, ctx.now())) : token.accessToken}\n`)
  if (store) leaveRunNote(store, argv, ctx, settings, { token: store.fileNameOf(altinn ? keys.altinnKey : keys.key), json, what: `${what}${org}`, ...keyNote })
  return 0
}

/**
 * The file the private key was read from, or undefined when it came from a variable: the key file, or the
 * certificate file when that holds the key too (`openssl pkcs12 -nodes` output) and no key file is named.
 */
function keyFileRead(settings: Settings, config: MaskinportenConfig): string | undefined {
  const file = keyFileOf(settings)
  if (file === undefined || file.given || !holdsPrivateKey(config.certificate)) return file?.path
  const certificate = setting(settings, 'MASKINPORTEN_CERTIFICATE')
  return certificate === undefined ? undefined : certificateFileOf(certificate, settings.cwd)
}

/**
 * Leaves the run cache's note for this run (run-cache.cts): the next run with the same arguments, variables,
 * `.env` and directory prints the same token file's token without loading any of this. A note that cannot be
 * written only makes the next run take the long way again.
 */
function leaveRunNote(store: FileTokenStore, args: string[], ctx: CliContext, settings: Settings, note: Parameters<typeof noteText>[0]): void {
  // Only where the store itself would write: a directory no one else can have planted a note in.
  if (!isOwnDir(store.dir)) return
  try {
    const key = runKey({ args, env: ctx.env, cwd: settings.cwd, dotenv: settings.dotenvValues })
    writeFileAtomically(runFile(store.dir, key), noteText(note), 0o600)
  } catch {
    // The token was printed; the note is only a shortcut.
  }
}

/**
 * The keys `MaskinportenClient` files this request's tokens under (its cache key: issuer, client, the scope set,
 * org, externalRef, resource, consumer org; the Altinn token's with the exchange URL in front), so that `token` can
 * look in the file store without loading the client. A test holds the two equal.
 *
 * @example
 * ```ts
 * const { key } = cacheKeys(resolved, { scope: 'altinn:instances.read', grant: { orgNummer: '310702641' } })
 * const hit = store.get(key)
 * ```
 */
export function cacheKeys(
  resolved: Pick<ResolvedConfig, 'issuer' | 'clientId' | 'exchangeUrl'>,
  request: Pick<TokenRequest, 'scope' | 'grant'>,
): CacheKeys {
  return cacheKeysFor(resolved, grantParams(request.scope, request.grant))
}

/** `Maskinporten answered 503 on attempt 1; trying again in 0.2 s`. */
function retryNote(event: Extract<ClientEvent, { type: 'retry' }>): string {
  const service = event.endpoint === 'token' ? 'Maskinporten' : 'Altinn'
  if (event.reason === 'clock-skew') {
    return `${service} says this machine's clock is off; trying again with a grant on its time\n`
  }
  const what =
    event.status === undefined
      ? 'could not be reached'
      : event.status === 200
        ? `answered 200 without a token (${event.contentType ?? 'no content type'})`
        : `answered ${event.status}`
  return `${service} ${what} on attempt ${event.attempt}; trying again in ${(event.delayMs / 1000).toFixed(1)} s\n`
}

