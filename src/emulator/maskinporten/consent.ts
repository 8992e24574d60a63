/**
 * Consents (samtykke) as Altinn holds them, and the `urn:altinn:consent` entry of a grant that names one
 * (docs/consent.md): the grant says `{type, id, from}`, the token repeats it with `to`, `consented`, `validTo` and
 * `consentRights`, in the order of Altinn's published example.
 *
 * @see https://docs.altinn.studio/authorization/guides/validate-consent
 */
import { invalidConfig } from '../../errors/errors.js'
import { partyUrn } from '../../config/fodselsnummer.js'
import { parseOrgNummer, toIso6523 } from '../../config/orgnummer.js'
import type { EmulatorConsent } from '../types.js'
import { REJECT, type Rejection } from './rejections.js'
import { hasOnly, isObject } from './systemuser.js'

/** The `authorization_details` type of a consent. */
export const CONSENT_TYPE = 'urn:altinn:consent'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const ENTRY_FIELDS: ReadonlySet<string> = new Set(['type', 'id', 'from'])
const RIGHT_FIELDS: ReadonlySet<string> = new Set(['action', 'resource', 'metadata', 'metaData'])

/** A consent right as tokens carry it. */
export interface ConsentRight {
  action: string[]
  resource: Array<{ type: string; value: string }>
  metadata?: Record<string, string>
}

/** A consent checked and normalised. */
export interface StoredConsent {
  /** Lower-case UUID. */
  id: string
  /** Party URN of the one who consented. */
  from: string
  /** The organisation given the consent; undefined: whichever organisation asks. */
  to?: string
  consented: string
  validTo: string
  /** `validTo`, epoch seconds. */
  validUntil: number
  consentRights: ConsentRight[]
}

/** What checking a consent entry needs. */
export interface ConsentContext {
  consents: ConsentRegistry
  /** The organisation the token is for: the client's, or the delegating customer's with `consumer_org`. */
  forOrg: string
  /** The emulator's clock, epoch seconds. */
  now: number
}

/** A grant's consent that passed: what the token's entry says. */
export interface ConsentGrant {
  consent: StoredConsent
  tokenDetail: Record<string, unknown>
}

function isoTime(value: unknown, field: string): string {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) throw invalidConfig(field, 'must be an ISO 8601 time')
  return value
}

function stringArray(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw invalidConfig(field, 'must be a non-empty array of strings')
  }
  return value as string[]
}

function right(value: unknown, field: string): ConsentRight {
  if (!isObject(value) || !hasOnly(value, RIGHT_FIELDS)) throw invalidConfig(field, 'must be {action, resource, metadata?}')
  const resource = value.resource
  if (!Array.isArray(resource) || resource.length === 0) throw invalidConfig(`${field}.resource`, 'must be a non-empty array')
  const resources = resource.map((r, i) => {
    if (!isObject(r) || typeof r.type !== 'string' || typeof r.value !== 'string' || !hasOnly(r, new Set(['type', 'value']))) {
      throw invalidConfig(`${field}.resource[${i}]`, 'must be {type, value}')
    }
    return { type: r.type, value: r.value }
  })
  // Altinn's consent request says `metaData`, its tokens `metadata`: both are taken, tokens say `metadata`.
  const metadata = value.metadata ?? value.metaData
  const out: ConsentRight = { action: stringArray(value.action, `${field}.action`), resource: resources }
  if (metadata !== undefined) {
    if (!isObject(metadata) || !Object.values(metadata).every((v) => typeof v === 'string')) {
      throw invalidConfig(`${field}.metadata`, 'must be an object of strings')
    }
    out.metadata = { ...(metadata as Record<string, string>) }
  }
  return out
}

