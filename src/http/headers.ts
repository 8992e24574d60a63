/**
 * An answer's headers as the rest of the package reads them: by name, case-insensitively. The default sender fills
 * it from the socket's raw header list; a caller's `fetch` gives a `Headers`, which already is one.
 */

/**
 * The headers of an answer, read-only. `get` is case-insensitive and joins several values of one header with
 * `", "`, as `Headers.get` does (`set-cookie` included: nothing here reads cookies).
 *
 * @example
 * ```ts
 * const type = res.headers.get('Content-Type') // 'application/json' or null
 * ```
 */
export interface ResponseHeaders {
  /** The header's value, or null when the answer had none. */
  get(name: string): string | null
  /** Every header as `[lower-case name, value]`, several values of one name joined. */
  entries(): Iterable<[string, string]>
}

/** Headers read from `IncomingMessage.rawHeaders` (`[name, value, name, value, ...]`). */
class RawHeaders implements ResponseHeaders {
  readonly #values = new Map<string, string>()

  constructor(raw: readonly string[]) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase()
      const value = raw[i + 1]!.trim()
      const before = this.#values.get(name)
      this.#values.set(name, before === undefined ? value : `${before}, ${value}`)
    }
  }

  get(name: string): string | null {
    return this.#values.get(name.toLowerCase()) ?? null
  }

  entries(): Iterable<[string, string]> {
    return this.#values.entries()
  }
}

/**
 * Headers from Node's raw list (`IncomingMessage.rawHeaders`): names case-insensitive, repeated ones joined.
 *
 * @example
 * ```ts
 * rawResponseHeaders(['Retry-After', '5', 'Vary', 'a', 'vary', 'b']).get('vary') // 'a, b'
 * ```
 */
export function rawResponseHeaders(raw: readonly string[]): ResponseHeaders {
  return new RawHeaders(raw)
}

/**
 * True for a WHATWG `Headers`, told by its tag: `instanceof Headers` would load Node's fetch implementation only to
 * answer no.
 *
 * @example
 * ```ts
 * const headers = isFetchHeaders(res.headers) ? res.headers : new Headers([...res.headers.entries()])
 * ```
 */
export function isFetchHeaders(headers: ResponseHeaders): headers is Headers {
  return Object.prototype.toString.call(headers) === '[object Headers]'
}
