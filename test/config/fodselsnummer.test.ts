/**
 * Fødselsnummer, D-numbers and Tenor's synthetic test numbers: both mod-11 check digits, the date offsets, the
 * party URNs, and the masking. Numbers that pass are built at run time (or are Altinn's published synthetic ones),
 * so that no real person's number is in the repository.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  describeParty,
  isValidFodselsnummer,
  maskFodselsnummer,
  partyKey,
  partyUrn,
  MASKED_FODSELSNUMMER,
} from '../../src/config/fodselsnummer.js'

/**
 * Completes nine digits with their two check digits, by the rule "the weighted sum including the check digit is
 * a multiple of 11" (an independent statement of the same rule), or undefined when no digit fits.
 */
function complete(nine: string): string | undefined {
  const fit = (digits: string, weights: number[]) => {
    for (let d = 0; d <= 9; d++) {
      const all = `${digits}${d}`
      if ([...all].reduce((sum, c, i) => sum + Number(c) * weights[i]!, 0) % 11 === 0) return all
    }
    return undefined
  }
  const ten = fit(nine, [3, 7, 6, 1, 8, 9, 4, 5, 2, 1])
  return ten && fit(ten, [5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1])
}

/** The first valid number with the given date part (DDMMYY). */
function numberFor(date: string): string {
  for (let i = 100; i < 1000; i++) {
    const n = complete(`${date}${i}`)
    if (n) return n
  }
  throw new Error('none')
}

test('valid: an ordinary number, a D-number (day + 40), a Tenor synthetic number (month + 80), Altinn’s published ones', () => {
  assert.equal(isValidFodselsnummer(numberFor('150585')), true)
  assert.equal(isValidFodselsnummer(numberFor('550585')), true) // D-number: day 15 + 40
  assert.equal(isValidFodselsnummer(numberFor('158585')), true) // Tenor: month 5 + 80
  assert.equal(isValidFodselsnummer(numberFor('558585')), true) // Tenor D-number
  for (const published of ['21818297804', '25922947409', '03867199348']) assert.equal(isValidFodselsnummer(published), true, published)
})

test('invalid: either check digit wrong, impossible dates, wrong length, not digits', () => {
  const good = numberFor('150585')
  const flip = (n: string, i: number) => `${n.slice(0, i)}${(Number(n[i]) + 1) % 10}${n.slice(i + 1)}`
  assert.equal(isValidFodselsnummer(flip(good, 9)), false)
  assert.equal(isValidFodselsnummer(flip(good, 10)), false)
  assert.equal(isValidFodselsnummer(flip(good, 4)), false)
  for (const date of ['000585', '320585', '150085', '151385', '721385', '159385']) {
    const n = complete(`${date}123`) ?? complete(`${date}124`) ?? complete(`${date}125`)
    if (n) assert.equal(isValidFodselsnummer(n), false, date)
  }
  for (const value of ['', '1234567890', '123456789012', '2181829780a', 21818297804, null, undefined]) {
    assert.equal(isValidFodselsnummer(value), false, String(value))
  }
})

test('partyUrn: person and organisation URNs, refusals that never quote a person number', () => {
  assert.equal(partyUrn('21818297804', 'from'), 'urn:altinn:person:identifier-no:21818297804')
  assert.equal(partyUrn('991825827', 'from'), 'urn:altinn:organization:identifier-no:991825827')
  assert.equal(partyUrn('urn:altinn:organization:identifier-no:991825827', 'from'), 'urn:altinn:organization:identifier-no:991825827')
  // A person's number in the organisation URN (or the reverse) is refused.
  assert.throws(() => partyUrn('urn:altinn:organization:identifier-no:21818297804', 'from'), { code: 'invalid_config' })
  assert.throws(() => partyUrn('urn:altinn:person:identifier-no:991825827', 'from'), { code: 'invalid_config' })
  for (const bad of ['21818297805', '2181829780', '218182978045', 'urn:altinn:person:identifier-no:21818297805']) {
    assert.throws(() => partyUrn(bad, 'from'), (err: Error) => {
      assert.match(err.message, /from/)
      assert.ok(!err.message.includes(bad.replace(/^urn:.*:/, '').slice(0, 9)), err.message)
      return true
    })
  }
})

test('a fødselsnummer given where an org number belongs is not quoted', async () => {
  const { parseOrgNummer, normalizeOrgNummer } = await import('../../src/config/orgnummer.js')
  const parsed = parseOrgNummer('21818297804')
  assert.equal(parsed.ok, false)
  assert.ok(!('problem' in parsed && parsed.problem.includes('21818297804')))
  assert.throws(() => normalizeOrgNummer('218182 97804', 'orgNummer'), (err: Error) => !err.message.includes('97804') && /orgNummer/.test(err.message))
})

test('masking: eleven stars; describeParty masks persons only; partyKey is short, stable, and not the number', () => {
  assert.equal(maskFodselsnummer('21818297804'), MASKED_FODSELSNUMMER)
  assert.equal(MASKED_FODSELSNUMMER, '***********')
  assert.equal(describeParty('urn:altinn:person:identifier-no:21818297804'), 'urn:altinn:person:identifier-no:***********')
  assert.equal(describeParty('urn:altinn:organization:identifier-no:991825827'), 'urn:altinn:organization:identifier-no:991825827')
  const key = partyKey('urn:altinn:person:identifier-no:21818297804')
  assert.match(key, /^[0-9a-f]{16}$/)
  assert.equal(partyKey('urn:altinn:person:identifier-no:21818297804'), key)
  assert.notEqual(partyKey('urn:altinn:person:identifier-no:25922947409'), key)
  assert.ok(!key.includes('21818297804'))
})
