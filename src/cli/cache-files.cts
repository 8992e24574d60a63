/**
 * The token cache's files as both of its readers see them: the file store (file-store.ts), which the client reads
 * and writes, and the run cache (run-cache.cts), which answers a repeated `maskinporten token` before the rest of
 * the command is loaded. One set of rules for what is trusted, so that the two cannot disagree.
 *
 * CommonJS with Node's built-ins only: the run cache loads this before any ES module (an ES module graph costs more
 * to start than a whole cache hit), and the ES modules import it like any other module.
 */
import fs = require('node:fs')
import os = require('node:os')
import path = require('node:path')

/** The cache's folder name under the user's cache directory. */
const CACHE_DIR_NAME = 'wenche-maskinporten'

/** A token file is a few hundred bytes to a few KB; anything larger is not ours. */
const MAX_FILE_BYTES = 64 * 1024

/**
 * No real token lives longer than this (Maskinporten's live minutes, Altinn's 30 min): a file saying so is forged.
 * The library's bound (exchange/limits.ts); a test keeps the two equal.
 */
const MAX_TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000

/** A cached token is used only while more than this is left (milliseconds): the caller needs time to use it. */
const MARGIN_MS = 30_000

/**
 * The cache directory for an environment (`XDG_CACHE_HOME`, else `HOME/.cache`). A relative `XDG_CACHE_HOME` is
 * ignored, as the XDG Base Directory spec says (it would write tokens into whatever directory a command runs in).
 *
 * @example
 * ```ts
 * cacheDir({ HOME: '/home/kari' }) // '/home/kari/.cache/wenche-maskinporten'
 * ```
 * @see https://specifications.freedesktop.org/basedir-spec/latest/
 */
function cacheDir(env: Record<string, string | undefined>): string {
  const xdg = env.XDG_CACHE_HOME?.trim()
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(env.HOME?.trim() || os.homedir(), '.cache')
  return path.join(base, CACHE_DIR_NAME)
}

/** This process's user id, or undefined where there is none (Windows: ownership is not checked there). */
function myUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined
}

/**
 * Why `stats` is not something only this user can have written, or undefined when it is.
 *
 * @example
 * ```ts
 * foreign(fs.statSync('/etc/passwd')) // 'owned by another user (uid 0)', unless run as root
 * ```
 */
function foreign(stats: fs.Stats): string | undefined {
  const uid = myUid()
  if (uid !== undefined && stats.uid !== uid) return `owned by another user (uid ${stats.uid})`
  if (process.platform !== 'win32' && (stats.mode & 0o077) !== 0) {
    return `open to other users (mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')})`
  }
  return undefined
}

/**
 * The text of `file` when it is a regular file of ours that no one else can write or read, at most
 * {@link MAX_FILE_BYTES}; undefined when it is missing or fails. Checked on the open file: no following a symlink,
 * no waiting on a FIFO. Throws only what an existing file's open fails with otherwise (EACCES, EIO).
 *
 * @example
 * ```ts
 * const text = readOwnFile(path.join(cacheDir(process.env), 'token-….json'))
 * ```
 */
