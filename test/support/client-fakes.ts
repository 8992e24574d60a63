// A scripted Maskinporten + Altinn behind an injected fetch, for the client's unit tests: no sockets, no clock.
import type { StoredToken, TokenStore } from '../../src/client/store.js'
import { decodeToken } from '../../src/exchange/token.js'

/** What the fake saw of one token request. */
export interface SeenGrant {
  claims: Record<string, unknown>
  grant: string
}

/** One scripted answer: a Response, or an error to throw as fetch does when there is no answer. */
export type Step = (grant: SeenGrant | undefined) => Response | Error | Promise<Response | Error>

let serial = 0

/** An opaque Maskinporten access token (the client must never parse it). */
export function opaqueToken(): string {
  return `opaque-token-${++serial}-${'x'.repeat(40)}`
}

/** A JWT-shaped (unsigned) token with the given claims, as Altinn's exchange returns. */
export function jwtLike(claims: Record<string, unknown>): string {
  const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ ...claims, n: ++serial })}.c2lnbmF0dXJlLXNpZ25hdHVyZQ`
}

export const ok =
  (expiresIn = 119, token?: string): Step =>
  (grant) =>
    // Maskinporten grants what was asked (or refuses): the scope of the grant comes back.
    Response.json({ access_token: token ?? opaqueToken(), token_type: 'Bearer', expires_in: expiresIn, scope: grant?.claims.scope ?? 'granted' })

export const status =
  (code: number, body: Record<string, unknown> = { error: 'server_error' }, headers: Record<string, string> = {}): Step =>
  () =>
    Response.json(body, { status: code, headers })

export const networkError =
  (code = 'ECONNRESET'): Step =>
  () =>
    new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code }) })

export const garbage: Step = () => new Response('<html>proxy says hi</html>', { status: 200 })

/** An MP-130 answer whose Date header reads `serverMs`. */
export function skewed(serverMs: number, text = 'JWT is expired'): Step {
  return status(
    400,
    {
      error: 'invalid_grant',
      error_description: `Invalid assertion. Client authentication failed. ${text} (trace_id: 0123456789abcdef0123456789abcdef)`,
      error_uri: 'https://test.maskinporten.no/errors/MP-130',
    },
    { date: new Date(serverMs).toUTCString() },
  )
}

/**
 * A fetch that answers token requests from `script` (then `fallback`) and exchange requests with JWT-shaped Altinn
 * tokens living `altinnLifetimeS`. `gate`, when set, holds every answer until released.
 */
export function fakeServices(script: Step[] = [], fallback: Step = ok()) {
  const grants: SeenGrant[] = []
  const exchanges: string[] = []
  let release: (() => void) | undefined
  let gate: Promise<void> | undefined
  let altinnLifetimeS = 1800
  let altinnIatS = Math.floor(Date.now() / 1000)
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = String(input)
    if (gate) await gate
    if (init?.signal?.aborted) throw new DOMException('aborted', 'AbortError')
    if (url.includes('/exchange/')) {
      exchanges.push(url)
      return new Response(jwtLike({ iat: altinnIatS, exp: altinnIatS + altinnLifetimeS }))
    }
    const grant = new URLSearchParams(String(init?.body)).get('assertion') ?? ''
    const seen = { grant, claims: decodeToken(grant).claims }
    grants.push(seen)
    const answer = await (script.shift() ?? fallback)(seen)
    if (answer instanceof Error) throw answer
    return answer
  }
  return {
    fetch,
    grants,
    exchanges,
    script,
    /** Holds every answer until `open()`. */
    hold(): void {
      gate = new Promise((resolve) => (release = resolve))
    },
    open(): void {
      gate = undefined
      release?.()
    },
    altinn(lifetimeS: number, iatS: number): void {
      altinnLifetimeS = lifetimeS
      altinnIatS = iatS
    },
  }
}

/** A clock that moves only when told. */
export function manualClock(start = Date.UTC(2026, 0, 15, 12, 0, 0)) {
  let t = start
  return {
    now: (): number => t,
    advance(ms: number): void {
      t += ms
    },
    set(ms: number): void {
      t = ms
    },
  }
}

/** Lets pending promise callbacks and I/O callbacks run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/**
 * A TokenStore with network latency, as Redis across a network would be: `get` reads the value when it is issued
 * and answers `getMs` later; `set` lands `setMs` after it is issued, and resolves then. `sets` counts writes.
 */
export function slowStore(getMs: number, setMs: number) {
  const entries = new Map<string, StoredToken>()
  const later = <T>(ms: number, value: () => T): Promise<T> => new Promise((resolve) => setTimeout(() => resolve(value()), ms))
  const stats = { gets: 0, sets: 0 }
  const store: TokenStore = {
    get(key) {
      stats.gets++
      const value = entries.get(key)
      return later(getMs, () => value)
    },
    set(key, token) {
      stats.sets++
      return later(setMs, () => void entries.set(key, token))
    },
    delete(key) {
      return later(setMs, () => void entries.delete(key))
    },
  }
  return { store, entries, stats }
}

/** `fetch` answering `ms` later, on a real timer (a server that takes its time). */
export function slowed(fetch: typeof globalThis.fetch, ms: number): typeof globalThis.fetch {
  return async (input, init) => {
    await new Promise((resolve) => setTimeout(resolve, ms))
    return fetch(input, init)
  }
}
