/**
 * The keys a request's tokens are cached under. One function, so that the CLI can answer a cache hit from its file
 * store before loading the client, and find exactly what the client stored.
 */
import type { ResolvedConfig } from '../config/config.js'
import { partyKey } from '../config/fodselsnummer.js'
import type { GrantParams } from '../signing/grant.js'

/** A request's Maskinporten token key and the key of the Altinn token made from it. */
export interface CacheKeys {
  key: string
  altinnKey: string
}

/**
 * The cache keys of a request. The scope set counts, not the string ("a b" and "b a" are one token); everything
 * that changes the Maskinporten token changes the Altinn token made from it. Keys are shown in events and name
 * cache files, so a consent is its id and a hash of who gave it, never a person's number.
 */
export function cacheKeysFor(config: Pick<ResolvedConfig, 'issuer' | 'clientId' | 'exchangeUrl'>, params: GrantParams): CacheKeys {
  const scopeSet = params.scope.split(' ').sort().join(' ')
  const request = [config.issuer, config.clientId, scopeSet, params.orgNummer ?? null, params.externalRef ?? null, params.resource ?? null, params.consumerOrg ?? null]
  if (params.consent !== undefined) request.push(`consent:${params.consent.id}:${partyKey(params.consent.from)}`)
  return { key: JSON.stringify(['maskinporten', ...request]), altinnKey: JSON.stringify(['altinn', config.exchangeUrl, ...request]) }
}
