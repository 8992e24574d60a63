import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { MemoryTokenStore, type StoredToken } from '../../src/client/store.js'
import { TokenResult } from '../../src/client/token-result.js'

const token = (n: number): StoredToken => ({
  accessToken: `secret-token-${n}-abcdefghijklmnop`,
  tokenType: 'Bearer',
  scope: 'altinn:instances.read',
  obtainedAt: 1_000,
  expiresAt: 120_000,
})

test('MemoryTokenStore is an LRU bounded by maxEntries: a get makes an entry recent', () => {
  const store = new MemoryTokenStore(3)
  for (const n of [1, 2, 3]) store.set(`k${n}`, token(n))
  assert.equal(store.get('k1')?.accessToken, token(1).accessToken) // k1 is now the most recent
  store.set('k4', token(4)) // evicts k2, the least recently used
  assert.equal(store.size, 3)
  assert.equal(store.get('k2'), undefined)
  assert.ok(store.get('k1') && store.get('k3') && store.get('k4'))
  store.set('k3', token(33)) // replacing does not grow it
  assert.equal(store.size, 3)
  assert.equal(store.get('k3')?.accessToken, token(33).accessToken)
  store.delete('k3')
  assert.equal(store.get('k3'), undefined)
  store.clear()
  assert.equal(store.size, 0)
})

test('MemoryTokenStore refuses a bad capacity and never shows its tokens', () => {
  assert.throws(() => new MemoryTokenStore(0), { code: 'invalid_config' })
  assert.throws(() => new MemoryTokenStore(1.5), { code: 'invalid_config' })
  const store = new MemoryTokenStore(10)
  store.set('k', token(1))
  for (const text of [inspect(store, { showHidden: true, depth: 5 }), JSON.stringify(store), String(store)]) {
    assert.ok(!text.includes('secret-token'), text)
  }
  assert.equal(inspect(store), 'MemoryTokenStore { size: 1, maxEntries: 10 }')
})

test('TokenResult: accessToken is a plain enumerable property; inspect, JSON and String mask it', () => {
  const result = new TokenResult(token(7), 60_000)
  assert.equal(result.accessToken, token(7).accessToken)
  assert.deepEqual(Object.keys(result), ['accessToken', 'tokenType', 'expiresAt', 'expiresIn', 'scope'])
  assert.equal(result.expiresIn, 60)
  const texts = [inspect(result), inspect([result], { depth: 3 }), JSON.stringify(result), JSON.stringify({ result }), String(result), `${result}`]
  for (const text of texts) assert.ok(!text.includes('secret-token'), text)
  assert.match(inspect(result), /^TokenResult \{\n?\s*accessToken: '\[masked, 31 chars\]'/)
  assert.deepEqual(JSON.parse(JSON.stringify(result)), {
    accessToken: '[masked, 31 chars]',
    tokenType: 'Bearer',
    expiresAt: 120_000,
    expiresIn: 60,
    scope: 'altinn:instances.read',
  })
  // The deliberate way to serialise the token: spread, which leaves the prototype's toJSON behind.
  assert.equal(JSON.parse(JSON.stringify({ ...result })).accessToken, token(7).accessToken)
  // Destructuring, the common use, is plain.
  const { accessToken } = result
  assert.equal(accessToken, token(7).accessToken)
  assert.equal(new TokenResult(token(1), 500_000).expiresIn, 0)
})