/** Checks a consent and fills in its defaults (`consented`: now). Throws `invalid_config` naming the field. */
export function normalizeConsent(input: EmulatorConsent, now: number, field = 'consent'): StoredConsent {
  if (!isObject(input)) throw invalidConfig(field, 'must be an object')
  const known = new Set(['id', 'from', 'to', 'consented', 'validTo', 'consentRights'])
  const unknown = Object.keys(input).find((k) => !known.has(k))
  if (unknown !== undefined) throw invalidConfig(`${field}.${unknown.slice(0, 40)}`, 'is not a consent field')
  if (typeof input.id !== 'string' || !UUID.test(input.id)) throw invalidConfig(`${field}.id`, 'must be a UUID')
  const from = partyUrn(input.from, `${field}.from`)
  let to: string | undefined
  if (input.to !== undefined) {
    const org = parseOrgNummer(input.to)
    if (!org.ok) throw invalidConfig(`${field}.to`, 'must be the nine-digit org number of the organisation given the consent')
    to = org.orgNummer
  }
  const validTo = isoTime(input.validTo, `${field}.validTo`)
  const consented = input.consented === undefined ? new Date(now * 1000).toISOString() : isoTime(input.consented, `${field}.consented`)
  const rights = input.consentRights
  if (!Array.isArray(rights) || rights.length === 0) throw invalidConfig(`${field}.consentRights`, 'must be a non-empty array')
  return {
    id: input.id.toLowerCase(),
    from,
    ...(to === undefined ? {} : { to }),
    consented,
    validTo,
    validUntil: Date.parse(validTo) / 1000,
    consentRights: rights.map((r, i) => right(r, `${field}.consentRights[${i}]`)),
  }
}

/** The consents given, by id. */
export class ConsentRegistry {
  readonly #consents = new Map<string, StoredConsent>()

  /** Adds a consent, or replaces the one with the same id. */
  register(input: EmulatorConsent, now: number): StoredConsent {
    const consent = normalizeConsent(input, now)
    this.#consents.set(consent.id, consent)
    return consent
  }

  /** The consent with this id (any case). */
  get(id: string): StoredConsent | undefined {
    return this.#consents.get(id.toLowerCase())
  }
}

/**
 * A grant's `urn:altinn:consent` entry: `{type, id, from}` only, a UUID and a party URN, naming a consent that was
 * given by `from` to `ctx.forOrg` and has not passed its `validTo`.
 */
export function checkConsentEntry(
  entry: Record<string, unknown>,
  ctx: ConsentContext,
): { ok: true; grant: ConsentGrant } | { ok: false; rejection: Rejection } {
  const fail = (rejection: Rejection) => ({ ok: false as const, rejection })
  if (!hasOnly(entry, ENTRY_FIELDS)) return fail(REJECT.unknownDetailsFields)
  const { id, from } = entry
  if (typeof id !== 'string' || !UUID.test(id) || typeof from !== 'string') return fail(REJECT.invalidDetails)
  let party: string
  try {
    party = partyUrn(from, 'from')
  } catch {
    return fail(REJECT.invalidDetails)
  }
  // Only the URN form is what Maskinporten documents; a bare number is a malformed entry.
  if (party !== from) return fail(REJECT.invalidDetails)
  const consent = ctx.consents.get(id)
  // A consent from someone else is, to this grant, a consent that does not exist.
  if (!consent || consent.from !== party) return fail(REJECT.consentNotFound)
  if (consent.to !== undefined && consent.to !== ctx.forOrg) return fail(REJECT.consentOtherOrg)
  if (consent.validUntil <= ctx.now) return fail(REJECT.consentExpired)
  const tokenDetail: Record<string, unknown> = {
    type: CONSENT_TYPE,
    id: consent.id,
    from: consent.from,
    to: { authority: 'iso6523-actorid-upis', ID: toIso6523(consent.to ?? ctx.forOrg) },
    consented: consent.consented,
    validTo: consent.validTo,
    consentRights: consent.consentRights,
  }
  return { ok: true, grant: { consent, tokenDetail } }
}
