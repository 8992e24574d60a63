/**
 * Altinn's token exchange: a Maskinporten token in, an Altinn platform token out.
 *
 * @see https://docs.altinn.studio/authentication/reference/architecture/accesstoken/
 */
import type { ResolvedConfig } from '../config/config.js'
import { bodyShape, markFinal, MaskinportenError, safeBody } from '../errors/errors.js'
import { isJwtText, MAX_TOKEN_LIFETIME_MS } from './limits.js'
import { decodeToken } from './token.js'
import { altinnHint } from '../errors/hints.js'
import { retryAfterMsOf, send, serverTimeOf, type HttpResponse } from '../http/send.js'
import { describeNonOAuthBody, mediaTypeOf, type RequestOptions } from './maskinporten.js'

/**
 * Exchanges a Maskinporten access token for an Altinn token (`GET .../authentication/api/v1/exchange/maskinporten`
 * with the token as Bearer). One attempt; throws `altinn_exchange_error` for an answer that is not a token,
 * `altinn_exchange_failed` when there is no answer.
 */
export async function exchangeForAltinnToken(
  config: ResolvedConfig,
  maskinportenToken: string,
  options: RequestOptions = {},
): Promise<string> {
  const res = await send({
    url: config.exchangeUrl,
    method: 'GET',
    headers: { authorization: `Bearer ${maskinportenToken}` },
    fetch: config.fetch,
    timeoutMs: config.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
    failCode: 'altinn_exchange_failed',
    service: 'Altinn',
    secrets: [maskinportenToken],
  })
  return processExchangeResponse(res, [maskinportenToken])
}

/**
 * The token in an exchange answer: Altinn sends it as raw text, or as a JSON string in quotes when the client
 * accepts JSON. Trims, then strips one pair of surrounding quotes.
 *
 * @param secrets what was sent (the Maskinporten token), masked wherever the answer echoes it.
 */
export function processExchangeResponse(res: HttpResponse, secrets: readonly string[] = []): string {
  if (res.status === 200) {
    const token = stripQuotes(res.body.trim()).trim()
    const contentType = mediaTypeOf(res.headers)
    // Altinn's token is always a JWT: anything else (JSON, an error page behind a 200) is not taken as one.
    if (isJwtText(token)) {
      checkLifetime(token, res.body, contentType)
      return token
    }
    // Whatever it is, it came where a token belongs: keep its size, not its content.
    throw new MaskinportenError('altinn_exchange_error', `Altinn answered 200 without a token (${contentType})`, {
      status: 200,
      body: bodyShape(res.body),
      contentType,
    })
  }
  // Parsed and scrubbed before anything is read from it: problem details are shown in the message.
  const body = safeBody(res.body, secrets)
  const title = problemTitle(body)
  const what = title ? `: ${title}` : ` ${describeNonOAuthBody(res)}`
  const retryAfterMs = retryAfterMsOf(res.headers)
  const serverTime = serverTimeOf(res.headers)
  throw new MaskinportenError('altinn_exchange_error', `Altinn's token exchange answered ${res.status}${what}`, {
    status: res.status,
    body,
    retryAfterMs,
    serverTime,
    hint: altinnHint(res.status, body),
  })
}

/**
 * Refuses an Altinn token whose own claims give it no life (`exp` at or before `iat`) or more than a day: Altinn's
 * live 30 minutes. Not retried: the exchange would mint the same. A token without readable claims passes here (the
 * client then gives it no longer than the Maskinporten token it came from).
 */
function checkLifetime(token: string, body: string, contentType: string): void {
  let exp: unknown
  let iat: unknown
  try {
    ;({ exp, iat } = decodeToken(token).claims)
  } catch {
    return
  }
  if (exp !== undefined && (typeof exp !== 'number' || !Number.isFinite(exp))) return refuse('its exp is not a number')
  if (typeof exp !== 'number' || typeof iat !== 'number' || !Number.isFinite(iat)) return
  if (exp <= iat) refuse('its exp is not after its iat')
  if ((exp - iat) * 1000 > MAX_TOKEN_LIFETIME_MS) refuse('it claims a life of more than a day')

  function refuse(why: string): never {
    throw markFinal(
      new MaskinportenError('altinn_exchange_error', `Altinn answered 200 with a token that cannot be used: ${why}`, {
        status: 200,
        body: bodyShape(body),
        contentType,
      }),
    )
  }
}

function stripQuotes(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text
}

/** The `title` of a problem+json body, or a short plain-text body (Altinn's 400 for a bad provider is plain text). */
function problemTitle(body: string): string | undefined {
  try {
    const json = JSON.parse(body) as { title?: unknown; detail?: unknown }
    if (typeof json.title === 'string') return typeof json.detail === 'string' ? `${json.title}: ${json.detail}` : json.title
  } catch {
    // not JSON: fall through
  }
  const text = body.trim()
  return text !== '' && text.length <= 300 && !text.startsWith('<') && !/eyJ/.test(text) ? text : undefined
}
