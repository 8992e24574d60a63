/**
 * Digdir's environments and the URLs worked out from them. Kept apart from the config checks: these are facts about
 * Digdir's and Altinn's services, which the emulator and the CLI use as well, not rules about a caller's config.
 *
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_func_wellknown
 */

/** Digdir's two Maskinporten environments. `test` pairs with Altinn's tt02. */
export type MaskinportenEnv = 'test' | 'prod'

/** Where an environment's services are. */
export interface Environment {
  /** Maskinporten's issuer; the grant's `aud` is exactly this string, trailing slash included. */
  issuer: string
  /** Altinn 3 platform base URL. */
  altinnUrl: string
}

/** The issuers and Altinn platforms of Digdir's environments (Digdir's well-known endpoints page and Altinn's environment list). */
export const ENVIRONMENTS: Readonly<Record<MaskinportenEnv, Readonly<Environment>>> = Object.freeze({
  prod: Object.freeze({ issuer: 'https://maskinporten.no/', altinnUrl: 'https://platform.altinn.no' }),
  test: Object.freeze({ issuer: 'https://test.maskinporten.no/', altinnUrl: 'https://platform.tt02.altinn.no' }),
})

/**
 * The environment a `WENCHE_ENV` (or `--env`) value names: `test` or `prod` in any case, and `tt02` (Altinn's name
 * for its test environment, which pairs with Maskinporten's test) for `test`. Undefined for anything else.
 *
 * @example
 * ```ts
 * envNamed('TT02') // 'test'
 * ```
 */
export function envNamed(value: string): MaskinportenEnv | undefined {
  const name = value.trim().toLowerCase()
  if (name === 'tt02') return 'test'
  return name === 'test' || name === 'prod' ? name : undefined
}

/** `token` resolved against an issuer, with exactly one slash between. */
export function tokenEndpointFor(issuer: string): string {
  return issuer.endsWith('/') ? `${issuer}token` : `${issuer}/token`
}

/** Altinn's Maskinporten token exchange endpoint under a platform base URL. */
export function exchangeUrlFor(altinnUrl: string): string {
  return `${altinnUrl.replace(/\/+$/, '')}/authentication/api/v1/exchange/maskinporten`
}
