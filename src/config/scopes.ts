/**
 * The scopes the seed module asks for, as functions so that they read the same as the seed's.
 *
 * @see https://docs.altinn.studio/authentication/guides/systemauthentication-for-systemproviders/
 */

/** Read and write Altinn instances: what most Altinn 3 apps (and the seed's `get_altinn_token`) need. */
export const DEFAULT_SCOPES = 'altinn:instances.read altinn:instances.write'

/** Registering a vendor system and asking customers for system users. */
export const ADMIN_SCOPES =
  'altinn:authentication/systemregister.write altinn:authentication/systemuser.request.read altinn:authentication/systemuser.request.write'

/** Skatteetaten's aksjonærregisteroppgave API (the Maskinporten token is used directly, no Altinn exchange). */
export const SKD_AKSJONAER_SCOPE = 'skatteetaten:innrapporteringaksjonaerregisteroppgave'

/**
 * Skattemelding: Skatteetaten's scope plus both Altinn instance scopes, so that Skatteetaten can trace the system
 * user to the one who acts.
 */
export const SKATTEMELDING_SCOPES = 'skatteetaten:formueinntekt/skattemelding altinn:instances.read altinn:instances.write'

/**
 * `altinn:instances.read altinn:instances.write`.
 * @example
 * ```ts
 * const token = await getAltinnToken(config, defaultScopes())
 * ```
 */
export function defaultScopes(): string {
  return DEFAULT_SCOPES
}

/** The system register and system user request scopes, for {@link getAdminToken}. */
export function adminScopes(): string {
  return ADMIN_SCOPES
}

/** `skatteetaten:innrapporteringaksjonaerregisteroppgave`, for {@link getSkdAksjonaerToken}. */
export function skdAksjonaerScope(): string {
  return SKD_AKSJONAER_SCOPE
}

/** `skatteetaten:formueinntekt/skattemelding altinn:instances.read altinn:instances.write`. */
export function skattemeldingScope(): string {
  return SKATTEMELDING_SCOPES
}

/** Splits a scope string or list into its scopes: trimmed, no empties, no duplicates, in the order given. */
export function splitScopes(scope: string | readonly string[]): string[] {
  const parts = typeof scope === 'string' ? scope.split(/\s+/) : scope.flatMap((s) => s.split(/\s+/))
  return [...new Set(parts.filter((s) => s.length > 0))]
}
