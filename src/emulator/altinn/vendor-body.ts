/**
 * Request bodies as Altinn's ASP.NET model binding reads them (docs/vendor-api.md §0): JSON keys matched without
 * regard to case, unknown keys ignored, strings trimmed, `null` the same as absent. A value of the wrong type is
 * a binding failure ({@link BindingError}), answered as ASP.NET does (400 with an `errors` map).
 */
import { mediaType, readBody, type Call } from '../call.js'
import { sendBindingProblem, sendEmpty } from './problem.js'

/** A body value of the wrong type: the router answers ASP.NET's 400 naming `field`. */
export class BindingError extends Error {
  constructor(readonly field: string) {
    super(`${field} has the wrong type`)
  }
}

/** A JSON object read loosely. */
export type Loose = Record<string, unknown>

function trimDeep(value: unknown): unknown {
  if (typeof value === 'string') return value.trim()
  if (Array.isArray(value)) return value.map(trimDeep)
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, trimDeep(v)]))
  }
  return value
}

/**
 * The JSON body, strings trimmed, or `undefined` after answering: 415 (empty) when not JSON by its content type,
 * 400 when it does not parse, 413 when too large.
 */
export async function readJson(call: Call): Promise<{ value: unknown } | undefined> {
  const type = mediaType(call)
  if (type !== 'application/json' && !type.endsWith('+json')) {
    call.req.resume()
    sendEmpty(call, 415)
    return undefined
  }
  const body = await readBody(call)
  if (body === undefined) return undefined
  try {
    return { value: trimDeep(JSON.parse(body.toString('utf8'))) }
  } catch {
    sendBindingProblem(call, '$')
    return undefined
  }
}

/** The member `key` of `obj`, matched without regard to case; `null` reads as absent. */
export function member(obj: Loose, key: string): unknown {
  const lower = key.toLowerCase()
  for (const [k, v] of Object.entries(obj)) if (k.toLowerCase() === lower) return v === null ? undefined : v
  return undefined
}

/** `value` as an object, or a binding failure at `field`. */
export function asObject(value: unknown, field: string): Loose {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new BindingError(field)
  return value as Loose
}

/** An optional string member. */
export function optString(obj: Loose, key: string, field = key): string | undefined {
  const v = member(obj, key)
  if (v === undefined) return undefined
  if (typeof v !== 'string') throw new BindingError(field)
  return v
}

/** An optional boolean member. */
export function optBool(obj: Loose, key: string, field = key): boolean | undefined {
  const v = member(obj, key)
  if (v === undefined) return undefined
  if (typeof v !== 'boolean') throw new BindingError(field)
  return v
}

/** An optional array member. */
export function optArray(obj: Loose, key: string, field = key): unknown[] | undefined {
  const v = member(obj, key)
  if (v === undefined) return undefined
  if (!Array.isArray(v)) throw new BindingError(field)
  return v
}

/** An optional array of strings. */
export function optStrings(obj: Loose, key: string, field = key): string[] | undefined {
  const list = optArray(obj, key, field)
  if (list === undefined) return undefined
  return list.map((s, i) => {
    if (typeof s !== 'string') throw new BindingError(`${field}[${i}]`)
    return s
  })
}

/** An optional map of language to text (`{nb, nn, en}`); other members are kept as the service keeps them. */
export function optTexts(obj: Loose, key: string): Record<string, string> | undefined {
  const v = member(obj, key)
  if (v === undefined) return undefined
  const o = asObject(v, key)
  const out: Record<string, string> = {}
  for (const [k, t] of Object.entries(o)) {
    if (t === null) continue
    if (typeof t !== 'string') throw new BindingError(`${key}.${k}`)
    out[k.toLowerCase()] = t
  }
  return out
}

/** True when `text` is a GUID in the form the service prints (hyphens, any case). */
export function isGuid(text: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)
}
