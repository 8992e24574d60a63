/**
 * Norwegian national identity numbers (fødselsnummer, D-numbers, and the synthetic numbers of Skatteetaten's Tenor
 * test data), and the party URNs that Altinn's consents name (docs/consent.md).
 *
 * A fødselsnummer is personal data: nothing here ever puts one in a message. Use {@link maskFodselsnummer} to
 * show that one was given, and {@link partyKey} to tell two apart without showing them.
 *
 * @see https://www.skatteetaten.no/person/folkeregister/identitetsnummer/
 */
import { createHash } from 'node:crypto'
import { describeValue, invalidConfig } from '../errors/errors.js'
import { parseOrgNummer } from './orgnummer.js'

/** URN prefix of a person in Altinn (`urn:altinn:person:identifier-no:<11 digits>`). */
export const PERSON_URN_PREFIX = 'urn:altinn:person:identifier-no:'
/** URN prefix of an organisation in Altinn (`urn:altinn:organization:identifier-no:<9 digits>`). */
export const ORGANIZATION_URN_PREFIX = 'urn:altinn:organization:identifier-no:'

/** What a fødselsnummer is shown as: eleven stars. */
export const MASKED_FODSELSNUMMER = '***********'

const K1 = [3, 7, 6, 1, 8, 9, 4, 5, 2] as const
const K2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2] as const

/** The mod-11 check digit over `digits` with `weights`, or undefined when none exists (remainder 1). */
function checkDigit(digits: string, weights: readonly number[]): number | undefined {
  let sum = 0
  for (let i = 0; i < weights.length; i++) sum += Number(digits[i]) * weights[i]!
  const check = 11 - (sum % 11)
  if (check === 10) return undefined
  return check === 11 ? 0 : check
}

/**
 * True when `value` is an eleven-digit fødselsnummer with both mod-11 check digits right and a plausible date:
 * day 1–31 (a D-number adds 40 to the day) and month 1–12 (Tenor's synthetic test numbers add 80 to the month).
 *
 * @example
 * ```ts
 * isValidFodselsnummer(personNumber) // true or false; never prints it
 * ```
 */
export function isValidFodselsnummer(value: unknown): boolean {
  if (typeof value !== 'string' || !/^\d{11}$/.test(value)) return false
  let day = Number(value.slice(0, 2))
  let month = Number(value.slice(2, 4))
  if (day > 40) day -= 40 // D-number
  if (month > 80) month -= 80 // Tenor synthetic test person
  if (day < 1 || day > 31 || month < 1 || month > 12) return false
  return checkDigit(value, K1) === Number(value[9]) && checkDigit(value, K2) === Number(value[10])
}

/** A fødselsnummer as it may be shown: {@link MASKED_FODSELSNUMMER}. */
export function maskFodselsnummer(_value: string): string {
  return MASKED_FODSELSNUMMER
}

/**
 * A short, stable stand-in for a party (a person's URN above all) in cache keys and file names: 16 hex digits of
 * its SHA-256, never the number itself.
 */
export function partyKey(party: string): string {
  return createHash('sha256').update('wenche-maskinporten/party\0').update(party).digest('hex').slice(0, 16)
}

/**
 * The party URN of a consent's `from`: an eleven-digit fødselsnummer becomes `urn:altinn:person:identifier-no:…`,
 * a nine-digit org number `urn:altinn:organization:identifier-no:…`; either URN form is taken as it is (after the
 * same checks). Throws `invalid_config` naming `field`, never quoting a person's number.
 *
 * @example
 * ```ts
 * partyUrn('991825827', 'consent.from') // 'urn:altinn:organization:identifier-no:991825827'
 * ```
 */
export function partyUrn(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalidConfig(field, `must be a fødselsnummer or an org number, got ${typeof value}`)
  const bare = value.startsWith(PERSON_URN_PREFIX)
    ? value.slice(PERSON_URN_PREFIX.length)
    : value.startsWith(ORGANIZATION_URN_PREFIX)
      ? value.slice(ORGANIZATION_URN_PREFIX.length)
      : value.trim()
  const person = !value.startsWith(ORGANIZATION_URN_PREFIX) && /^\d{11}$/.test(bare)
  if (person) {
    if (!isValidFodselsnummer(bare)) {
      throw invalidConfig(field, `${MASKED_FODSELSNUMMER} (11 digits) is not a valid fødselsnummer or D-number (date or mod-11 check digits)`)
    }
    return `${PERSON_URN_PREFIX}${bare}`
  }
  if (!value.startsWith(PERSON_URN_PREFIX) && /^\d{9}$/.test(bare)) {
    const org = parseOrgNummer(bare)
    if (!org.ok) throw invalidConfig(field, `${org.problem}: expected an organisation number`)
    return `${ORGANIZATION_URN_PREFIX}${org.orgNummer}`
  }
  // Only digit counts are told: the value may be a mistyped person number.
  const shown = /\d{6}/.test(value) ? `(${value.length} characters, not shown)` : describeValue(value)
  throw invalidConfig(field, `${shown} is neither an 11-digit fødselsnummer nor a 9-digit org number`)
}

/** A party URN as it may be shown: a person's number masked, an organisation's shown. */
export function describeParty(urn: string): string {
  return urn.startsWith(PERSON_URN_PREFIX) ? `${PERSON_URN_PREFIX}${MASKED_FODSELSNUMMER}` : urn
}
