/**
 * Grants already used. Digdir: "a grant can never be used twice" (MP-012). A grant lives at most 120 s, so each
 * entry is forgotten at its grant's `exp`; memory stays bounded by {@link MAX_REMEMBERED_JTIS} whatever the load.
 */
import { MAX_REMEMBERED_JTIS } from '../unconfirmed.js'

/** The grants seen, each until its `exp`; at most `max` of them (default {@link MAX_REMEMBERED_JTIS}). */
export class ReplayMemory {
  /** key → the grant's exp (epoch seconds). Map keeps insertion order, so the oldest entries come first. */
  readonly #seen = new Map<string, number>()
  readonly #max: number

  constructor(max: number = MAX_REMEMBERED_JTIS) {
    this.#max = max
  }

  /** Records `key` until `exp`; false when it was already there (a replay). */
  use(key: string, exp: number, now: number): boolean {
    const known = this.#seen.get(key)
    if (known !== undefined && known > now) return false
    if (known !== undefined) this.#seen.delete(key)
    if (this.#seen.size >= this.#max) this.#sweep(now)
    this.#seen.set(key, exp)
    return true
  }

  /** How many grants are remembered. */
  get size(): number {
    return this.#seen.size
  }

  /**
   * Forgets expired entries; if it is still over 90 % full, the oldest (they expire soonest, grants living ≤ 120 s).
   * Freeing a tenth at a time keeps the sweep's cost off most requests under a flood.
   */
  #sweep(now: number): void {
    for (const [key, exp] of this.#seen) if (exp <= now) this.#seen.delete(key)
    const target = Math.floor(this.#max * 0.9)
    for (const key of this.#seen.keys()) {
      if (this.#seen.size <= target) break
      this.#seen.delete(key)
    }
  }
}
