/**
 * Checks for what callers pass to the public functions and methods: options objects and request fields. Every bad
 * argument becomes `invalid_config` naming the argument, with the value quoted only through `describeValue`;
 * nothing is coerced (a BigInt, a boolean or an empty string where a number belongs is refused), and no getter,
 * Proxy or iterator a caller hands in can throw a `TypeError` past us.
 */
import { describeValue, invalidConfig, isMaskinportenError } from '../errors/errors.js'

/** Longest list of scopes or resources taken. */
const MAX_LIST_ITEMS = 1000

/**
 * An options argument as a plain record: `undefined` is `{}`; `null`, a primitive, an array or a function is refused.
 * Objects without a prototype are fine: fields are read, never methods called.
 *
 * @param name the argument, for the error (`options`, `retry`).
 * @example
 * ```ts
 * const opts = optionsObject(options, 'options')
 * ```
 */
export function optionsObject(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidConfig(name, `must be an object, got ${describeValue(value, false)}`)
  }
  return value as Record<string, unknown>
}

/**
 * One field of an options object, read once; a throwing getter or Proxy trap is `invalid_config`, not a crash.
 *
 * @example
 * ```ts
 * const scope = field(options, 'scope', 'options')
 * ```
 */
export function field(options: Record<string, unknown>, name: string, where: string): unknown {
  try {
    return options[name]
  } catch (err) {
    if (isMaskinportenError(err)) throw err
    throw invalidConfig(`${where}.${name}`, 'could not be read (its getter threw)')
  }
}

/** A string or a list of strings (scopes, resources), copied; anything else is refused. */
function textOrList(value: unknown, name: string): string | string[] | undefined {
  if (value === undefined || typeof value === 'string') return value
  if (!Array.isArray(value)) throw invalidConfig(name, `must be a string or a list of strings, got ${describeValue(value)}`)
  if (value.length > MAX_LIST_ITEMS) throw invalidConfig(name, `has ${value.length} items; at most ${MAX_LIST_ITEMS} are taken`)
  const list: string[] = []
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i]
    if (typeof item !== 'string') throw invalidConfig(name, `must list strings only; item ${i} is ${describeValue(item)}`)
    list.push(item)
  }
  return list
}

function optionalText(value: unknown, name: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value
  throw invalidConfig(name, `must be a string, got ${describeValue(value)}`)
}

/** A token request's fields, checked for type and copied (each read once), as `MaskinportenClient` and the flows take them. */
export interface RequestFields {
  scope?: string | string[]
  orgNummer?: string
  externalRef?: string
  resource?: string | string[]
  consumerOrg?: string
  forceRefresh?: boolean
}

/**
 * The request fields of an options argument, of the right types (values themselves are judged by the grant's own
 * checks). Fields it does not know are left alone.
 *
 * @example
 * ```ts
 * const { scope, orgNummer } = requestFields(options, 'options')
 * ```
 */
export function requestFields(value: unknown, name: string): RequestFields {
  const opts = optionsObject(value, name)
  const out: RequestFields = {}
  const scope = textOrList(field(opts, 'scope', name), 'scope')
  if (scope !== undefined) out.scope = scope
  for (const key of ['orgNummer', 'externalRef', 'consumerOrg'] as const) {
    const text = optionalText(field(opts, key, name), key)
    if (text !== undefined) out[key] = text
  }
  const resource = textOrList(field(opts, 'resource', name), 'resource')
  if (resource !== undefined) out.resource = resource
  const force = field(opts, 'forceRefresh', name)
  if (force !== undefined && typeof force !== 'boolean') throw invalidConfig('forceRefresh', `must be true or false, got ${describeValue(force, false)}`)
  if (force !== undefined) out.forceRefresh = force
  return out
}

/**
 * A caller's `AbortSignal`, if given; anything else is refused rather than failing inside fetch.
 *
 * @example
 * ```ts
 * const signal = optionalSignal(opts.signal) // AbortSignal | undefined
 * ```
 */
export function optionalSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined
  if (value instanceof AbortSignal) return value
  throw invalidConfig('signal', `must be an AbortSignal, got ${describeValue(value, false)}`)
}
