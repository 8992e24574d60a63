/**
 * Tokens cached in files between runs, so that `$(maskinporten token)` in a loop asks Maskinporten once per token
 * life. Under `$XDG_CACHE_HOME/wenche-maskinporten` (or `~/.cache/...`): directory 0700, files 0600, each written
 * to a temporary file and renamed, so a reader never sees half a token. A file is named by a hash of everything that
 * changes the token; no key material goes into the name or the file.
 */
import { createHash } from 'node:crypto'
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { writeFileAtomically } from './atomic-file.js'

/** The cache's folder name under the user's cache directory. */
export const CACHE_DIR_NAME = 'wenche-maskinporten'

/** A cached token is used only while at least this many seconds of it are left (the caller needs time to use it). */
export const MIN_REMAINING_SECONDS = 30

const PREFIX = 'token-'
const SUFFIX = '.json'

/** Everything that makes one token different from another. */
export interface CacheKeyParts {
  clientId: string
  kid: string
  issuer: string
  scope: string
  orgNummer?: string
  externalRef?: string
  resource?: string | readonly string[]
  consumerOrg?: string
  /** The Altinn platform, when the token is exchanged there; absent for a Maskinporten token. */
  altinnUrl?: string
}

/** What a cache file holds. */
export interface CachedToken {
  access_token: string
  token_type: string
  /** Epoch milliseconds. */
  expires_at: number
  scope?: string
}

/** The cache directory for an environment (`XDG_CACHE_HOME`, else `HOME/.cache`). */
export function cacheDir(env: Record<string, string | undefined>): string {
  const base = env.XDG_CACHE_HOME?.trim() || join(env.HOME?.trim() || homedir(), '.cache')
  return join(base, CACHE_DIR_NAME)
}

/** The hash that names a cache entry: scopes sorted, as the order does not change the token. */
export function cacheKey(parts: CacheKeyParts): string {
  const canonical = JSON.stringify([
    parts.clientId,
    parts.kid,
    parts.issuer,
    parts.scope.split(/\s+/).filter(Boolean).sort(),
    parts.orgNummer ?? null,
    parts.externalRef ?? null,
    parts.resource === undefined ? null : [parts.resource].flat().sort(),
    parts.consumerOrg ?? null,
    parts.altinnUrl ?? null,
  ])
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32)
}

function fileOf(dir: string, key: string): string {
  return join(dir, `${PREFIX}${key}${SUFFIX}`)
}

function isCachedToken(value: unknown): value is CachedToken {
  const v = value as Partial<CachedToken> | null
  return typeof v?.access_token === 'string' && typeof v.token_type === 'string' && typeof v.expires_at === 'number'
}

/** The cached token for `key` if it has at least {@link MIN_REMAINING_SECONDS} left; a stale or broken file goes. */
export function readCachedToken(dir: string, key: string, nowMs: number): CachedToken | undefined {
  const file = fileOf(dir, key)
  let value: unknown
  try {
    value = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return undefined
  }
  if (isCachedToken(value) && value.expires_at - nowMs >= MIN_REMAINING_SECONDS * 1000) return value
  rmSync(file, { force: true })
  return undefined
}

/** Makes the cache directory, 0700, and tightens it if it exists with wider rights. */
function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700)
}

/** Writes a token atomically (temporary file 0600, then rename). */
export function writeCachedToken(dir: string, key: string, token: CachedToken): void {
  ensureDir(dir)
  writeFileAtomically(fileOf(dir, key), `${JSON.stringify(token)}\n`, 0o600)
}

/** Removes every cached token (and left-over temporary files). Returns how many tokens were removed. */
export function clearTokenCache(dir: string): number {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return 0
  }
  let removed = 0
  for (const name of names) {
    if (!name.startsWith(PREFIX)) continue
    rmSync(join(dir, name), { force: true })
    if (name.endsWith(SUFFIX)) removed++
  }
  return removed
}
