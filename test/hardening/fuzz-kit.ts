// What the fuzz suites share: the property (every failure a MaskinportenError with a known code, no secret fragment
// in any face of it), the boxing that lets fast-check print a hostile value without running its traps, and fetches
// that echo what they were sent.
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import fc from 'fast-check'
import { isMaskinportenError, type MaskinportenErrorCode } from '../../src/errors/errors.js'

export const SEED = Number(process.env.FUZZ_SEED ?? 20261201)
export const RUNS = Number(process.env.FUZZ_RUNS ?? 2400)

export const CODES: ReadonlySet<MaskinportenErrorCode> = new Set([
  'invalid_config',
  'jwt_sign_failed',
  'maskinporten_error',
  'maskinporten_request_failed',
  'altinn_exchange_error',
  'altinn_exchange_failed',
  'invalid_token',
  'client_closed',
])

/** Distinctive pieces of a PEM block's body: its second, middle and second-to-last lines. */
export function pemFragments(pem: string): string[] {
  const body = pem.split('\n').filter((l) => l && !l.startsWith('-----'))
  return [body[1]!, body[Math.floor(body.length / 2)]!, body[body.length - 2]!]
}

/**
 * Hostile values built from secrets: each fragment alone, padded, inside a longer text, and with white space around.
 * A library may not know that a value is key text, but it knows the secrets of the config in play: none of these
 * may be quoted back, whatever field they land in.
 */
export function fromFragments(fragments: readonly string[]): unknown[] {
  return fragments.flatMap((f) => [f, `x${f}`, `${f}-1`, ` ${f}`, `https://x/${f}`, `310702641${f}`, [f], { kid: f }])
}

/** Stands for a Proxy whose every trap throws with `text` (made fresh per run: fast-check probes its values). */
export const PROXY = Symbol('a throwing proxy')
export function throwingProxy(text: string): object {
  const trap = (): never => {
    throw new Error(text)
  }
  return new Proxy({}, { get: trap, has: trap, ownKeys: trap, getPrototypeOf: trap, getOwnPropertyDescriptor: trap })
}

/** A hostile value in a box that fast-check can print without running the value's own traps or printing a key. */
export interface Boxed {
  v: unknown
}

/** A label for a value that never prints a secret (long strings and anything holding a fragment only by length). */
export function safeLabel(v: unknown, fragments: readonly string[]): string {
  try {
    if (typeof v === 'string') return v.length > 40 || fragments.some((f) => v.includes(f.slice(0, 16))) || v.includes('BEGIN') ? `string(${v.length})` : JSON.stringify(v)
    if (typeof v === 'bigint') return `${v}n`
    if (typeof v === 'symbol' || typeof v === 'function') return typeof v
    if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v)
    return Array.isArray(v) ? `array(${v.length})` : 'object'
  } catch {
    return 'object'
  }
}

export function boxing(values: fc.Arbitrary<unknown>, fragments: readonly string[], proxyText: string): fc.Arbitrary<Boxed> {
  return values.map((v) => ({ v: v === PROXY ? throwingProxy(proxyText) : v, [fc.toStringMethod]: () => (v === PROXY ? 'proxy' : safeLabel(v, fragments)) }))
}

/** A fetch that fails every request and, like a careless proxy, echoes the request in its error. */
export const echoingFetch: typeof globalThis.fetch = async (input, init) => {
  const headers = JSON.stringify(init?.headers ?? {})
  throw new TypeError(`fetch failed for ${String(input)}`, {
    cause: Object.assign(new Error(`socket closed after ${headers} ${String(init?.body ?? '')}`), { code: 'ECONNRESET' }),
  })
}

/** A server that refuses every grant (not retried) and echoes the request in its description. */
export const refusingFetch: typeof globalThis.fetch = async (_input, init) =>
  Response.json({ error: 'invalid_grant', error_description: `Bad request ${JSON.stringify(init?.headers ?? {})} ${String(init?.body ?? '')}` }, { status: 400 })

/** Every face of an error a user could print. */
export function faces(err: Error): string[] {
  const out = [err.message, err.stack ?? '', JSON.stringify(err), inspect(err, { depth: 8, showHidden: true })]
  for (let c: unknown = err.cause, depth = 0; c !== undefined && depth < 6; depth++) {
    out.push(inspect(c, { depth: 4, showHidden: true }))
    if (c instanceof Error) out.push(c.message, c.stack ?? '')
    c = c instanceof Error ? c.cause : undefined
  }
  return out
}

export type Target = [name: string, call: (v: unknown) => unknown, pure?: boolean]

/** What the runs saw: errors by code, time by target. */
export interface FuzzTally {
  errors: number
  codes: Map<string, number>
  slow: Map<string, number>
}

/** The property over `targets` × `values`: every failure a known MaskinportenError that leaks no fragment. */
export async function fuzz(targets: readonly Target[], values: fc.Arbitrary<Boxed>, fragments: readonly string[], runs: number): Promise<FuzzTally> {
  const tally: FuzzTally = { errors: 0, codes: new Map(), slow: new Map() }
  if (process.env.FUZZ_PROFILE) process.on('exit', () => console.log([...tally.slow].sort((a, b) => b[1] - a[1]).slice(0, 8)))
  // FUZZ_COLLECT=1 runs on past failures and prints each kind once, to see all that is wrong at a time.
  const collected = new Map<string, number>()
  if (process.env.FUZZ_COLLECT) process.on('exit', () => console.log([...collected].map(([k, n]) => `${n}× ${k}`).join('\n')))
  const check = async (target: Target, value: unknown): Promise<void> => {
    if (!process.env.FUZZ_COLLECT) return property(target, value)
    try {
      await property(target, value)
    } catch (err) {
      const key = `${target[0]}: ${(err as Error).message.slice(0, 300)}`
      collected.set(key, (collected.get(key) ?? 0) + 1)
    }
  }
  const property = async ([name, call, pure]: Target, value: unknown): Promise<void> => {
      const started = performance.now()
      let outcome: unknown
      let threw = false
      try {
        outcome = await call(value)
      } catch (err) {
        threw = true
        outcome = err
      }
      tally.slow.set(name, (tally.slow.get(name) ?? 0) + performance.now() - started)
      if (!threw) {
        // Only a pure helper may take a value (an org number check, a JWT that decodes, a string that is a scope).
        assert.ok(pure, `${name} accepted ${safeLabel(value, fragments)} and went on without error`)
        return
      }
      assert.ok(isMaskinportenError(outcome), `${name} given ${safeLabel(value, fragments)}: not a MaskinportenError: ${outcome instanceof Error ? `${outcome.name}: ${outcome.message.slice(0, 120)}` : typeof outcome}`)
      assert.ok(CODES.has(outcome.code), `${name}: unknown code ${outcome.code}`)
      for (const text of faces(outcome)) {
        for (const fragment of fragments) assert.ok(!text.includes(fragment), `${name} given ${safeLabel(value, fragments)}: a secret fragment leaked into: ${text.slice(0, 160).split(fragment).join('[FRAGMENT]')}`)
      }
      assert.ok(outcome.message.length < 2000, `${name}: a ${outcome.message.length}-character message`)
      tally.errors++
      tally.codes.set(outcome.code, (tally.codes.get(outcome.code) ?? 0) + 1)
  }
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...targets), values, (target, { v }) => check(target, v)),
    { seed: SEED, numRuns: runs, endOnFailure: true, includeErrorInReport: true },
  )
  return tally
}
