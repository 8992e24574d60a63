/**
 * The face a cached token shows: a plain `accessToken` property for code, a masked one for logs.
 */
import type { StoredToken } from './store.js'

/** How a token shows where it must not: its length and nothing of its content. */
export function maskedToken(token: string): string {
  return `[masked, ${token.length} chars]`
}

/**
 * What `MaskinportenClient.getToken` resolves to. `accessToken` is a plain enumerable property; what logs see is
 * masked: `util.inspect` / `console.log` and `JSON.stringify` (the path structured loggers such as pino take) show
 * `accessToken: '[masked, 812 chars]'`. To serialise the token on purpose, spread the result first:
 * `JSON.stringify({ ...result })`.
 *
 * @example
 * ```ts
 * const { accessToken, expiresAt } = await client.getToken({ scope: 'altinn:instances.read' })
 * await fetch(url, { headers: { authorization: `Bearer ${accessToken}` } })
 * console.log(await client.getToken()) // TokenResult { accessToken: '[masked, 812 chars]', tokenType: 'Bearer', ... }
 * ```
 */
export class TokenResult {
  /** The access token. Secret. */
  readonly accessToken: string
  /** `Bearer`. */
  readonly tokenType: string
  /** When the token expires (epoch milliseconds, by the client's clock). */
  readonly expiresAt: number
  /** Seconds the token has left at the time of the call, rounded (`expires_in` for a token just fetched). */
  readonly expiresIn: number
  /** The scopes granted, space-separated. */
  readonly scope: string

  /** @param nowMs the client's clock (epoch ms), for `expiresIn`. */
  constructor(token: StoredToken, nowMs: number) {
    this.accessToken = token.accessToken
    this.tokenType = token.tokenType
    this.expiresAt = token.expiresAt
    this.expiresIn = Math.max(0, Math.round((token.expiresAt - nowMs) / 1000))
    this.scope = token.scope
  }

  /** The result with the token masked: what `JSON.stringify` writes. */
  toJSON(): { accessToken: string; tokenType: string; expiresAt: number; expiresIn: number; scope: string } {
    const { tokenType, expiresAt, expiresIn, scope } = this
    return { accessToken: maskedToken(this.accessToken), tokenType, expiresAt, expiresIn, scope }
  }

  /** `[TokenResult Bearer altinn:instances.read, expires 2026-…Z]`, never the token. */
  toString(): string {
    return `[TokenResult ${this.tokenType} ${this.scope}, expires ${new Date(this.expiresAt).toISOString()}]`
  }

  [Symbol.for('nodejs.util.inspect.custom')](_depth: number, options: object, inspect: (v: unknown, o: object) => string): string {
    return `TokenResult ${inspect(this.toJSON(), options)}`
  }
}
