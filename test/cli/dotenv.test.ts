import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseDotenv } from '../../src/cli/dotenv.ts'

test('.env: plain, exported, commented and quoted values', () => {
  const values = parseDotenv(
    [
      '# Maskinporten',
      'MASKINPORTEN_CLIENT_ID=abc-123',
      'export MASKINPORTEN_KID = my-kid  # the kid',
      "WENCHE_ENV='test'",
      'ORG_NUMMER="310702641" # customer',
      'MASKINPORTEN_SCOPES="a b"',
      'EMPTY=',
      'HASH=a#b',
      '',
    ].join('\n'),
  )
  assert.deepEqual(values, {
    MASKINPORTEN_CLIENT_ID: 'abc-123',
    MASKINPORTEN_KID: 'my-kid',
    WENCHE_ENV: 'test',
    ORG_NUMMER: '310702641',
    MASKINPORTEN_SCOPES: 'a b',
    EMPTY: '',
    HASH: 'a#b',
  })
})

test('.env: a PEM between double quotes, over several lines or with \\n escapes', () => {
  const pem = `-----BEGIN ${'PRIVATE'} KEY-----\nMIIE\nabc=\n-----END ${'PRIVATE'} KEY-----`
  const multiLine = parseDotenv(`MASKINPORTEN_PRIVATE_KEY="${pem}"\nNEXT=1\n`)
  assert.deepEqual(multiLine, { MASKINPORTEN_PRIVATE_KEY: pem, NEXT: '1' })
  const escaped = parseDotenv(`MASKINPORTEN_PRIVATE_KEY="${pem.replace(/\n/g, '\\n')}"\r\n`)
  assert.equal(escaped.MASKINPORTEN_PRIVATE_KEY, pem)
  assert.equal(parseDotenv("A='x\\ny'").A, 'x\\ny', 'single quotes are literal')
})

test('.env: a bad line is named by number, never quoted', () => {
  const secret = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'
  assert.throws(() => parseDotenv(`A=1\n${secret}\n`, '/x/.env'), (err: Error) => {
    assert.match(err.message, /\/x\/\.env line 2 is not NAME=value/)
    assert.ok(!err.message.includes(secret))
    return true
  })
  assert.throws(() => parseDotenv('A="open\nB=2'), /line 1 opens a " quote that is never closed/)
  assert.throws(() => parseDotenv('1A=x'), /line 1 has a malformed variable name/)
})
