/**
 * The file cache's lease: so that N `maskinporten token` runs started together with one configuration (a CI
 * matrix, a cron fan-out) send one request. A run that misses creates `lock-<sha256 of the key>` beside the token
 * files with `O_EXCL` (only one creation can succeed), holding its owner (pid, host, a random id) and expiry; it
 * fetches, writes the token, and removes the lock if it is still its own. The others wait until the lock is gone,
 * then read the token.
 *
 * A lock whose holder is dead (its pid no longer runs on this host: killed with SIGKILL, say) or whose expiry has
 * passed (a holder on another host sharing the directory) is stale: a waiter takes it over at once, moving it
 * aside first (rename is atomic, so two runs cannot both take it), so a killed run never blocks the next one.
 */
import { randomBytes } from 'node:crypto'
import { closeSync, constants, fstatSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs'
import { hostname } from 'node:os'
import type { TokenLease, TokenLeaseHandle } from '../client/lease.js'

/** A lock file is some 100 bytes; a larger one is not ours. */
const MAX_LOCK_BYTES = 1024

/** How often a waiting run looks at the lock (milliseconds). */
const POLL_MS = 25

/** What a lock file holds. */
interface LockOwner {
  pid: number
  host: string
  id: string
  /** Epoch ms after which the lock is stale whoever holds it. */
  expiresAt: number
}

/** What a lock file says, or `garbage` with its age for a lock that is not one (half written, foreign). */
type LockState = { owner: LockOwner } | { garbage: true; mtimeMs: number } | undefined

/** The lock as read (no following symlinks; only a small regular file), or undefined when there is none. */
function readLock(file: string): LockState {
  let fd: number
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    return { garbage: true, mtimeMs: 0 }
  }
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile() || stats.size > MAX_LOCK_BYTES) return { garbage: true, mtimeMs: stats.mtimeMs }
    try {
      const v = JSON.parse(readFileSync(fd, 'utf8')) as Partial<LockOwner>
      if (Number.isSafeInteger(v.pid) && typeof v.host === 'string' && typeof v.id === 'string' && Number.isFinite(v.expiresAt)) {
        return { owner: v as LockOwner }
      }
    } catch {
      // Half written by a run killed between create and write, or not ours: judged by its age.
    }
    return { garbage: true, mtimeMs: stats.mtimeMs }
  } finally {
    closeSync(fd)
  }
}

/** True when the process named by a lock on this host no longer runs. */
function holderDead(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false
  try {
    process.kill(owner.pid, 0)
    return false
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH'
  }
}

/** True when nobody holds the lock any more (no file, a dead holder, or past its expiry). */
function stale(state: LockState, now: number, leaseMs: number): boolean {
  if (state === undefined) return true
  if ('garbage' in state) return now - state.mtimeMs > leaseMs
  return state.owner.expiresAt <= now || holderDead(state.owner)
}

/** Lock files are named `lock-<sha256>`; a stale one moved aside during a take-over ends in `.stale`. */
export const LOCK_PREFIX = 'lock-'

/** True for a lock file nobody holds any more (dead holder, expired, or an old left-over), which `logout` removes. */
export function isStaleLock(file: string, leaseMs: number, now: number = Date.now()): boolean {
  if (file.endsWith('.stale')) return true
  const state = readLock(file)
  return state !== undefined && stale(state, now, leaseMs)
}

/** The lease of a file cache directory; `usable` says whether the directory may be used (made if need be). */
export function fileLease(fileOf: (key: string) => string, usable: () => boolean, leaseMs: number, now: () => number = Date.now): TokenLease {
  /** Without a usable directory every run is on its own: a handle that releases nothing. */
  const alone: TokenLeaseHandle = { release: () => {} }

  const create = (file: string): LockOwner | undefined => {
    const owner: LockOwner = { pid: process.pid, host: hostname(), id: randomBytes(12).toString('hex'), expiresAt: now() + leaseMs }
    let fd: number
    try {
      fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined
      throw err
    }
    try {
      writeSync(fd, JSON.stringify(owner))
    } finally {
      closeSync(fd)
    }
    return owner
  }

  /** Moves a stale lock aside; true when the one moved was that stale lock (else it is put back if possible). */
  const takeOver = (file: string, seen: LockState): boolean => {
    const aside = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.stale`
    try {
      renameSync(file, aside)
    } catch {
      return false // gone meanwhile, or another run moved it first
    }
    const moved = readLock(aside)
    const same = JSON.stringify(moved) === JSON.stringify(seen) || stale(moved, now(), leaseMs)
    if (same) rmSync(aside, { force: true })
    else {
      try {
        renameSync(aside, file) // a fresh lock taken by mistake goes back (at worst, one extra request)
      } catch {
        rmSync(aside, { force: true })
      }
    }
    return same
  }

  return {
    acquire(key) {
      if (!usable()) return alone
      const file = fileOf(key)
      for (let attempt = 0; attempt < 3; attempt++) {
        const owner = create(file)
        if (owner !== undefined) {
          return {
            release: () => {
              const state = readLock(file)
              if (state !== undefined && 'owner' in state && state.owner.id === owner.id) rmSync(file, { force: true })
            },
          }
        }
        const state = readLock(file)
        if (!stale(state, now(), leaseMs)) return undefined
        if (state !== undefined) takeOver(file, state)
      }
      return undefined
    },
    async wait(key, timeoutMs) {
      const file = fileOf(key)
      const until = Date.now() + timeoutMs
      while (Date.now() < until && !stale(readLock(file), now(), leaseMs)) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, Math.max(1, until - Date.now()))))
      }
    },
  }
}
