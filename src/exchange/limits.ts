/**
 * What a token may look like and how long it may live, wherever one crosses into the library: a server's answer, a
 * store's answer, a file. One set of bounds, so that what is refused from a server is refused from a store too.
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

/** Three base64url parts: a compact JWS, the only shape either service issues, and safe in any header. */
const JWT_SAFE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/**
 * True for text that can be handed out as a token: a JWT-shaped string (three base64url parts, no white space, no
 * control character) of at most {@link MAX_TOKEN_CHARS}. Nothing is decoded.
 */
export function isTokenText(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_TOKEN_CHARS && JWT_SAFE.test(value)
}
