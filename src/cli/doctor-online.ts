/**
 * The doctor's online checks: the issuer's metadata, the clock against the server's `Date`, and a real token
 * request (and exchange, when asked) whose error, if any, comes with the library's fix. The network calls go through
 * the library (`send`, `MaskinportenClient`): nothing here calls `fetch`.
 */
import { MaskinportenClient } from '../client/client.js'
import { ENVIRONMENTS, envNamed, resolveConfig, tokenEndpointFor, type MaskinportenConfig } from '../config/config.js'
import { describeValue, withoutCredentials } from '../errors/errors.js'
import { parseJson, send, serverTimeOf } from '../http/send.js'
import { message, type Report } from './doctor-report.js'
import { setting, type Settings } from './settings.js'
import type { TokenRequest } from './token-request.js'

/** Time limit (in milliseconds) for the metadata request: it is small and should come at once. */
const METADATA_TIMEOUT_MS = 10_000

/** Maskinporten accepts a grant's `iat` within 10 s of its clock; beyond this the margin for the network is gone. */
export const MAX_CLOCK_SKEW_SECONDS = 5

/** The issuer the grant would go to, worked out without a complete config (so metadata can be checked anyway). */
function issuerOf(settings: Settings): string | undefined {
  const override = setting(settings, 'MASKINPORTEN_ISSUER')
  if (override) return override
  const env = envNamed(setting(settings, 'WENCHE_ENV') ?? 'prod')
  return env === undefined ? undefined : ENVIRONMENTS[env].issuer
}

/** Metadata lives at `{issuer}.well-known/...`, the issuer with its trailing slash (Skyporten's lack one). */
export function metadataUrlFor(issuer: string): string {
  return `${issuer}${issuer.endsWith('/') ? '' : '/'}.well-known/oauth-authorization-server`
}

/** Runs the online checks into `report`. */
export async function checkOnline(
  report: Report,
  settings: Settings,
  config: MaskinportenConfig | undefined,
  request: TokenRequest | undefined,
  altinn: boolean,
): Promise<void> {
  const issuer = issuerOf(settings)
  if (issuer === undefined) {
    report.skip('issuer metadata', 'skipped: fix WENCHE_ENV first')
  } else if (withoutCredentials(issuer) !== issuer) {
    // Printed in every line about it, and refused by the library anyway.
    report.fail('issuer metadata', 'MASKINPORTEN_ISSUER carries credentials (user:password@): remove them; Maskinporten takes none')
  } else if (!describeValue(issuer).startsWith('"')) {
    // Key text as the issuer: the URL would be echoed by the request's error.
    report.skip('issuer metadata', `skipped: MASKINPORTEN_ISSUER is ${describeValue(issuer)}, not a URL`)
  } else {
    await checkMetadata(report, issuer)
  }
  if (config === undefined || request === undefined) {
    report.skip('token request', 'skipped: fix the checks above first')
    return
  }
  const { exchangeUrl } = resolveConfig(config) // checked offline already
  // One attempt, as the functional API makes: a check reports the first error, not what a retry hides.
  const client = new MaskinportenClient(config, { retry: { maxAttempts: 1 } })
  try {
    const options = { scope: request.scope, ...request.grant }
    try {
      const token = await client.getToken(options)
      report.ok('token request', `Maskinporten issued a token for "${token.scope}", lives ${token.expiresIn} s`)
    } catch (err) {
      report.fail('token request', message(err))
      return
    }
    if (!altinn) return
    try {
      const token = await client.altinnTokenResult(options) // exchanges the token just fetched
      report.ok('Altinn exchange', `${exchangeUrl} issued an Altinn token, lives ${token.expiresIn} s`)
    } catch (err) {
      report.fail('Altinn exchange', message(err))
    }
  } finally {
    client.close()
  }
}

async function checkMetadata(report: Report, issuer: string): Promise<void> {
  const url = metadataUrlFor(issuer)
  const sentAt = Date.now()
  let res
  try {
    res = await send({
      url,
      method: 'GET',
      headers: { accept: 'application/json' },
      timeoutMs: METADATA_TIMEOUT_MS,
      failCode: 'maskinporten_request_failed',
      service: 'Maskinporten',
    })
  } catch (err) {
    report.fail('issuer metadata', message(err))
    report.skip('clock', 'skipped: no answer from the issuer')
    return
  }
  const receivedAt = Date.now()
  const doc = parseJson(res.body) as { issuer?: unknown; token_endpoint?: unknown } | undefined
  if (res.status !== 200 || doc === undefined || doc === null || typeof doc !== 'object') {
    report.fail(
      'issuer metadata',
      `${url} answered ${res.status}${doc === undefined ? ', not JSON' : ''}: this is not a Maskinporten issuer; check WENCHE_ENV and MASKINPORTEN_ISSUER`,
    )
  } else if (doc.issuer !== issuer) {
    report.fail(
      'issuer metadata',
      `${url} says the issuer is ${JSON.stringify(doc.issuer)}, but grants would say aud "${issuer}": set MASKINPORTEN_ISSUER to exactly the former`,
    )
  } else if (doc.token_endpoint !== tokenEndpointFor(issuer)) {
    report.fail(
      'issuer metadata',
      `the token endpoint is ${JSON.stringify(doc.token_endpoint)}, not ${tokenEndpointFor(issuer)} as this library assumes`,
    )
  } else {
    report.ok('issuer metadata', `${url} (issuer ${issuer})`)
  }
  checkClock(report, res.headers, sentAt, receivedAt)
}

function checkClock(report: Report, headers: Parameters<typeof serverTimeOf>[0], sentAt: number, receivedAt: number): void {
  const serverTime = serverTimeOf(headers)
  if (serverTime === undefined) {
    report.skip('clock', 'the server sent no Date header to compare with')
    return
  }
  const verdict = judgeClock(serverTime, sentAt, receivedAt)
  if (verdict.ok) report.ok('clock', verdict.text)
  else report.fail('clock', verdict.text)
}

/**
 * How far this machine's clock is from a server's, from its `Date` header (`serverTime`, ms) and the moments the
 * request was sent and the answer received. `Date` has whole seconds (truncated), stamped at some moment between
 * sending and receiving, so the offset lies between two bounds whatever the load: the verdict judges the bounds,
 * the text gives the middle.
 */
export function judgeClock(serverTime: number, sentAt: number, receivedAt: number): { ok: boolean; text: string } {
  const lowest = (sentAt - (serverTime + 1000)) / 1000
  const highest = (receivedAt - serverTime) / 1000
  const inStep = lowest <= 0 && highest >= 0
  const skew = inStep ? 0 : Math.round((lowest + highest) / 2)
  const how = skew === 0 ? 'in step with' : `about ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'}`
  if (inStep || Math.min(Math.abs(lowest), Math.abs(highest)) <= MAX_CLOCK_SKEW_SECONDS) {
    return { ok: true, text: `this machine is ${how} the issuer's clock (Maskinporten allows 10 s)` }
  }
  return {
    ok: false,
    text: `this machine is ${how} the issuer's clock; Maskinporten refuses grants more than 10 s off: synchronise the clock (NTP, e.g. \`timedatectl set-ntp true\`)`,
  }
}
