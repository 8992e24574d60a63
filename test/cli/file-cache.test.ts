import assert from 'node:assert/strict'
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, test } from 'node:test'
import {
  cacheDir,
  cacheKey,
  clearTokenCache,
  MIN_REMAINING_SECONDS,
  readCachedToken,
  writeCachedToken,
} from '../../src/cli/file-cache.ts'
import { tempDir } from './run-cli.ts'

const { dir: root, cleanup } = tempDir()
after(cleanup)

const base = { clientId: 'c', kid: 'k', issuer: 'https://test.maskinporten.no/', scope: 'a b' }

test('cache dir: XDG_CACHE_HOME, else ~/.cache', () => {
  assert.equal(cacheDir({ XDG_CACHE_HOME: '/x' }), '/x/wenche-maskinporten')
  assert.equal(cacheDir({ HOME: '/home/u' }), '/home/u/.cache/wenche-maskinporten')
})

test('cache key: everything that changes the token changes it; scope order does not', () => {
  const key = cacheKey(base)
  assert.equal(cacheKey({ ...base, scope: 'b  a' }), key)
  const variants = [
    { clientId: 'c2' },
    { kid: 'k2' },
    { issuer: 'https://maskinporten.no/' },
    { scope: 'a' },
    { orgNummer: '310702641' },
    { orgNummer: '310702641', externalRef: 'r' },
    { resource: ['https://api/'] },
    { consumerOrg: '310702641' },
    { altinnUrl: 'https://platform.tt02.altinn.no' },
  ]
  const keys = new Set([key, ...variants.map((v) => cacheKey({ ...base, ...v }))])
  assert.equal(keys.size, variants.length + 1)
  assert.match(key, /^[0-9a-f]{32}$/)
})

test('write and read: 0700 directory, 0600 file, no temporary files left, used while enough life is left', () => {
  const dir = join(root, 'a', 'wenche-maskinporten')
  const now = 1_700_000_000_000
  const token = { access_token: 'tok', token_type: 'Bearer', expires_at: now + 119_000, scope: 'a b' }
  writeCachedToken(dir, 'k1', token)
  assert.equal(statSync(dir).mode & 0o777, 0o700)
  const files = readdirSync(dir)
  assert.deepEqual(files, ['token-k1.json'])
  assert.equal(statSync(join(dir, files[0]!)).mode & 0o777, 0o600)

  assert.deepEqual(readCachedToken(dir, 'k1', now), token)
  assert.deepEqual(readCachedToken(dir, 'k1', now + 119_000 - MIN_REMAINING_SECONDS * 1000), token)
  assert.equal(readCachedToken(dir, 'k1', now + 119_000 - MIN_REMAINING_SECONDS * 1000 + 1), undefined)
  assert.deepEqual(readdirSync(dir), [], 'a stale entry is removed')
  assert.equal(readCachedToken(dir, 'missing', now), undefined)
})

test('an existing cache directory open to others is tightened; a broken file is a miss', () => {
  const dir = join(root, 'b')
  mkdirSync(dir, { mode: 0o755 })
  chmodSync(dir, 0o755)
  writeFileSync(join(dir, 'token-bad.json'), '{not json')
  assert.equal(readCachedToken(dir, 'bad', Date.now()), undefined)
  writeCachedToken(dir, 'k', { access_token: 't', token_type: 'Bearer', expires_at: Date.now() + 60_000 })
  assert.equal(statSync(dir).mode & 0o777, 0o700)
})

test('clear removes every token and leftover temporary file, and counts the tokens', () => {
  const dir = join(root, 'c')
  writeCachedToken(dir, 'x', { access_token: 't', token_type: 'Bearer', expires_at: Date.now() + 60_000 })
  writeCachedToken(dir, 'y', { access_token: 't', token_type: 'Bearer', expires_at: Date.now() + 60_000 })
  writeFileSync(join(dir, 'token-z.json.1.ab.tmp'), '')
  writeFileSync(join(dir, 'unrelated.txt'), '')
  assert.equal(clearTokenCache(dir), 2)
  assert.deepEqual(readdirSync(dir), ['unrelated.txt'])
  assert.equal(clearTokenCache(join(root, 'never-made')), 0)
})