function readOwnFile(file: string): string | undefined {
  let fd: number
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0))
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'EMLINK') return undefined
    throw err
  }
  try {
    const stats = fs.fstatSync(fd)
    if (!stats.isFile() || foreign(stats) !== undefined || stats.size > MAX_FILE_BYTES) return undefined
    return fs.readFileSync(fd, 'utf8')
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * Whether `dir` is a real directory (not a symlink) owned by this user with no group or other permissions. Only
 * looks: the file store makes, tightens and warns (file-store.ts); a reader that finds less simply does not use it.
 */
function isOwnDir(dir: string): boolean {
  let stats: fs.Stats
  try {
    stats = fs.lstatSync(dir)
  } catch {
    return false
  }
  return stats.isDirectory() && foreign(stats) === undefined
}

/** A token as the file store keeps it: the client's `StoredToken` (client/store.ts). */
interface TokenFile {
  accessToken: string
  tokenType: string
  scope: string
  obtainedAt: number
  expiresAt: number
}

/**
 * The token in a token file's text, or undefined when the text is not one, claims an impossible life (none, or
 * over {@link MAX_TOKEN_LIFETIME_MS}) or has expired by `now` (epoch ms).
 *
 * @example
 * ```ts
 * parseTokenFile(readOwnFile(file) ?? '', Date.now())?.accessToken
 * ```
 */
function parseTokenFile(text: string, now: number): TokenFile | undefined {
  let value: Partial<TokenFile> | null
  try {
    value = JSON.parse(text) as Partial<TokenFile> | null
  } catch {
    return undefined
  }
  if (
    typeof value?.accessToken !== 'string' ||
    typeof value.tokenType !== 'string' ||
    typeof value.scope !== 'string' ||
    typeof value.obtainedAt !== 'number' ||
    typeof value.expiresAt !== 'number'
  ) {
    return undefined
  }
  const lifetime = value.expiresAt - value.obtainedAt
  if (!(lifetime > 0 && lifetime <= MAX_TOKEN_LIFETIME_MS)) return undefined
  return value.expiresAt > now ? (value as TokenFile) : undefined
}

/**
 * `2026-03-01T12:00:00.000Z (in 119 s)`, or `(61 s ago)` for a time past.
 *
 * @example
 * ```ts
 * describeTime(Date.parse('2026-03-01T12:00:00Z'), Date.parse('2026-03-01T11:58:01Z')) // '2026-03-01T12:00:00.000Z (in 119 s)'
 * ```
 */
function describeTime(epochMs: number, nowMs: number): string {
  const seconds = Math.round((epochMs - nowMs) / 1000)
  const relative = seconds >= 0 ? `in ${seconds} s` : `${-seconds} s ago`
  return `${new Date(epochMs).toISOString()} (${relative})`
}

/**
 * The token response as `token --json` prints it: `expires_in` from `now`, `expires_at` in epoch seconds.
 *
 * @example
 * ```ts
 * JSON.stringify(tokenResponse(token, Date.now())) // {"access_token":"eyJ…","token_type":"Bearer","expires_in":119,…}
 * ```
 */
function tokenResponse(token: Pick<TokenFile, 'accessToken' | 'tokenType' | 'expiresAt' | 'scope'>, now: number): Record<string, string | number> {
  return {
    access_token: token.accessToken,
    token_type: token.tokenType,
    expires_in: Math.max(0, Math.round((token.expiresAt - now) / 1000)),
    expires_at: Math.floor(token.expiresAt / 1000),
    scope: token.scope,
  }
}

/**
 * The warning for a key file other users can read, or undefined when it is closed (or on Windows, or when the
 * file cannot be looked at: whoever reads it next reports that). One warning, never a refusal: a key that has been
 * readable is best replaced, not refused at the moment a token is needed (doctor fails on it). `mode` is the file's
 * when the caller has stat'ed it already.
 *
 * @example
 * ```ts
 * keyFileWarning('/home/kari/maskinporten_privat.pem') // 'Warning: the key file … is open to other users (mode 0644): chmod 600 …\n'
 * ```
 */
function keyFileWarning(file: string, mode?: number): string | undefined {
  if (process.platform === 'win32') return undefined
  let bits: number
  try {
    bits = (mode ?? fs.statSync(file).mode) & 0o777
  } catch {
    return undefined
  }
  if ((bits & 0o077) === 0) return undefined
  const octal = bits.toString(8).padStart(4, '0')
  return `Warning: the key file ${file} is open to other users (mode ${octal}): chmod 600 ${file}\n`
}

export = {
  CACHE_DIR_NAME,
  MAX_FILE_BYTES,
  MAX_TOKEN_LIFETIME_MS,
  MARGIN_MS,
  cacheDir,
  myUid,
  foreign,
  readOwnFile,
  isOwnDir,
  parseTokenFile,
  describeTime,
  tokenResponse,
  keyFileWarning,
}
