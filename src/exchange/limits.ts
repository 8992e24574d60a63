/**
 * What a token may look like and how long it may live, wherever one crosses into the library: a server's answer, a
 * store's answer, a file. One set of bounds, so that what is refused from a server is refused from a store too.
 * Why each bound is where it is, with sources: docs/limits.md.
 *
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_token (tokens are JWTs, minutes long)
 * @see https://docs.altinn.studio/authentication/reference/architecture/accesstoken/ (Altinn tokens: 30 minutes)
 */

/** No token either service issues lives longer than this: a day, in milliseconds. A longer claim is a bad answer. */
export const MAX_TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000

/** The longest token taken (characters). Real ones are one to a few KB; the cap leaves room for rich claims. */
export const MAX_TOKEN_CHARS = 64 * 1024

/** The most a learned clock offset may be (milliseconds): a server claiming more is wrong, not we. */
export const MAX_CLOCK_OFFSET_MS = 10 * 60 * 1000

/** Most bytes read of any answer, counted after decompression. A token answer is a few KB. */
export const MAX_RESPONSE_BYTES = 1024 * 1024

/**
 * RFC 6750's `b64token`: the characters a bearer token may have in an `Authorization` header. A JWT (base64url
 * parts and dots) is one; so is an opaque token. No white space, no control character, nothing to break a header.
 */
const BEARER_SAFE = /^[A-Za-z0-9\-._~+/]+=*$/

/** Three base64url parts: a compact JWS, what Altinn's exchange issues. */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/**
 * True for text that can be handed out as a bearer token: header-safe characters only (RFC 6750 `b64token`), at
 * most {@link MAX_TOKEN_CHARS}. Nothing is decoded: a Maskinporten token may be opaque.
 *
 * @example
 * ```ts
 * isTokenText('eyJ...a.b') // true
 * isTokenText('a\nb')     // false
 * ```
 */
export function isTokenText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TOKEN_CHARS && BEARER_SAFE.test(value)
}

/**
 * {@link isTokenText}, and JWT-shaped (three base64url parts), as an Altinn token is.
 *
 * @example
 * ```ts
 * isJwtText('eyJhbGciOiJSUzI1NiJ9.e30.c2ln') // true
 * isJwtText('opaque-token')                  // false
 * ```
 */
export function isJwtText(value: unknown): value is string {
  return isTokenText(value) && JWT_SHAPE.test(value)
}
