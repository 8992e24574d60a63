import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import {
  chmodSync,
  chownSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { basename, join } from 'node:path'
import { after, test } from 'node:test'
import type { StoredToken } from '../../src/client/store.ts'
import { MaskinportenClient } from '../../src/client/client.ts'
import { cacheDir, FileTokenStore, TEMP_FILE_GRACE_MS } from '../../src/cli/file-store.ts'
import { testConfig } from '../support/fixtures.ts'
import { fakeServices, manualClock } from '../support/client-fakes.ts'
import { tempDir } from './run-cli.ts'

const { dir: root, cleanup } = tempDir()
after(cleanup)

const NOW = 1_700_000_000_000
const token = (expiresAt: number, accessToken = 'tok'): StoredToken => ({
  accessToken,
  tokenType: 'Bearer',
  scope: 'a b',
  obtainedAt: expiresAt - 119_000,
  expiresAt,
})

/** The file a token for `key` is kept in. */
const fileOf = (dir: string, key: string) => join(dir, `token-${createHash('sha256').update(key).digest('hex')}.json`)

test('cache dir: XDG_CACHE_HOME, else ~/.cache', () => {
  assert.equal(cacheDir({ XDG_CACHE_HOME: '/x' }), '/x/wenche-maskinporten')
  assert.equal(cacheDir({ HOME: '/home/u' }), '/home/u/.cache/wenche-maskinporten')
})

test('set and get: 0700 directory, a 0600 file named by the SHA-256 of the key, holding neither key nor name', () => {
  const dir = join(root, 'a', 'wenche-maskinporten')
  const store = new FileTokenStore(dir, { now: () => NOW })
  const key = '["maskinporten","https://test.maskinporten.no/","client","a b",null,null,null,null]'
  store.set(key, token(NOW + 119_000))
  assert.equal(statSync(dir).mode & 0o777, 0o700)
  const files = readdirSync(dir)
  assert.deepEqual(files, [`token-${createHash('sha256').update(key).digest('hex')}.json`], 'no temporary file left')
  assert.equal(statSync(join(dir, files[0]!)).mode & 0o777, 0o600)
  assert.doesNotMatch(readFileSync(join(dir, files[0]!), 'utf8'), /maskinporten|client/)

  assert.deepEqual(store.get(key), token(NOW + 119_000))
  assert.equal(store.get('another key'), undefined)
  store.set(key, token(NOW + 119_000, 'newer'))
  assert.equal(store.get(key)?.accessToken, 'newer', 'a write replaces the file')
  store.delete(key)
  assert.deepEqual(readdirSync(dir), [])
})

test('an expired token, a broken file and a file of another shape are misses, left for set to overwrite', () => {
  const dir = join(root, 'b')
  let now = NOW
  const store = new FileTokenStore(dir, { now: () => now })
  store.set('k', token(NOW + 60_000))
  now = NOW + 60_000
  assert.equal(store.get('k'), undefined)
  // Not removed: another run may have just renamed a fresh token into its place.
  assert.equal(readdirSync(dir).length, 1)
  store.set('k', token(NOW + 600_000, 'fresh'))
  assert.equal(store.get('k')?.accessToken, 'fresh', 'set overwrites it')

  store.set('broken', token(NOW + 600_000))
  store.set('old shape', token(NOW + 600_000))
  writeFileSync(fileOf(dir, 'broken'), '{not json')
  writeFileSync(fileOf(dir, 'old shape'), JSON.stringify({ access_token: 't', token_type: 'Bearer', expires_at: NOW + 600_000 }))
  assert.equal(store.get('broken'), undefined)
  assert.equal(store.get('old shape'), undefined)
  assert.equal(readdirSync(dir).length, 3)
})

test('an existing cache directory of ours open to others is tightened, on reading as on writing', () => {
  const dir = join(root, 'c')
  mkdirSync(dir, { mode: 0o755 })
  chmodSync(dir, 0o755)
  new FileTokenStore(dir).set('k', token(Date.now() + 60_000))
  assert.equal(statSync(dir).mode & 0o777, 0o700)
  chmodSync(dir, 0o777)
  assert.equal(new FileTokenStore(dir).get('k')?.accessToken, 'tok', 'our own file, in our own directory')
  assert.equal(statSync(dir).mode & 0o777, 0o700)
})

test('removeAll removes every token and old temporary file, not one being written now, and counts the tokens', () => {
  const dir = join(root, 'd')
  const store = new FileTokenStore(dir)
  store.set('x', token(Date.now() + 60_000))
  store.set('y', token(Date.now() + 60_000))
  const leftOver = join(dir, 'token-z.json.1.ab.tmp')
  const inProgress = join(dir, 'token-z.json.2.cd.tmp')
  writeFileSync(leftOver, '')
  const old = (Date.now() - TEMP_FILE_GRACE_MS - 1000) / 1000
  utimesSync(leftOver, old, old)
  writeFileSync(inProgress, '')
  writeFileSync(join(dir, 'unrelated.txt'), '')
  assert.equal(store.removeAll(), 2)
  assert.deepEqual(readdirSync(dir).sort(), ['token-z.json.2.cd.tmp', 'unrelated.txt'], "another run's write is left alone")
  rmSync(inProgress)
  store.set('x', token(Date.now() + 60_000))
  store.clear()
  assert.deepEqual(readdirSync(dir), ['unrelated.txt'])
  assert.equal(new FileTokenStore(join(root, 'never-made')).removeAll(), 0)
})

// Planted tokens. Tests run as root, which can give a file or directory to another user: uid 1 is "someone else".
const OTHER_UID = 1
const asRoot = { skip: process.getuid?.() === 0 ? false : 'needs root, to chown to another user' }

/** A directory holding a well-formed, unexpired token for `key`, as an attacker would plant it. */
function planted(name: string, key: string, fileMode = 0o600): string {
  const dir = join(root, name)
  mkdirSync(dir)
  writeFileSync(fileOf(dir, key), JSON.stringify(token(Date.now() + 60_000, 'planted')), { mode: fileMode })
  chmodSync(fileOf(dir, key), fileMode)
  return dir
}

function warnings(): { warn: (line: string) => void; lines: string[] } {
  const lines: string[] = []
  return { warn: (line) => void lines.push(line), lines }
}

test('a cache directory of another user, open to all, with a token planted in it: not used at all, one warning', asRoot, () => {
  const dir = planted('theirs', 'k')
  chmodSync(dir, 0o777)
  chownSync(dir, OTHER_UID, OTHER_UID)
  chownSync(fileOf(dir, 'k'), OTHER_UID, OTHER_UID)
  const { warn, lines } = warnings()
  const store = new FileTokenStore(dir, { warn })
  assert.equal(store.get('k'), undefined)
  store.set('k', token(Date.now() + 60_000, 'ours'))
  store.set('other', token(Date.now() + 60_000, 'ours'))
  assert.equal(store.removeAll(), 0)
  assert.equal(lines.length, 1)
  assert.match(lines[0]!, /^Warning: not using the token cache: .*theirs is owned by another user \(uid 1\).*XDG_CACHE_HOME/)
  assert.deepEqual(readdirSync(dir), [basename(fileOf(dir, 'k'))], 'nothing of ours written there, nothing removed')
  assert.equal(statSync(dir).mode & 0o777, 0o777, 'not ours to tighten')
  assert.equal(JSON.parse(readFileSync(fileOf(dir, 'k'), 'utf8')).accessToken, 'planted')

  // Given to another user without loose bits, it is refused all the same.
  chmodSync(dir, 0o700)
  assert.equal(new FileTokenStore(dir).get('k'), undefined)
})

test('a planted file in our own directory: refused when another user owns it or others may read or write it', asRoot, () => {
  const dir = planted('ours-open', 'theirs')
  chmodSync(dir, 0o777) // as it was while the file was planted; tightened on use
  chownSync(fileOf(dir, 'theirs'), OTHER_UID, OTHER_UID)
  writeFileSync(fileOf(dir, 'loose'), JSON.stringify(token(Date.now() + 60_000, 'planted')), { mode: 0o644 })
  chmodSync(fileOf(dir, 'loose'), 0o644)
  const { warn, lines } = warnings()
  const store = new FileTokenStore(dir, { warn })
  assert.equal(store.get('theirs'), undefined, 'owned by another user')
  assert.equal(store.get('loose'), undefined, 'mode 0644')
  assert.deepEqual(lines, [], 'the directory is ours: no warning')
  assert.equal(statSync(dir).mode & 0o777, 0o700)
  store.set('theirs', token(Date.now() + 60_000, 'ours'))
  assert.equal(store.get('theirs')?.accessToken, 'ours', 'set replaces the planted file with our own')
})

test('a symlinked cache directory is not used, even pointing at a good one; a symlinked file is not read', () => {
  const target = planted('target', 'k')
  chmodSync(target, 0o700)
  assert.equal(new FileTokenStore(target).get('k')?.accessToken, 'planted', 'the target itself is fine')
  const link = join(root, 'link')
  symlinkSync(target, link)
  const { warn, lines } = warnings()
  const store = new FileTokenStore(link, { warn })
  assert.equal(store.get('k'), undefined)
  store.set('new', token(Date.now() + 60_000))
  assert.equal(lines.length, 1)
  assert.match(lines[0]!, /link is a symbolic link/)
  assert.deepEqual(readdirSync(target), [basename(fileOf(target, 'k'))], 'nothing written through the link')

  const dir = join(root, 'file-link')
  mkdirSync(dir, { mode: 0o700 })
  symlinkSync(fileOf(target, 'k'), fileOf(dir, 'k'))
  assert.equal(new FileTokenStore(dir).get('k'), undefined)
})

test('a token claiming more life than any real one (over 24 h), or none, is refused', () => {
  const dir = join(root, 'lifetime')
  const store = new FileTokenStore(dir, { now: () => NOW })
  const day = 24 * 60 * 60 * 1000
  store.set('year', { ...token(NOW + 365 * day), obtainedAt: NOW - 1000 })
  store.set('day', { ...token(NOW + day), obtainedAt: NOW })
  store.set('backwards', { ...token(NOW + 60_000), obtainedAt: NOW + 120_000 })
  assert.equal(store.get('year'), undefined)
  assert.equal(store.get('backwards'), undefined)
  assert.equal(store.get('day')?.accessToken, 'tok', '24 h is the bound, not past it')
})

test('as the client\'s store: a second client (a second run) reuses the token while more than the margin is left', async () => {
  const dir = join(root, 'e')
  const services = fakeServices()
  const clock = manualClock()
  const run = async (): Promise<string> => {
    const client = new MaskinportenClient(testConfig({ fetch: services.fetch }), {
      store: new FileTokenStore(dir, { now: clock.now }),
      marginMs: 30_000,
      refreshAhead: 1,
      now: clock.now,
    })
    try {
      return (await client.getToken({ scope: 'a:b' })).accessToken
    } finally {
      client.close()
    }
  }
  const first = await run()
  clock.advance(119_000 - 30_000 - 1)
  assert.equal(await run(), first)
  assert.equal(services.grants.length, 1)
  clock.advance(1)
  assert.notEqual(await run(), first, 'no more than the margin left: a new token')
  assert.equal(services.grants.length, 2)
  assert.equal(readdirSync(dir).length, 1, 'the new token replaced the old')
})
