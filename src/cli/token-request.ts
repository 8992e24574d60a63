/**
 * What token is asked for: the scopes, the system user's org, and the other grant options, from flags and
 * settings. Shared by `token`, `grant` and `doctor`, so that the three ask for the same thing given the same input.
 */
import { resolveConfig, type MaskinportenConfig, type ResolvedConfig } from '../config/config.js'
import { grantParams, type GrantOptions } from '../signing/grant.js'
import { partyUrn } from '../config/fodselsnummer.js'
import { normalizeOrgNummer } from '../config/orgnummer.js'
import { adminScopes, defaultScopes, skattemeldingScope, skdAksjonaerScope } from '../config/scopes.js'
import type { CliContext } from './context.js'
import {
  configFromSettings,
  describeSource,
  flagVariables,
  loadSettings,
  setting,
  refuseKeyText,
  type ConfigFlag,
  type Settings,
} from './settings.js'
import { describeScopes } from './output.js'
import { UsageError, type FlagSpec } from './usage.js'

/** Flags that shape the grant. */
export const TOKEN_REQUEST_FLAGS = {
  scope: { type: 'string', multiple: true },
  org: { type: 'string' },
  'external-ref': { type: 'string' },
  resource: { type: 'string', multiple: true },
  'consumer-org': { type: 'string' },
  consent: { type: 'string' },
  from: { type: 'string' },
  admin: { type: 'boolean' },
  'skd-aksjonaer': { type: 'boolean' },
  skattemelding: { type: 'boolean' },
} as const satisfies FlagSpec

/** Help text for {@link TOKEN_REQUEST_FLAGS}. */
export const TOKEN_REQUEST_HELP = `What to ask for:
  --scope SCOPE        MASKINPORTEN_SCOPES   scopes, space-separated or repeated (default altinn:instances.read
                                             altinn:instances.write)
  --org ORGNR          ORG_NUMMER            customer org: a system user (systembruker) token for it
  --external-ref REF                         the system user's external reference, if made with one
  --resource URL                             audience of the token (repeatable)
  --consumer-org ORGNR                       the customer that delegated access to you (supplier flow)
  --consent ID                               a consent (samtykke) the token carries: the consent request's UUID
  --from FNR|ORGNR                           who gave the consent: fødselsnummer/D-number (never printed) or org
  --admin                                    admin scopes (system register, system user requests); no org
  --skd-aksjonaer                            Skatteetaten aksjonærregisteroppgave scope (needs an org)
  --skattemelding                            Skatteetaten skattemelding + Altinn instance scopes (needs an org)
`

/** Parsed values of {@link TOKEN_REQUEST_FLAGS}. */
export interface TokenRequestValues {
  scope?: string[]
  org?: string
  'external-ref'?: string
  resource?: string[]
  'consumer-org'?: string
  consent?: string
  from?: string
  admin?: boolean
  'skd-aksjonaer'?: boolean
  skattemelding?: boolean
}

/** A token request worked out: the scope and the grant options. */
export interface TokenRequest {
  scope: string
  grant: Omit<GrantOptions, 'now'>
  /** The seed flow the request is for, if a shortcut was used. */
  flow?: 'admin' | 'skd-aksjonaer' | 'skattemelding'
}

const SHORTCUTS = {
  admin: adminScopes,
  'skd-aksjonaer': skdAksjonaerScope,
  skattemelding: skattemeldingScope,
} as const

/** Works out the request; usage errors for conflicting flags, `invalid_config` (naming the source) for bad values. */
export function tokenRequestFrom(command: string, values: TokenRequestValues, settings: Settings): TokenRequest {
  const shortcuts = (Object.keys(SHORTCUTS) as Array<keyof typeof SHORTCUTS>).filter((name) => values[name])
  if (shortcuts.length > 1 || (shortcuts.length === 1 && values.scope)) {
    const given = [...shortcuts.map((s) => `--${s}`), ...(values.scope ? ['--scope'] : [])]
    throw new UsageError(`${given.join(' and ')} cannot be combined: each chooses the scopes`, command)
  }
  const flow = shortcuts[0]
  // A shortcut is a flag, so it wins over MASKINPORTEN_SCOPES from the environment; --scope was merged as a flag.
  const scope = flow
    ? SHORTCUTS[flow]()
    : (setting(settings, 'MASKINPORTEN_SCOPES') ?? defaultScopes())
  if (!flow) refuseKeyText(scope, describeSource(settings, 'MASKINPORTEN_SCOPES'), 'scopes', (s) => describeScopes(s).startsWith('"'))
  const request: TokenRequest = { scope, grant: {} }
  if (flow) request.flow = flow

  // Admin tokens are the vendor's own: an ORG_NUMMER from the environment is for the other flows.
  if (flow === 'admin' && values.org) throw new UsageError('--admin takes no --org: admin tokens are your own', command)
  const org = flow === 'admin' ? undefined : setting(settings, 'ORG_NUMMER')
  if (org !== undefined) request.grant.orgNummer = normalizeOrgNummer(org, describeSource(settings, 'ORG_NUMMER'))
  if ((flow === 'skd-aksjonaer' || flow === 'skattemelding') && org === undefined) {
    throw new UsageError(`--${flow} is a system user token: give the customer's org with --org or ORG_NUMMER`, command)
  }
  if (values['external-ref'] !== undefined) {
    if (request.grant.orgNummer === undefined) {
      throw new UsageError('--external-ref needs --org (or ORG_NUMMER): it names a system user of that org', command)
    }
    refuseKeyText(values['external-ref'], '--external-ref', "a system user's external reference")
    request.grant.externalRef = values['external-ref']
  }
  for (const resource of values.resource ?? []) {
    refuseKeyText(resource, '--resource', 'a URL', (r) => URL.canParse(r) && !/\s/.test(r))
  }
  if (values.resource) request.grant.resource = values.resource
  if (values['consumer-org'] !== undefined) {
    request.grant.consumerOrg = normalizeOrgNummer(values['consumer-org'], '--consumer-org')
  }
  if ((values.consent === undefined) !== (values.from === undefined)) {
    throw new UsageError('--consent and --from go together: the consent id and who gave it', command)
  }
  if (values.consent !== undefined && values.from !== undefined) {
    if (request.grant.orgNummer !== undefined) {
      throw new UsageError('--consent cannot be combined with a system user (--org or ORG_NUMMER): a token carries one or the other', command)
    }
    // Checked here so that a bad value is named by its flag; the person's number is never quoted.
    const consent = { id: values.consent, from: partyUrn(values.from, '--from') }
    grantParams(request.scope, { consent: { ...consent } })
    request.grant.consent = consent
  }
  return request
}

/** Everything a command that signs grants needs: the request, the library config, and the config resolved. */
export interface PreparedRequest {
  request: TokenRequest
  config: MaskinportenConfig
  resolved: ResolvedConfig
}

/** Settings, request and config from a command's parsed flags (`token`, `grant`). */
export function prepareRequest(
  command: string,
  values: TokenRequestValues & Partial<Record<ConfigFlag, string | string[]>>,
  ctx: Pick<CliContext, 'env' | 'cwd'>,
): PreparedRequest {
  const settings = loadSettings(flagVariables(command, values), ctx)
  const request = tokenRequestFrom(command, values, settings)
  const config = configFromSettings(settings)
  return { request, config, resolved: resolveConfig(config) }
}
