/**
 * A {@link TokenStore} in files, so that `$(maskinporten token)` in a loop asks Maskinporten once per token life:
 * `MaskinportenClient` decides what is fresh enough, this only keeps tokens between runs. Under
 * `$XDG_CACHE_HOME/wenche-maskinporten` (or `~/.cache/...`): directory 0700, files 0600, each written to a
 * temporary file and renamed, so a reader never sees half a token. A file is named by the SHA-256 of the client's
 * store key; neither the key nor any key material goes into the file.
 */
import { createHash } from 'node:crypto'
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import type { StoredToken, TokenStore } from '../cache.js'
import { writeFileAtomically } from './atomic-file.js'

/** The cache's folder name under the user's cache directory. */
const CACHE_DIR_NAME = 'wenche-maskinporten'

const PREFIX = 'token-'
const SUFFIX = '.json'

/** The cache directory for an environment (`XDG_CACHE_HOME`, else `HOME/.cache`). */
export function cacheDir(env: Record<string, string | undefined>): string {
  const base = env.XDG_CACHE_HOME?.trim() || join(env.HOME?.trim() || homedir(), '.cache')
  return join(base, CACHE_DIR_NAME)
}

function isStoredToken(value: unknown): value is StoredToken {
  const v = value as Partial<StoredToken> | null
  return (
    typeof v?.accessToken === 'string' &&
    typeof v.tokenType === 'string' &&
    typeof v.scope === 'string' &&
    typeof v.obtainedAt === 'number' &&
    typeof v.expiresAt === 'number'
  )
}

/** Tokens in files under `dir`, one per store key. Synchronous: a run reads one or two small files. */
export class FileTokenStore implements TokenStore {
  readonly dir: string
  readonly #now: () => number

  /** @param now the clock (epoch ms) by which an expired file is removed. */
  constructor(dir: string, now: () => number = Date.now) {
    this.dir = dir
    this.#now = now
  }

  /** The token stored under `key`; an expired or unreadable file is removed and is a miss. */
  get(key: string): StoredToken | undefined {
    const file = this.#fileOf(key)
    let text: string
    try {
      text = readFileSync(file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      // Broken: removed below.
    }
    if (isStoredToken(value) && value.expiresAt > this.#now()) return value
    rmSync(file, { force: true })
    return undefined
  }

  /** Writes the token atomically (temporary file 0600, then rename), making the directory (0700) if need be. */
  set(key: string, token: StoredToken): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    // An existing directory open to others is tightened.
    if ((statSync(this.dir).mode & 0o077) !== 0) chmodSync(this.dir, 0o700)
    writeFileAtomically(this.#fileOf(key), `${JSON.stringify(token)}\n`, 0o600)
  }

  delete(key: string): void {
    rmSync(this.#fileOf(key), { force: true })
  }

  /** Removes every token (and left-over temporary files), as {@link removeAll} does. */
  clear(): void {
    this.removeAll()
  }

  /** Removes every token (and left-over temporary files). Returns how many tokens were removed. */
  removeAll(): number {
    let names: string[]
    try {
      names = readdirSync(this.dir)
    } catch {
      return 0
    }
    let removed = 0
    for (const name of names) {
      if (!name.startsWith(PREFIX)) continue
      rmSync(join(this.dir, name), { force: true })
      if (name.endsWith(SUFFIX)) removed++
    }
    return removed
  }

  #fileOf(key: string): string {
    return join(this.dir, `${PREFIX}${createHash('sha256').update(key).digest('hex')}${SUFFIX}`)
  }
}
