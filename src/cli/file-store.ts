/**
 * A {@link TokenStore} in files, so that `$(maskinporten token)` in a loop asks Maskinporten once per token life:
 * `MaskinportenClient` decides what is fresh enough, this only keeps tokens between runs. Under
 * `$XDG_CACHE_HOME/wenche-maskinporten` (or `~/.cache/...`): directory 0700, files 0600, each written to a
 * temporary file and renamed, so a reader never sees half a token. A file is named by the SHA-256 of the client's
 * store key; neither the key nor any key material goes into the file. What is trusted, and how a file is read, is
 * shared with the run cache (cache-files.cts), which reads these files too.
 *
 * File names are predictable, so the store trusts only what no one else can have written: a real directory (not a
 * symlink) owned by this user with no group or other permissions, and in it regular files owned by this user with
 * no group or other permissions, checked on the open file. A directory that fails is not used at all (one warning);
 * a file that fails, or whose token claims more life than any real one has, is ignored.
 */
import { createHash } from 'node:crypto'
import { chmodSync, lstatSync, mkdirSync, readdirSync, rmSync, type Stats } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { TokenLease } from '../client/lease.js'
import type { StoredToken, TokenStore } from '../client/store.js'
import { writeFileAtomically } from './atomic-file.js'
import { fileLease, isStaleLock, LOCK_PREFIX } from './file-lease.js'
import { cacheFiles, runCache } from './short-way.js'

const { cacheDir, MAX_TOKEN_LIFETIME_MS, myUid, parseTokenFile, readOwnFile } = cacheFiles
const { RUN_PREFIX } = runCache

const PREFIX = 'token-'
const SUFFIX = '.json'
const TEMP_SUFFIX = '.tmp'

/** No real token lives longer than this (Maskinporten's live minutes, Altinn's 30 min): a file saying so is forged. */
export { MAX_TOKEN_LIFETIME_MS }

/** The cache directory for an environment (`XDG_CACHE_HOME`, else `HOME/.cache`): see cache-files.cts. */
export { cacheDir }

/** Default {@link FileTokenStoreOptions.leaseMs}: longer than a run's whole retry deadline (10 s). */
export const DEFAULT_FILE_LEASE_MS = 15_000

/** `logout` leaves a temporary file younger than this: another run is about to rename it into place. */
export const TEMP_FILE_GRACE_MS = 10_000

/** Most directories made on the way to the cache directory: a real path needs two or three. */
const MAX_DIRS_MADE = 16

/** Where no cache belongs: kernel views whose entries come and go or cannot be made. */
const VIRTUAL_ROOTS = ['/proc', '/sys', '/dev']

/**
 * Makes `dir` and what is missing above it (0700), one level at a time and at most {@link MAX_DIRS_MADE} of them.
 * Node's recursive mkdir can loop for ever where a parent exists but refuses children (`/proc/self`): here every
 * failure is final. Throws the failure.
 */
function makeDirs(dir: string): void {
  if (VIRTUAL_ROOTS.some((root) => dir === root || dir.startsWith(`${root}/`))) {
    throw Object.assign(new Error(`${dir} is under ${dir.split('/')[1]}, where no cache belongs`), { code: 'EINVAL' })
  }
  const missing: string[] = []
  for (let d = resolve(dir); ; d = dirname(d)) {
    try {
      lstatSync(d)
      break
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(d) === d) throw err
      missing.push(d)
      if (missing.length > MAX_DIRS_MADE) throw Object.assign(new Error(`${dir} is too deep to make`), { code: 'ENAMETOOLONG' })
    }
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d, { mode: 0o700 })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
  }
}

/** Options of {@link FileTokenStore}. */
export interface FileTokenStoreOptions {
  /** The clock (epoch ms) by which a stored token is judged expired. */
  now?: () => number
  /** Told once, as a line for stderr, when the directory cannot be trusted and the store is not used. */
  warn?: (line: string) => void
  /** How long a run's lock holds the others back at most (milliseconds), when its holder is not seen to die. */
  leaseMs?: number
}

/** Tokens in files under `dir`, one per store key. Synchronous: a run reads one or two small files. */
export class FileTokenStore implements TokenStore {
  readonly dir: string
  readonly #now: () => number
  readonly #warn: (line: string) => void
  /** Set once the directory was found untrustworthy: the store then holds nothing and keeps nothing. */
  #refused = false
  /** One fetch for concurrent runs with one configuration: an exclusive lock file per key (file-lease.ts). */
  readonly lease: TokenLease
  readonly #leaseMs: number

