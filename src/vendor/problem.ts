/**
 * Turning an error answer of Altinn's vendor API into an `altinn_api_error`: problem+json (with its `code`,
 * `validationErrors` and `traceId`), a plain-text body, or an empty one (docs/vendor-api.md §0). The body is
 * scrubbed before anything is read from it, and the route's query values are masked.
 */
import { MaskinportenError, safeBody, type AltinnValidationError } from '../errors/errors.js'
import { altinnApiHint } from '../errors/hints.js'
import { retryAfterMsOf } from '../http/send.js'
import type { ResponseHeaders } from '../http/headers.js'

/** Most validation entries kept on an error. */
const MAX_VALIDATION_ERRORS = 20
/** Longest title or path kept. */
const MAX_FIELD = 300

/** What a call was, for its error. */
export interface CallLabel {
  method: string
  /** Path and masked query, no host. */
  route: string
  /** The scope the call was made with. */
  scope: string
}

const CODE = /^[A-Z]{2,10}(\.[A-Z]{2,10})?-\d{5}$/

function short(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, MAX_FIELD) : undefined
}

/** The problem+json fields, read leniently: any of them may be missing. */
export interface Problem {
  altinnCode?: string
  title?: string
  detail?: string
  traceId?: string
  validationErrors?: AltinnValidationError[]
}

/** The problem in a body, when it is problem+json (the code from `code`, else from `type`'s `urn:altinn:error:` tail). */
export function parseProblem(body: string): Problem | undefined {
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    return undefined
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return undefined
  const p = json as Record<string, unknown>
  const out: Problem = {}
  const typeCode = typeof p.type === 'string' ? /^urn:altinn:error:(.+)$/.exec(p.type)?.[1] : undefined
  const code = [p.code, p.errorCode, typeCode].find((c) => typeof c === 'string' && CODE.test(c))
  if (typeof code === 'string') out.altinnCode = code
  const title = short(p.title)
  if (title) out.title = title
  const detail = short(p.detail)
  if (detail) out.detail = detail
  const traceId = short(p.traceId)
  if (traceId && /^[\w.:-]+$/.test(traceId)) out.traceId = traceId
  if (Array.isArray(p.validationErrors)) {
    out.validationErrors = p.validationErrors.slice(0, MAX_VALIDATION_ERRORS).flatMap((entry): AltinnValidationError[] => {
      const e = (entry ?? {}) as Record<string, unknown>
      const vcode = typeof e.code === 'string' && CODE.test(e.code) ? e.code : undefined
      if (vcode === undefined) return []
      const v: AltinnValidationError = { code: vcode }
      const vtitle = short(e.title)
      if (vtitle) v.title = vtitle
      if (Array.isArray(e.paths)) v.paths = e.paths.slice(0, 10).flatMap((path) => (short(path) ? [short(path)!] : []))
      return [v]
    })
  }
  return out
}

/** A short plain-text body worth quoting (not HTML, not JSON, one line-ish). */
function plainText(body: string): string | undefined {
  const text = body.trim()
  if (text === '' || text.length > MAX_FIELD || text.startsWith('<') || text.startsWith('{') || text.startsWith('[')) return undefined
  return text.replace(/\s+/g, ' ')
}

/**
 * The `altinn_api_error` for an answer with an unexpected status. Message: what was called, what Altinn said
 * (code, title, each validation entry), then the hint.
 */
export function altinnApiError(call: CallLabel, status: number, headers: ResponseHeaders, rawBody: string): MaskinportenError {
  const body = safeBody(rawBody)
  const problem = parseProblem(body)
  const text = problem === undefined ? plainText(body) : undefined
  const said: string[] = []
  if (problem?.altinnCode) said.push(problem.altinnCode)
  if (problem?.title) said.push(problem.title)
  if (problem?.detail && problem.detail !== problem.title) said.push(problem.detail)
  if (text) said.push(JSON.stringify(text))
  for (const v of problem?.validationErrors ?? []) said.push(`[${v.code}${v.title ? ` ${v.title}` : ''}${v.paths?.length ? ` at ${v.paths.join(', ')}` : ''}]`)
  // Without its closing period: the hint is joined on with one.
  const what = (said.length > 0 ? `: ${said.join(' ')}` : body.trim() === '' ? ' with an empty body' : '').replace(/\.+$/, '')
  const hint = altinnApiHint({
    status,
    ...(problem?.altinnCode ? { altinnCode: problem.altinnCode } : {}),
    validationCodes: (problem?.validationErrors ?? []).map((v) => v.code),
    ...(text ? { text } : {}),
    scope: call.scope,
  })
  return new MaskinportenError('altinn_api_error', `Altinn answered ${status} to ${call.method} ${call.route}${what}`, {
    status,
    ...(body.trim() === '' ? {} : { body }),
    ...(problem?.altinnCode ? { altinnCode: problem.altinnCode } : {}),
    ...(problem?.validationErrors?.length ? { validationErrors: problem.validationErrors } : {}),
    ...(problem?.traceId ? { traceId: problem.traceId } : {}),
    method: call.method,
    route: call.route,
    retryAfterMs: retryAfterMsOf(headers),
    ...(hint ? { hint } : {}),
  })
}

/** The `altinn_api_error` for a success status whose body is not what the route answers. Keeps the body's shape only. */
export function unexpectedAnswer(call: CallLabel, status: number, expected: string, body: string): MaskinportenError {
  return new MaskinportenError('altinn_api_error', `Altinn answered ${status} to ${call.method} ${call.route}, but not with ${expected}`, {
    status,
    body: `[${body.length} characters; not kept]`,
    method: call.method,
    route: call.route,
    hint: 'Check altinnUrl: this does not look like Altinn\'s authentication API',
  })
}

/** True for an `altinn_api_error` with this status and, when given, this Altinn code. */
export function isAltinnError(err: unknown, status: number, altinnCode?: string): err is MaskinportenError {
  return (
    err instanceof MaskinportenError &&
    err.code === 'altinn_api_error' &&
    err.status === status &&
    (altinnCode === undefined || err.altinnCode === altinnCode)
  )
}
