import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { readFileSync } from 'node:fs'
import { MAX_ERROR_BODY_CHARS, MaskinportenError, isMaskinportenError } from '../../src/errors/errors.js'
import { processTokenResponse } from '../../src/exchange/maskinporten.js'
import { processExchangeResponse } from '../../src/exchange/altinn.js'
import { VERSION } from '../../src/http/version.js'
import { maskinportenHint } from '../../src/errors/hints.js'
import { join } from 'node:path'
import { ROOT } from '../support/paths.ts'

const answer = (status: number, body: string, headers: Record<string, string> = {}) => ({ status, body, headers: new Headers(headers) })

test('MaskinportenError: name, code, cause, hint in the message, JSON without stack', () => {
  const cause = new Error('socket hang up')
  const err = new MaskinportenError('maskinporten_request_failed', 'Could not reach Maskinporten', { cause, hint: 'Check the network' })
  assert.equal(err.name, 'MaskinportenError')
  assert.equal(err.message, 'Could not reach Maskinporten. Check the network')
  assert.equal(err.cause, cause)
  assert.ok(err instanceof Error)
  const json = JSON.parse(JSON.stringify(err)) as Record<string, unknown>
  assert.deepEqual(json, { name: 'MaskinportenError', code: 'maskinporten_request_failed', message: err.message, cause: 'Error: socket hang up' })
  assert.ok(!inspect(err).includes('status: undefined'))
})

test('isMaskinportenError also matches an error from another copy of the package', () => {
  const foreign = Object.assign(new Error('x'), { name: 'MaskinportenError', code: 'invalid_config' })
  assert.equal(isMaskinportenError(foreign), true)
  assert.equal(isMaskinportenError(new Error('x')), false)
  assert.equal(isMaskinportenError({ name: 'MaskinportenError', code: 'x' }), false)
})

test('bodies are capped and JWT-shaped text is masked', () => {
  const huge = 'x'.repeat(MAX_ERROR_BODY_CHARS * 3)
  const err = new MaskinportenError('maskinporten_error', 'm', { body: huge })
  assert.ok(err.body!.length < MAX_ERROR_BODY_CHARS + 100)
  assert.match(err.body!, /more characters\]$/)
  const masked = new MaskinportenError('altinn_exchange_error', 'm', { body: 'token eyJhbGciOi.eyJzdWIiOi.c2ln here' })
  assert.equal(masked.body, 'token [jwt masked] here')
})

test('processTokenResponse: pure mapping of answers, without a network', () => {
  assert.deepEqual(processTokenResponse(answer(200, '{"access_token":"t","expires_in":119}')), { access_token: 't', expires_in: 119, token_type: 'Bearer' })
  assert.throws(() => processTokenResponse(answer(200, '{"access_token":"t"}')), { code: 'maskinporten_error', status: 200 })
  assert.throws(() => processTokenResponse(answer(500, '')), { code: 'maskinporten_error', status: 500, message: /empty body.*unavailable/ })
  assert.throws(() => processTokenResponse(answer(404, 'Not Found', { 'content-type': 'text/plain' })), { message: /not a Maskinporten token endpoint/ })
  assert.throws(() => processTokenResponse(answer(302, '', { location: 'https://x' })), { message: /redirects/ })
})

test('processExchangeResponse: quotes, white space, JSON problem titles', () => {
  assert.equal(processExchangeResponse(answer(200, '"a.b.c"')), 'a.b.c')
  assert.equal(processExchangeResponse(answer(200, '\n a.b.c \n')), 'a.b.c')
  assert.throws(() => processExchangeResponse(answer(200, 'two words')), { code: 'altinn_exchange_error' })
  assert.throws(() => processExchangeResponse(answer(403, '{"title":"Forbidden","detail":"no"}')), { message: /403: Forbidden: no/ })
})

test('hints: the most specific rule wins where texts and codes overlap', () => {
  assert.match(maskinportenHint({ status: 400, oauthError: 'invalid_scope', mpCode: 'MP-201' })!, /ID-porten/)
  assert.match(maskinportenHint({ status: 400, oauthError: 'invalid_grant', description: 'Invalid assertion. Client authentication failed. Unknown key identifier (kid) for client', mpCode: 'MP-100' })!, /kid not registered/)
  assert.match(maskinportenHint({ status: 400, oauthError: 'invalid_grant', description: 'Invalid assertion. Client authentication failed. Invalid JWT' })!, /could not authenticate the client/)
  assert.equal(maskinportenHint({ status: 418 }), undefined)
})

test('VERSION matches package.json', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
  assert.equal(VERSION, pkg.version)
})

test('describeValue quotes settings, but never what looks like a key or a token', async () => {
  const { describeValue } = await import('../../src/errors/errors.js')
  assert.equal(describeValue('staging'), '"staging"')
  assert.equal(describeValue(undefined), 'nothing')
  // Numbers and booleans are shown; anything else by its kind only, never stringified.
  assert.equal(describeValue(42), '42')
  assert.equal(describeValue(10n), 'a BigInt')
  assert.equal(describeValue({ kty: 'x' }), 'an object')
  const pem = `-----BEGIN ${'PRIVATE'} KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END ${'PRIVATE'} KEY-----\n`
  for (const secret of [pem, '{"kty":"RSA","d":"abc"}', 'eyJhbGciOi.eyJzdWIiOi.c2ln', 'x'.repeat(101), 'a\nb']) {
    assert.match(describeValue(secret), /^\(\d+ characters, not shown: looks like key material\)$/)
  }
})
