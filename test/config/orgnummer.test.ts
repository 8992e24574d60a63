import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isValidOrgNummer, normalizeOrgNummer, parseOrgNummer, toIso6523 } from '../../src/config/orgnummer.js'

test('valid org numbers from docs/protocol.md §6, with and without 0192: and spaces', () => {
  for (const org of ['991825827', '310702641', '974760223', '910753614', '0192:991825827', ' 991 825 827 ', '0192: 310 702 641']) {
    assert.equal(isValidOrgNummer(org), true, org)
  }
})

test('placeholders and malformed input are not org numbers', () => {
  for (const org of ['999888777', '123456789', '987654321', '99182582', '9918258270', '99182582x', '', '0192:', '991-825-827', 'abcdefghi']) {
    assert.equal(isValidOrgNummer(org), false, org)
  }
  for (const value of [991825827, null, undefined, {}, ['991825827']]) assert.equal(isValidOrgNummer(value), false)
})

test('check digit: remainder 0 gives 0, remainder 1 is never valid', () => {
  // 00000000 weighs to 0 → check digit 0.
  assert.equal(isValidOrgNummer('000000000'), true)
  // Digits whose weighted sum leaves remainder 1 have no valid check digit at all.
  for (let d = 0; d <= 9; d++) assert.equal(isValidOrgNummer(`00000006${d}`), false)
  // Every other eight-digit prefix has exactly one valid check digit.
  for (const prefix of ['99182582', '31070264', '12345678']) {
    const valid = [...Array(10).keys()].filter((d) => isValidOrgNummer(`${prefix}${d}`))
    assert.equal(valid.length, prefix === '12345678' ? 1 : 1)
  }
})

test('normalizeOrgNummer gives nine digits or an invalid_config naming the field and the number', () => {
  assert.equal(normalizeOrgNummer('0192: 974 760 223', 'orgNummer'), '974760223')
  assert.throws(() => normalizeOrgNummer('999888777', 'consumerOrg'), { code: 'invalid_config', message: /consumerOrg.*"999888777".*check digit/ })
  assert.deepEqual(parseOrgNummer('12'), { ok: false, problem: '"12" is not nine digits' })
  assert.equal(toIso6523('991825827'), '0192:991825827')
})
