/**
 * The seed module's functional API: one attempt per call, a fresh grant and token each time, as the seed does.
 * For caching and retries use `MaskinportenClient`.
 */
import { exchangeForAltinnToken } from './exchange/altinn.js'
import { resolveConfig, type MaskinportenConfig } from './config/config.js'
import { withSecretsMasked } from './config/secret-echo.js'
import { grantParams, createGrant, type ConsentReference, type GrantOptions } from './signing/grant.js'
import { requestToken, type TokenResponse } from './exchange/maskinporten.js'
import { adminScopes, defaultScopes, skattemeldingScope, skdAksjonaerScope } from './config/scopes.js'
import { field, optionalSignal, optionsObject, requestFields } from './config/arguments.js'

/** The grant options and signal of a flow's options argument, each checked for type (`invalid_config`). */
function flowOptions(opts: unknown): { grant: GrantOptions; signal: { signal?: AbortSignal } } {
  const { orgNummer, externalRef, resource, consumerOrg, consent } = requestFields(opts, 'options')
  const grant: GrantOptions = {}
  if (consent !== undefined) grant.consent = consent
  if (orgNummer !== undefined) grant.orgNummer = orgNummer
  if (externalRef !== undefined) grant.externalRef = externalRef
  if (resource !== undefined) grant.resource = resource
  if (consumerOrg !== undefined) grant.consumerOrg = consumerOrg
  const signal = optionalSignal(field(optionsObject(opts, 'options'), 'signal', 'options'))
  return { grant, signal: signal === undefined ? {} : { signal } }
}

/** A flow's own options (`externalRef`), checked, for the flows that take only that. */
function externalRefOf(opts: unknown): { externalRef?: string } {
  const { externalRef } = requestFields(opts, 'options')
  return externalRef === undefined ? {} : { externalRef }
}

/** Grant options for a flow, without the clock (flows use the machine's). */
export type FlowOptions = Omit<GrantOptions, 'now'> & {
  /** Aborts the request(s). */
  signal?: AbortSignal
}

/**
 * Grant → Maskinporten: the whole token response. The building block of the flows below.
 *
 * @example
 * ```ts
 * const { access_token, expires_in } = await getMaskinportenToken(config, 'altinn:instances.read')
 * ```
 */
export async function getMaskinportenToken(
  config: MaskinportenConfig,
  scope: string,
  opts: FlowOptions = {},
): Promise<TokenResponse> {
  const resolved = resolveConfig(config)
  return withSecretsMasked(resolved, async () => {
    const { grant: options, signal } = flowOptions(opts)
    const grant = await createGrant(resolved, grantParams(scope, options), Date.now())
    return requestToken(resolved, grant, signal)
  })
}

/**
 * Grant → Maskinporten → Altinn: an Altinn platform token (it lives 30 minutes).
 *
 * @param scope space-separated scopes; default {@link defaultScopes} (`altinn:instances.read altinn:instances.write`).
 * @example
 * ```ts
 * const altinnToken = await getAltinnToken({ clientId, kid, privateKeyPem, env: 'test' })
 * ```
 * @see https://docs.altinn.studio/authentication/
 */
export async function getAltinnToken(
  config: MaskinportenConfig,
  scope: string = defaultScopes(),
  opts: FlowOptions = {},
): Promise<string> {
  const resolved = resolveConfig(config)
  return withSecretsMasked(resolved, async () => {
    const { grant: options, signal } = flowOptions(opts)
    const grant = await createGrant(resolved, grantParams(scope, options), Date.now())
    const token = await requestToken(resolved, grant, signal)
    return exchangeForAltinnToken(resolved, token.access_token, signal)
  })
}

/**
 * An Altinn token for the system user (systembruker) that the customer `orgNummer` approved for your system, with
 * the default scopes.
 *
 * @example
 * ```ts
 * const token = await getSystemuserToken(config, '310702641')
 * ```
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_func_systembruker
 */
export async function getSystemuserToken(
  config: MaskinportenConfig,
  orgNummer: string,
  opts: { externalRef?: string; signal?: AbortSignal } = {},
): Promise<string> {
  const signal = optionalSignal(field(optionsObject(opts, 'options'), 'signal', 'options'))
  return getAltinnToken(config, defaultScopes(), { ...externalRefOf(opts), ...(signal ? { signal } : {}), orgNummer })
}

/**
 * A Maskinporten token with the admin scopes (system register, system user requests); not exchanged.
 *
 * @example
 * ```ts
 * const token = await getAdminToken(config)
 * ```
 */
export async function getAdminToken(config: MaskinportenConfig): Promise<string> {
  return (await getMaskinportenToken(config, adminScopes())).access_token
}

/**
 * A Maskinporten token for Skatteetaten's aksjonærregisteroppgave API, as the system user of `orgNummer`; used
 * directly against Skatteetaten, not exchanged.
 *
 * @example
 * ```ts
 * const token = await getSkdAksjonaerToken(config, '310702641')
 * ```
 */
export async function getSkdAksjonaerToken(
  config: MaskinportenConfig,
  orgNummer: string,
  opts: { externalRef?: string } = {},
): Promise<string> {
  return (await getMaskinportenToken(config, skdAksjonaerScope(), { ...externalRefOf(opts), orgNummer })).access_token
}

/**
 * A Maskinporten token for Skatteetaten's skattemelding API (with both Altinn instance scopes), as the system user
 * of `orgNummer`; used directly, not exchanged.
 *
 * @example
 * ```ts
 * const token = await getSkdSkattemeldingToken(config, '310702641')
 * ```
 */
export async function getSkdSkattemeldingToken(
  config: MaskinportenConfig,
  orgNummer: string,
  opts: { externalRef?: string } = {},
): Promise<string> {
  return (await getMaskinportenToken(config, skattemeldingScope(), { ...externalRefOf(opts), orgNummer })).access_token
}

/**
 * A Maskinporten token that carries a consent (samtykke) a person or organisation gave you in Altinn: the grant
 * names the consent (`authorization_details` of type `urn:altinn:consent`) and Maskinporten answers with a token
 * whose entry repeats it with `to`, `consented`, `validTo` and `consentRights`. Used directly against the data
 * source, not exchanged. A person's number in `from` is validated (both check digits) and never shown in errors.
 *
 * @param scope the scope(s) the API owner requires for the consent, e.g. its data API's scope.
 * @param consent the consent request's `id` (a UUID) and `from` (fødselsnummer, D-number or org number).
 * @example
 * ```ts
 * const token = await getConsentToken(config, 'altinn:consentrequests.read', { id: consentId, from: personNumber })
 * ```
 * @see https://docs.altinn.studio/authorization/guides/validate-consent
 */
export async function getConsentToken(
  config: MaskinportenConfig,
  scope: string,
  consent: ConsentReference,
  opts: { consumerOrg?: string; signal?: AbortSignal } = {},
): Promise<string> {
  return (await getMaskinportenToken(config, scope, { ...opts, consent })).access_token
}
