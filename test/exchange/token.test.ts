import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeToken } from '../../src/exchange/token.js'
import { MaskinportenError } from '../../src/errors/errors.js'

const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

test('decodeToken: header, claims and times in epoch ms, without verifying', () => {
  const jwt = `${enc({ alg: 'RS256', kid: 'k' })}.${enc({ scope: 'a', iat: 1_800_000_000, exp: 1_800_000_120 })}.not-a-real-signature`
  const decoded = decodeToken(jwt)
  assert.deepEqual(decoded.header, { alg: 'RS256', kid: 'k' })
  assert.equal(decoded.claims.scope, 'a')
  assert.equal(decoded.issuedAt, 1_800_000_000_000)
  assert.equal(decoded.expiresAt, 1_800_000_120_000)
  assert.equal(decodeToken(`${enc({ alg: 'none' })}.${enc({})}.`).expiresAt, undefined)
})

test('decodeToken: what is not a JWT is invalid_token, and the message never quotes the input', () => {
  const secretish = 'eyJzZWNyZXQiOiJzaG91bGQtbm90LWxlYWsifQ'
  const bad = [
    'abc',
    `${secretish}.${secretish}`,
    `${secretish}!.${enc({})}.x`,
    `${enc('a string')}.${enc({})}.x`,
    `${enc({})}.${Buffer.from(`{"broken": ${secretish}`).toString('base64url')}.x`,
    `${enc({})}.${enc([1, 2])}.x`,
    '',
  ]
  for (const input of bad) {
    assert.throws(
      () => decodeToken(input),
      (err: unknown) => {
        assert.ok(err instanceof MaskinportenError)
        assert.equal(err.code, 'invalid_token')
        assert.ok(!err.message.includes(secretish))
        assert.ok(!err.message.includes('should-not-leak'))
        return true
      },
    )
  }
  assert.throws(() => decodeToken(42 as unknown as string), { code: 'invalid_token' })
})
