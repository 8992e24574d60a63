/**
 * Arguments checked before anything is sent: org numbers (mod 11), GUIDs, system ids, https URLs, rights and
 * access packages. Each failure is `invalid_config` naming the argument; values are quoted only through
 * `describeValue`, so that a key pasted in the wrong place is described, not printed.
 */
import { describeValue, invalidConfig, maskTokens } from '../errors/errors.js'
import { normalizeOrgNummer } from '../config/orgnummer.js'
import type { AccessPackage, LocalizedText, Right } from './types.js'

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** Texts (names, refs) longer than this are refused: no field of the API needs more. */
const MAX_TEXT = 255
/** Lists (rights, client ids) longer than this are refused. */
const MAX_ITEMS = 500

/** The resource id kind Altinn takes in a right (docs/vendor-api.md §1, VLD-09). */
export const RESOURCE_URN = 'urn:altinn:resource'

/** A GUID, lower-cased; else `invalid_config` naming `field`. */
export function checkGuid(value: unknown, field: string): string {
  if (typeof value !== 'string' || !GUID.test(value)) throw invalidConfig(field, `must be a GUID (such as 0b9e4d6a-…), got ${describeValue(value)}`)
  return value.toLowerCase()
}

/** True for a GUID string. */
export function isGuid(value: unknown): value is string {
  return typeof value === 'string' && GUID.test(value)
}

/** The nine digits of a valid org number (mod 11). */
export function checkOrgNo(value: unknown, field: string): string {
  return normalizeOrgNummer(value, field)
}

/** A short, single-line text that is not key material. */
export function checkText(value: unknown, field: string, max = MAX_TEXT): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalidConfig(field, 'must be a non-empty string')
  if (value !== value.trim()) throw invalidConfig(field, 'has leading or trailing white space (Altinn trims it)')
  // Key text or a token where a name belongs: refused without being echoed (describeValue describes it).
  if (/-----BEGIN|[\r\n]|"(d|kty|p|q)"\s*:/.test(value) || maskTokens(value) !== value) throw invalidConfig(field, `holds ${describeValue(value)}`)
  if (value.length > max || /[\u0000-\u001f]/.test(value)) throw invalidConfig(field, `must be one line of at most ${max} characters`)
  return value
}

/**
 * A system id: `<vendor org number>_<name>`, the org valid, the name without spaces or URL delimiters (it is a path
 * segment). Returns the id and the vendor org.
 */
export function checkSystemId(value: unknown, field = 'systemId'): { id: string; vendorOrgNo: string } {
  if (typeof value !== 'string' || !/^\d{9}_[^\s/?#%\\]{1,200}$/.test(value)) {
    throw invalidConfig(field, `must be "<vendor org number>_<name>" without spaces or slashes (make it with systemIdFor), got ${describeValue(value)}`)
  }
  const vendorOrgNo = checkOrgNo(value.slice(0, 9), `${field} (its org number)`)
  return { id: value, vendorOrgNo }
}

/** An absolute https URL (Altinn refuses others: VLD-05, AUTH-00021). */
export function checkHttpsUrl(value: unknown, field: string): string {
  if (typeof value !== 'string' || !URL.canParse(value) || /\s/.test(value)) throw invalidConfig(field, `must be an absolute https URL, got ${describeValue(value)}`)
  if (new URL(value).protocol !== 'https:') throw invalidConfig(field, `must be an https URL, got ${describeValue(value)}`)
  return value
}

/** A list of at most {@link MAX_ITEMS} items, each checked by `each`. */
export function checkList<T>(value: unknown, field: string, each: (item: unknown, field: string) => T): T[] {
  if (!Array.isArray(value)) throw invalidConfig(field, 'must be an array')
  if (value.length > MAX_ITEMS) throw invalidConfig(field, `has ${value.length} items; at most ${MAX_ITEMS}`)
  return value.map((item, i) => each(item, `${field}[${i}]`))
}

/** A right: `{ resource: [{ id: "urn:altinn:resource", value }] }`, copied so that later edits by the caller do not show. */
export function checkRight(value: unknown, field: string): Right {
  const resource = (value as { resource?: unknown } | null)?.resource
  if (!Array.isArray(resource) || resource.length === 0) throw invalidConfig(field, 'must be { resource: [{ id, value }] } (make it with resourceRight)')
  return {
    resource: resource.map((attr, i) => {
      const { id, value: v } = (attr ?? {}) as { id?: unknown; value?: unknown }
      return { id: checkText(id, `${field}.resource[${i}].id`), value: checkResourceId(v, `${field}.resource[${i}].value`) }
    }),
  }
}

/** A resource id in the resource registry: no white space, no slashes. */
export function checkResourceId(value: unknown, field: string): string {
  const text = checkText(value, field)
  if (/[\s/?#]/.test(text)) throw invalidConfig(field, `must be a resource id (such as app_brg_aarsregnskap-vanlig-202406), got ${describeValue(text)}`)
  return text
}

/** An access package: `{ urn: "urn:altinn:accesspackage:..." }`. */
export function checkAccessPackage(value: unknown, field: string): AccessPackage {
  const urn = (value as { urn?: unknown } | null)?.urn
  const text = checkText(urn, `${field}.urn`)
  if (!/^urn:[\w.:-]+$/.test(text)) throw invalidConfig(`${field}.urn`, `must be a URN (urn:altinn:accesspackage:...), got ${describeValue(text)}`)
  return { urn: text }
}

/** A text in three languages; a string stands for all three. */
export function checkLocalized(value: unknown, field: string): LocalizedText {
  if (typeof value === 'string') {
    const text = checkText(value, field, 1000)
    return { nb: text, nn: text, en: text }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidConfig(field, 'must be a string or { nb, nn, en }')
  const out: LocalizedText = {}
  for (const [lang, text] of Object.entries(value)) {
    if (lang !== 'nb' && lang !== 'nn' && lang !== 'en') throw invalidConfig(field, `has ${describeValue(lang)}; only nb, nn and en`)
    out[lang] = checkText(text, `${field}.${lang}`, 1000)
  }
  if (Object.keys(out).length === 0) throw invalidConfig(field, 'needs at least one of nb, nn, en')
  return out
}

/** An option that must be an object when given. */
export function checkOptions<T extends object>(value: T | undefined, field: string): Partial<T> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidConfig(field, 'must be an object')
  return value
}
