/**
 * Cross-process single flight: the optional {@link TokenLease} capability of a shared {@link TokenStore}, and the
 * one loop the cache runs through it on a miss. Within a process the cache already makes one request per key; a
 * lease makes a fleet of processes sharing one store do the same: one of them fetches, the others wait for its
 * token to appear in the store.
 *
 * A lease is an optimisation, never a dependency: a store that cannot take, watch or release it (down, slow,
 * answering nonsense) makes the process fetch for itself, so a broken store costs requests, never callers.
 */
import { performance } from 'node:perf_hooks'
import { isThenable, type StoredToken, type TokenLease, type TokenLeaseHandle } from './store.js'

export type { TokenLease, TokenLeaseHandle } from './store.js'

/**
 * The longest the cache hands to one {@link TokenLease.wait}: between two it looks at the store again (a token
 * written by a process that fetched on its own, its lease call having failed) and at its own state (closed?).
 */
export const MAX_WAIT_SLICE_MS = 250

/** What {@link fetchUnderLease} needs from the cache. */
export interface LeaseRun {
  lease: TokenLease
  key: string
  /** This process's own fetch (the one every caller of the key shares). */
  fetch: () => Promise<StoredToken>
  /** Reads the store; never rejects (a failing read is a miss, reported by the cache). */
  read: () => StoredToken | undefined | Promise<StoredToken | undefined>
  /** Whether a stored token can be this flight's outcome (usable, and new enough for a refresh or a forced fetch). */
  accept: (entry: StoredToken) => boolean
  /** Stores a fetched token; resolves once it has landed or failed; never rejects. */
  write: (entry: StoredToken) => Promise<void> | undefined
  /** Reports a lease operation the store failed or did not answer in time (a `store-error` event). */
  failed: (reason: 'failed' | 'timeout' | 'invalid') => void
  /** Longest wait (milliseconds) for `acquire` or `release`, and beyond its own timeout for `wait`. */
  timeoutMs: number
  /** `performance.now()` by which waiting for another process's token ends and this one fetches for itself. */
  until: number
  /** True once the client is closed. */
  stopped: () => boolean
  /** What a closed client's callers get. */
  closed: () => Error
}

/** A flight's token, and whether it is in the store already (the cache then writes nothing). */
export interface LeaseOutcome {
  entry: StoredToken
  stored: boolean
}

/**
 * A miss in a store with a lease: take it and fetch (after one more look at the store: the token may have landed
 * between the miss and the lease), or wait for the holder's token; a free lease without a token (its holder failed
 * or died) is taken by one of the waiters. Any store failure, or waiting until `until`, ends in a fetch of our own.
 */
export async function fetchUnderLease(run: LeaseRun): Promise<LeaseOutcome> {
  const own = async (): Promise<LeaseOutcome> => ({ entry: await run.fetch(), stored: false })
  const look = async (): Promise<StoredToken | undefined> => {
    const got = run.read()
    const entry = isThenable(got) ? await got : got
    return entry !== undefined && run.accept(entry) ? entry : undefined
  }
  for (;;) {
    if (run.stopped()) throw run.closed()
    const handle = await within(run, run.timeoutMs, () => run.lease.acquire(run.key))
    if (handle === FAILED) return own()
    if (handle !== undefined && typeof (handle as Partial<TokenLeaseHandle> | null)?.release !== 'function') {
      run.failed('invalid') // not a lease handle: nobody can tell whether this process holds the lease
      return own()
    }
    if (handle !== undefined) return holding(run, handle, look)
    const leftMs = run.until - performance.now()
    if (leftMs <= 0) return own()
    const sliceMs = Math.max(1, Math.ceil(Math.min(leftMs, MAX_WAIT_SLICE_MS)))
    if ((await within(run, sliceMs + run.timeoutMs, () => run.lease.wait(run.key, sliceMs))) === FAILED) return own()
    const landed = await look()
    if (landed !== undefined) return { entry: landed, stored: true }
  }
}

/** As the holder: one more look, else fetch and store; the lease is released once the token has landed (or not). */
async function holding(run: LeaseRun, handle: TokenLeaseHandle, look: () => Promise<StoredToken | undefined>): Promise<LeaseOutcome> {
  try {
    const landed = await look()
    if (landed !== undefined) return { entry: landed, stored: true }
    const entry = await run.fetch()
    // Waiters look for the token once the lease is gone: it must be in the store by then.
    await run.write(entry)
    return { entry, stored: true }
  } finally {
    await within(run, run.timeoutMs, () => handle.release())
  }
}

/** What {@link within} gives for a store call that failed or did not answer in time (already reported). */
const FAILED: unique symbol = Symbol('failed')

/** A lease call's answer, or {@link FAILED} when it threw, rejected or took longer than `timeoutMs`. Never rejects. */
function within<T>(run: LeaseRun, timeoutMs: number, call: () => T | PromiseLike<T>): Promise<T | typeof FAILED> {
  return new Promise((resolve) => {
    let done = false
    let timer: NodeJS.Timeout | undefined
    const finish = (value: T | typeof FAILED, reason?: 'failed' | 'timeout'): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      if (reason !== undefined) run.failed(reason)
      resolve(value)
    }
    let answer: T | PromiseLike<T>
    try {
      answer = call()
    } catch {
      finish(FAILED, 'failed')
      return
    }
    if (!isThenable(answer)) {
      finish(answer)
      return
    }
    timer = setTimeout(() => finish(FAILED, 'timeout'), timeoutMs)
    try {
      answer.then(
        (value) => finish(value),
        () => finish(FAILED, 'failed'),
      )
    } catch {
      finish(FAILED, 'failed')
    }
  })
}
