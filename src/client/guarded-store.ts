/**
 * {@link GuardedStore}: the token cache's calls to a user's {@link TokenStore}, each bounded in time, its answer
 * checked, its failure reported as a `store-error` event and never thrown. Apart from cache.ts because a store is
 * an edge (someone else's code, maybe across a network) while the single flight there is this process's own logic.
 */
import type { TokenCacheOptions } from './cache-types.js'
import { DEFAULT_STORE_TIMEOUT_MS } from './cache-types.js'
import type { ClientEvent } from './options.js'
import { isThenable, storedTokenProblem, type StoredToken } from './store.js'

/** What a bounded store call resolves to when the store failed, answered too late, or not at all. */
const NO_ANSWER: unique symbol = Symbol('no answer')

/** Store operations, as events name them. */
type StoreOperation = Extract<ClientEvent, { type: 'store-error' }>['operation']
type StoreProblem = NonNullable<Extract<ClientEvent, { type: 'store-error' }>['reason']>

/**
 * A {@link TokenStore} as the token cache uses it: reads checked ({@link storedTokenProblem}) and trusted once,
 * writes and deletes bounded by `storeTimeoutMs`, the writes of each key still landing remembered (so that a clear
 * or a forget waits for them), and with a store that cannot clear itself, the keys written.
 *
 * @example
 * ```ts
 * const store = new GuardedStore({ store: new MemoryTokenStore(), now: Date.now, emit: undefined, storeTimeoutMs: 1000 })
 * store.write(key, entry)
 * const hit = store.read(key) // StoredToken | undefined, or a promise of one for an async store; never rejects
 * ```
 */
export class GuardedStore {
  readonly #o: Pick<TokenCacheOptions, 'store' | 'now' | 'emit' | 'storeTimeoutMs' | 'scopeOf'>
  readonly #written = new Set<string>()
  /** Per key, every async store write not landed yet (one promise for all of them); never rejects. */
  readonly #landing = new Map<string, Promise<void>>()
  /**
   * Entries known good for a key: fetched here, or a store answer already checked. A synchronous store hands back
   * the same object, so a hit is checked once, not on every call.
   */
  readonly #trusted = new WeakMap<object, string>()
  readonly #storeTimeoutMs: number

  constructor(options: Pick<TokenCacheOptions, 'store' | 'now' | 'emit' | 'storeTimeoutMs' | 'scopeOf'>) {
    this.#o = options
    this.#storeTimeoutMs = options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS
  }

  /** Longest wait (milliseconds) for one store call: `storeTimeoutMs`, default {@link DEFAULT_STORE_TIMEOUT_MS}. */
  get timeoutMs(): number {
    return this.#storeTimeoutMs
  }

  /** The async writes of `key` not landed yet (one promise, never rejects), or undefined when none is pending. */
  landing(key: string): Promise<void> | undefined {
    return this.#landing.get(key)
  }

  /**
   * Forgets every token: the whole store if it can, else the keys written through it. Writes already on their way
   * land first, so that none of them brings a token back afterwards. Never rejects.
   */
  async clear(): Promise<void> {
    if (this.#landing.size !== 0) await Promise.all(this.#landing.values())
    const keys = [...this.#written]
    this.#written.clear()
    const { store } = this.#o
    if (store.clear) await this.#call('*', 'clear', () => store.clear!())
    else await Promise.all(keys.map((key) => this.#call(key, 'delete', () => store.delete(key))))
  }

  /** Deletes `key` from the store: bounded, never rejects; undefined for a synchronous store. */
  delete(key: string): Promise<void> | undefined {
    return this.#call(key, 'delete', () => this.#o.store.delete(key))
  }

  /**
   * The stored token, checked ({@link storedTokenProblem}); a synchronous store's answer is passed on as is, so a
   * hit needs no promise. A store that throws, rejects, answers late or answers garbage is a miss and an event.
   */
  read(key: string): StoredToken | undefined | Promise<StoredToken | undefined> {
    let got: unknown
    try {
      got = this.#o.store.get(key)
    } catch {
      return this.failed(key, 'get', 'failed')
    }
    if (!isThenable(got)) return this.#checked(key, got)
    return this.#bounded(key, 'get', got).then((answer) => (answer === NO_ANSWER ? undefined : this.#checked(key, answer)))
  }

  /** A store's answer if it is a token for `key`, else undefined (a miss; garbage is reported). */
  #checked(key: string, answer: unknown): StoredToken | undefined {
    if (answer === undefined || answer === null) return undefined // node-redis and others say null for a miss
    if (typeof answer === 'object' && this.#trusted.get(answer) === key) return answer as StoredToken
    const problem = storedTokenProblem(answer, this.#o.now(), this.#o.scopeOf?.(key))
    if (problem !== undefined) return this.failed(key, 'get', 'invalid')
    this.#trusted.set(answer as object, key)
    return answer as StoredToken
  }

  /** Reports a store call that went wrong (the `store-error` event); undefined, so that a read can return it as a miss. */
  failed(key: string, operation: StoreOperation, reason: StoreProblem): undefined {
    this.#o.emit?.({ type: 'store-error', key, operation, reason })
    return undefined
  }

  /**
   * A store's promise, bounded: its value, or {@link NO_ANSWER} when it rejects or has not answered within the
   * store timeout (reported either way). Never rejects. Its timer keeps the process alive only while it runs, as
   * a caller waits on it.
   */
  #bounded<T>(key: string, operation: StoreOperation, pending: PromiseLike<T>): Promise<T | typeof NO_ANSWER> {
    return new Promise((resolve) => {
      let done = false
      const finish = (value: T | typeof NO_ANSWER, reason?: StoreProblem): void => {
        if (done) return
        done = true
        clearTimeout(timer)
        if (reason !== undefined) this.failed(key, operation, reason)
        resolve(value)
      }
      const timer = setTimeout(() => finish(NO_ANSWER, 'timeout'), this.#storeTimeoutMs)
      try {
        pending.then(
          (value) => finish(value),
          () => finish(NO_ANSWER, 'failed'),
        )
      } catch {
        finish(NO_ANSWER, 'failed') // a thenable whose then() throws
      }
    })
  }

  /** One store call whose answer does not matter (`set`, `delete`, `clear`): bounded, never rejects. */
  #call(key: string, operation: StoreOperation, call: () => unknown): Promise<void> | undefined {
    let done: unknown
    try {
      done = call()
    } catch {
      this.failed(key, operation, 'failed')
      return undefined
    }
    return isThenable(done) ? this.#bounded(key, operation, done).then(() => {}) : undefined
  }

  /** Stores `entry`; for an async store, a promise of its landing (or failing, or timing out), which never rejects. */
  write(key: string, entry: StoredToken): Promise<void> | undefined {
    this.#trusted.set(entry, key)
    const ttlMs = Math.max(1, entry.expiresAt - this.#o.now())
    const landed = this.#call(key, 'set', () => this.#o.store.set(key, entry, ttlMs))
    // Only a store that cannot clear itself needs its keys remembered, for clear().
    if (!this.#o.store.clear) this.#written.add(key)
    if (landed === undefined) return undefined
    const before = this.#landing.get(key)
    const all = before === undefined ? landed : Promise.all([before, landed]).then(() => {})
    this.#landing.set(key, all)
    void all.then(() => {
      if (this.#landing.get(key) === all) this.#landing.delete(key)
    })
    return landed
  }
}
