/**
 * Grants already used. Digdir: "a grant can never be used twice" (MP-012). A grant lives at most 120 s, so each
 * entry is forgotten at its grant's `exp`; memory stays bounded by {@link MAX_REMEMBERED_JTIS} whatever the load.
 * When every remembered grant is still live, a new one is refused for now instead of evicting one: a forgotten,
 * unexpired grant could be used again.
 */
import { MAX_REMEMBERED_JTIS } from '../unconfirmed.js'

/** The grants seen, each until its `exp`; at most `max` of them (default {@link MAX_REMEMBERED_JTIS}). */
export class ReplayMemory {
  /** key → the grant's exp (epoch seconds). */
  readonly #seen = new Map<string, number>()
  readonly #max: number
  /** Before this (epoch seconds) no entry expires: a full memory need not be swept again until then. */
  #nextExpiry = 0

  constructor(max: number = MAX_REMEMBERED_JTIS) {
    this.#max = max
  }

  /**
   * Records `key` until `exp`. True when it is new, false when it was already there (a replay), or the seconds to
   * wait when the memory is full of live grants (nothing recorded).
   */
  use(key: string, exp: number, now: number): boolean | number {
    const known = this.#seen.get(key)
    if (known !== undefined && known > now) return false
    if (known !== undefined) this.#seen.delete(key)
    if (this.#seen.size >= this.#max) {
      // One sweep per expiry instant: under a flood of a full memory, most requests cost a comparison.
      if (now >= this.#nextExpiry) this.#sweep(now)
      if (this.#seen.size >= this.#max) return this.#nextExpiry - now
    }
    this.#seen.set(key, exp)
    return true
  }

  /** How many grants are remembered. */
  get size(): number {
    return this.#seen.size
  }

  /** Forgets expired entries and notes when the next one expires. */
  #sweep(now: number): void {
    let next = Infinity
    for (const [key, exp] of this.#seen) {
      if (exp <= now) this.#seen.delete(key)
      else if (exp < next) next = exp
    }
    this.#nextExpiry = next
  }
}
