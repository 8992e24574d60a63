/**
 * The options of `AltinnVendorClient`, checked, and the `MaskinportenClient` and platform URL they come to.
 */
import { MaskinportenClient } from '../client/client.js'
import type { RetryOptions } from '../client/retry.js'
import { ENVIRONMENTS, type MaskinportenConfig, type MaskinportenEnv } from '../config/config.js'
import { describeValue, invalidConfig } from '../errors/errors.js'
import { checkSystemId } from './validate.js'

/** Options of {@link AltinnVendorClient}. All optional. */
export interface AltinnVendorClientOptions {
  /** The system the request and system user calls are about (`<vendor org>_<name>`); each call may name another. */
  systemId?: string
  /** The Altinn platform of this environment (`test` → tt02). Default: the source's. */
  env?: MaskinportenEnv
  /** The Altinn platform base URL (`https://platform.tt02.altinn.no`); wins over `env`. Default: the source's. */
  altinnUrl?: string
  /** A `fetch` for the API calls (and, with a config, for the tokens). Default: the source's. */
  fetch?: typeof globalThis.fetch
  /** Time limit (in milliseconds) for each API request. Default: the source's `timeoutMs` (15000). */
  timeoutMs?: number
  /** Retries of GETs and safe writes (5xx, 429, no answer). Default: 30 s deadline, as token requests. */
  retry?: RetryOptions
}

/** What the options come to. */
export interface ResolvedVendorOptions {
  client: MaskinportenClient
  /** True when the client was made here (from a config), so that `close()` closes it. */
  ownClient: boolean
  altinnUrl: string
  systemId: string | undefined
}

/** Checks the options; makes a `MaskinportenClient` from a config. Throws `invalid_config` naming the option. */
export function resolveVendorOptions(source: MaskinportenConfig | MaskinportenClient, options: AltinnVendorClientOptions): ResolvedVendorOptions {
  if (options === null || typeof options !== 'object') throw invalidConfig('options', 'must be an object')
  if (options.env !== undefined && options.env !== 'test' && options.env !== 'prod') throw invalidConfig('env', `must be "test" or "prod", got ${describeValue(options.env)}`)
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0 && options.timeoutMs <= 2_147_483_647)) throw invalidConfig('timeoutMs', 'must be a positive number of milliseconds')
  if (options.fetch !== undefined && typeof options.fetch !== 'function') throw invalidConfig('fetch', 'must be a function like the global fetch')
  const systemId = options.systemId === undefined ? undefined : checkSystemId(options.systemId, 'options.systemId').id
  const own = !(source instanceof MaskinportenClient)
  const client = source instanceof MaskinportenClient
    ? source
    : new MaskinportenClient({ ...source, ...(options.fetch ? { fetch: options.fetch } : {}), ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) })
  const url = options.altinnUrl ?? (options.env ? ENVIRONMENTS[options.env].altinnUrl : client.altinnUrl)
  if (typeof url !== 'string' || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    if (own) client.close()
    throw invalidConfig('altinnUrl', `must be an absolute http(s) URL, got ${describeValue(url)}`)
  }
  return { client, ownClient: own, altinnUrl: url.replace(/\/+$/, ''), systemId }
}