  constructor(dir: string, options: FileTokenStoreOptions = {}) {
    this.dir = dir
    this.#now = options.now ?? Date.now
    this.#warn = options.warn ?? (() => {})
    const lockOf = (key: string): string => join(this.dir, `${LOCK_PREFIX}${createHash('sha256').update(key).digest('hex')}`)
    this.#leaseMs = options.leaseMs ?? DEFAULT_FILE_LEASE_MS
    this.lease = fileLease(lockOf, () => this.#trustedDir(true), this.#leaseMs)
  }

  /**
   * The token stored under `key`. A miss when the directory or the file could have been written by someone else,
   * or the file is broken, expired or claims an impossible life. Nothing is removed: `set` overwrites the file, and a
   * removal here could take a fresh token another run has just renamed into place.
   */
  get(key: string): StoredToken | undefined {
    if (!this.#trustedDir(false)) return undefined
    const text = readOwnFile(join(this.dir, this.fileNameOf(key)))
    return text === undefined ? undefined : parseTokenFile(text, this.#now())
  }

  /**
   * The name of the file `key`'s token is kept in (no directory): `token-` and the SHA-256 of the key, so that
   * neither the key nor anything in it shows in a file name.
   */
  fileNameOf(key: string): string {
    return `${PREFIX}${createHash('sha256').update(key).digest('hex')}${SUFFIX}`
  }

  /** Writes the token atomically (temporary file 0600, then rename), making the directory (0700) if need be. */
  set(key: string, token: StoredToken): void {
    if (!this.#trustedDir(true)) return
    writeFileAtomically(join(this.dir, this.fileNameOf(key)), `${JSON.stringify(token)}\n`, 0o600)
  }

  delete(key: string): void {
    if (!this.#trustedDir(false)) return
    rmSync(join(this.dir, this.fileNameOf(key)), { force: true })
  }

  /** Removes every token (and left-over temporary files), as {@link removeAll} does. */
  clear(): void {
    this.removeAll()
  }

  /**
   * Removes every token, the run cache's notes (run-cache.cts), temporary files old enough to be left-overs (a
   * younger one is another run's write in progress) and locks nobody holds any more (a live run's lock stays). Returns how many tokens were removed. A
   * directory that cannot be trusted is left alone.
   */
  removeAll(): number {
    if (!this.#trustedDir(false)) return 0
    let names: string[]
    try {
      names = readdirSync(this.dir)
    } catch {
      return 0
    }
    let removed = 0
    for (const name of names) {
      if (name.startsWith(LOCK_PREFIX) && isStaleLock(join(this.dir, name), this.#leaseMs)) rmSync(join(this.dir, name), { force: true })
      const token = name.startsWith(PREFIX)
      if (!token && !name.startsWith(RUN_PREFIX)) continue
      const file = join(this.dir, name)
      if (name.endsWith(TEMP_SUFFIX)) {
        let mtimeMs: number
        try {
          mtimeMs = lstatSync(file).mtimeMs
        } catch {
          continue // renamed or removed meanwhile
        }
        if (Date.now() - mtimeMs < TEMP_FILE_GRACE_MS) continue
      }
      rmSync(file, { force: true })
      if (token && name.endsWith(SUFFIX)) removed++
    }
    return removed
  }

  /**
   * Whether the directory is ours alone: a real directory (not a symlink), owned by this user, no group or other
   * permissions. Ours with loose permissions is tightened; missing is made (0700) when `create`, else a plain miss.
   * Anything else is refused for the rest of this store's life, with one warning.
   */
  #trustedDir(create: boolean): boolean {
    if (this.#refused) return false
    let stats: Stats
    try {
      stats = lstatSync(this.dir)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      if (!create) return false
      try {
        makeDirs(this.dir)
        stats = lstatSync(this.dir)
      } catch (made) {
        this.#refused = true
        this.#warn(
          `Warning: not using the token cache: ${this.dir} cannot be made (${(made as NodeJS.ErrnoException).code ?? 'error'}). ` +
            `Set XDG_CACHE_HOME to a directory of your own.\n`,
        )
        return false
      }
    }
    let problem: string | undefined
    if (stats.isSymbolicLink()) problem = 'a symbolic link'
    else if (!stats.isDirectory()) problem = 'not a directory'
    else {
      const uid = myUid()
      if (uid !== undefined && stats.uid !== uid) problem = `owned by another user (uid ${stats.uid})`
    }
    if (problem !== undefined) {
      this.#refused = true
      this.#warn(
        `Warning: not using the token cache: ${this.dir} is ${problem}, so anyone could plant a token there. ` +
          `Remove it, or set XDG_CACHE_HOME to a directory of your own.\n`,
      )
      return false
    }
    // Ours, but open to others (made by an older version, or by hand): tightened.
    if (process.platform !== 'win32' && (stats.mode & 0o077) !== 0) chmodSync(this.dir, 0o700)
    return true
  }

}
