/**
 * {@link Targets}: a client's requests (`GetTokenOptions`) checked and normalised once each, into grant parameters
 * and cache keys, remembered so that a repeated request costs two map lookups. Apart from client.ts because it is
 * the checking and memo of one input, while the client is what is done with it.
 */
import { requestFields } from '../config/arguments.js'
import { defaultScopes } from '../config/scopes.js'
import { partyKey } from '../config/fodselsnummer.js'
import { grantParams, type GrantParams } from '../signing/grant.js'
import type { Fetcher } from './cache-types.js'
import type { GetTokenOptions } from './options.js'

/** A normalised request: its grant parameters and its cache keys (Maskinporten's and Altinn's). */
export interface Target {
  params: GrantParams
  key: string
  altinnKey: string
  /** Made once, so that a cache hit allocates no closure. */
  fetchToken: Fetcher
  fetchAltinn: Fetcher
}

/**
 * True when a request asks to skip the cache; its options were checked by {@link Targets.get} already.
 *
 * @example
 * ```ts
 * forced({ forceRefresh: true }) // true
 * ```
 */
export function forced(options: GetTokenOptions | undefined): boolean {
  return options !== undefined && options !== null && options.forceRefresh === true
}

/**
 * The scope set a cache key (see `cacheKeysFor`) is for: its fourth member, or fifth for an Altinn key; undefined
 * for anything else.
 *
 * @example
 * ```ts
 * const cache = new TokenCache({ ...options, scopeOf: scopeOfKey }) // a store's answer is checked against it
 * ```
 */
export function scopeOfKey(key: string): string | undefined {
  try {
    const parts: unknown = JSON.parse(key)
    if (!Array.isArray(parts)) return undefined
    const scope: unknown = parts[0] === 'altinn' ? parts[4] : parts[3]
    return typeof scope === 'string' ? scope : undefined
  } catch {
    return undefined
  }
}

/** Distinct raw requests remembered with their normalised form; beyond this the memo starts over. */
const MAX_TARGETS = 1024

/**
 * The memo of one client's requests: each distinct input checked and made into a {@link Target} (by `make`, which
 * the client gives, as a target's fetchers are the client's) once; at most 1024 remembered, then it starts over.
 *
 * @example
 * ```ts
 * const targets = new Targets((params) => ({ params, ...cacheKeysFor(config, params), fetchToken, fetchAltinn }))
 * const { key } = targets.get({ scope: 'altinn:instances.read', orgNummer: '310702641' })
 * ```
 */
export class Targets {
  readonly #make: (params: GrantParams) => Target
  readonly #targets = new Map<string, Target>()
  readonly #simpleTargets = new Map<string | undefined, Map<string | undefined, Target>>()

  constructor(make: (params: GrantParams) => Target) {
    this.#make = make
  }

  /**
   * Normalises and checks a request once per distinct input; invalid input throws and is never memoised. The
   * common call (a scope string and an org) is found through two map lookups, without serialising anything.
   */
  get(options: GetTokenOptions | undefined): Target {
    let scope: unknown, orgNummer: unknown, externalRef: unknown, resource: unknown, consumerOrg: unknown, consent: unknown, force: unknown
    if (options !== undefined && options !== null && typeof options === 'object' && !Array.isArray(options)) {
      try {
        ;({ scope, orgNummer, externalRef, resource, consumerOrg, consent, forceRefresh: force } = options)
      } catch {
        requestFields(options, 'options') // a getter that throws: the error names it
      }
    }
    const simple =
      (options === undefined || (options !== null && typeof options === 'object')) &&
      (scope === undefined || typeof scope === 'string') &&
      (orgNummer === undefined || typeof orgNummer === 'string') &&
      externalRef === undefined && resource === undefined && consumerOrg === undefined && consent === undefined &&
      (force === undefined || typeof force === 'boolean')
    if (simple) {
      const hit = this.#simpleTargets.get(scope as string | undefined)?.get(orgNummer as string | undefined)
      if (hit !== undefined) return hit
    }
    // Every field of the right type (or invalid_config) before anything is serialised or iterated. In memory only;
    // a consent's `from` is hashed here too, so no map key holds a person's number.
    const req = requestFields(options, 'options')
    const raw = JSON.stringify([req.scope, req.orgNummer, req.externalRef, req.resource, req.consumerOrg, consentKey(req.consent)])
    let target = this.#targets.get(raw)
    if (target === undefined) {
      if (this.#targets.size >= MAX_TARGETS) {
        this.#targets.clear()
        this.#simpleTargets.clear()
      }
      const { orgNummer: org, externalRef: ref, resource: res, consumerOrg: consumer, consent: given } = req
      target = this.#make(
        grantParams(req.scope ?? defaultScopes(), { orgNummer: org, externalRef: ref, resource: res, consumerOrg: consumer, ...(given === undefined ? {} : { consent: given }) }),
      )
      this.#targets.set(raw, target)
    }
    if (simple) {
      let byOrg = this.#simpleTargets.get(req.scope as string | undefined)
      if (byOrg === undefined) this.#simpleTargets.set(req.scope as string | undefined, (byOrg = new Map()))
      byOrg.set(req.orgNummer, target)
    }
    return target
  }
}

/** A consent as a memo key: its id and a hash of `from` (never the number itself); anything else by its type. */
function consentKey(consent: unknown): unknown {
  if (consent === undefined) return null
  if (consent === null || typeof consent !== 'object') return ['not-an-object', typeof consent]
  const { id, from } = consent as Record<string, unknown>
  return [typeof id === 'string' ? id : typeof id, typeof from === 'string' ? partyKey(from) : `not-a-string:${typeof from}`]
}
