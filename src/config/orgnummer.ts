/**
 * Norwegian organisation numbers: nine digits, the last a mod-11 check digit.
 *
 * @see https://www.brreg.no/om-oss/registrene-vare/om-enhetsregisteret/organisasjonsnummeret/
 */
import { describeValue, invalidConfig } from '../errors/errors.js'

const WEIGHTS = [3, 2, 7, 6, 5, 4, 3, 2] as const

/** ISO 6523 prefix that Maskinporten and Altinn put before an org number (`0192:991825827`). */
export const ORGNR_PREFIX = '0192:'

/** Strips what users type around an org number: the `0192:` prefix and white space. */
function strip(input: string): string {
  const trimmed = input.replace(/\s+/g, '')
  return trimmed.startsWith(ORGNR_PREFIX) ? trimmed.slice(ORGNR_PREFIX.length) : trimmed
}

function checkDigitOk(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < 8; i++) sum += Number(digits[i]) * WEIGHTS[i]!
  const remainder = sum % 11
  if (remainder === 1) return false // no valid check digit exists for these eight digits
  const check = remainder === 0 ? 0 : 11 - remainder
  return check === Number(digits[8])
}

/**
 * True when `value` is a valid Norwegian organisation number: nine digits with a correct mod-11 check digit.
 * The `0192:` prefix and spaces are tolerated (`"0192: 991 825 827"` is valid).
 *
 * @example
 * ```ts
 * isValidOrgNummer('991825827') // true (Digdir)
 * isValidOrgNummer('123456789') // false: check digit
 * ```
 */
export function isValidOrgNummer(value: unknown): boolean {
  if (typeof value !== 'string') return false
  const digits = strip(value)
  return /^\d{9}$/.test(digits) && checkDigitOk(digits)
}

/** The bare nine digits of a valid org number, or the reason it is not one. */
export function parseOrgNummer(value: unknown): { ok: true; orgNummer: string } | { ok: false; problem: string } {
  if (typeof value !== 'string') return { ok: false, problem: `must be a string of nine digits, got ${typeof value}` }
  const digits = strip(value)
  // Eleven digits are likely a person's fødselsnummer given by mistake: personal data, never quoted.
  if (/^\d{11}$/.test(digits)) return { ok: false, problem: '(11 digits, not shown: a fødselsnummer?) is not nine digits' }
  if (!/^\d{9}$/.test(digits)) return { ok: false, problem: `${describeValue(value)} is not nine digits` }
  if (!checkDigitOk(digits)) return { ok: false, problem: `${describeValue(value)} has a wrong check digit (mod 11)` }
  return { ok: true, orgNummer: digits }
}

/**
 * The bare nine digits of a valid org number, or an `invalid_config` error naming `field` and the number (org
 * numbers are public, so the error may show them).
 */
export function normalizeOrgNummer(value: unknown, field: string): string {
  const parsed = parseOrgNummer(value)
  if (!parsed.ok) throw invalidConfig(field, `${parsed.problem}: expected a Norwegian organisation number`)
  return parsed.orgNummer
}

/** `0192:<orgnr>`, the form org numbers take in grants and tokens. */
export function toIso6523(orgNummer: string): string {
  return `${ORGNR_PREFIX}${orgNummer}`
}

