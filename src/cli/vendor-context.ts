/**
 * What `maskinporten system` and `maskinporten systemuser` share: the configuration (as `token` reads it), the
 * system id (`--system`, `ALTINN_SYSTEM_ID`, or `ORG_NUMMER` + `--name`), the vendor client, durations, and the
 * exit code an Altinn refusal gets (1, its code and hint in the message).
 */
import { MaskinportenClient } from '../client/client.js'
import { describeValue } from '../errors/errors.js'
import { AltinnVendorClient } from '../vendor/client.js'
import { systemIdFor } from '../vendor/ids.js'
import { checkSystemId } from '../vendor/validate.js'
import type { CliContext } from './context.js'
import { CONFIG_FLAGS, configFromSettings, describeSource, flagVariables, loadSettings, setting, type Settings } from './settings.js'
import { UsageError, type FlagSpec } from './usage.js'

/** Flags every vendor command takes. */
export const VENDOR_FLAGS = {
  ...CONFIG_FLAGS,
  system: { type: 'string' },
  name: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies FlagSpec

/** Help text for {@link VENDOR_FLAGS}' own flags. */
export const VENDOR_FLAGS_HELP = `The system (first found):
  --system ID        ALTINN_SYSTEM_ID    the system id, <vendor org number>_<name>
  --name NAME        with ORG_NUMMER     (ORG_NUMMER is then your own, the vendor's, org number)
  --json                                 print the result as JSON on stdout (notes on stderr)
`

/** Retries for someone at a prompt: a few, within seconds. */
const CLI_RETRY = { deadlineMs: 10_000, maxAttempts: 4 } as const

/** The parsed config flags a vendor command passes on. */
export type VendorValues = Partial<Record<'client-id' | 'kid' | 'key' | 'env' | 'issuer' | 'altinn-url' | 'system' | 'name', string>>

/** A vendor command's surroundings. */
export interface VendorRun {
  settings: Settings
  vendor: AltinnVendorClient
  mp: MaskinportenClient
  /** The system id, when one was configured. */
  systemId: string | undefined
  close(): void
}

/** The system id from `--system`, `ALTINN_SYSTEM_ID`, or `ORG_NUMMER` + `--name`; `undefined` when none is set. */
export function systemIdFrom(command: string, values: VendorValues, settings: Settings): string | undefined {
  if (values.system !== undefined) {
    if (values.name !== undefined) throw new UsageError('--system and --name cannot be combined: each names the system', command)
    return checkSystemId(values.system, '--system').id
  }
  const fromEnv = setting(settings, 'ALTINN_SYSTEM_ID')
  if (values.name === undefined && fromEnv !== undefined) return checkSystemId(fromEnv, describeSource(settings, 'ALTINN_SYSTEM_ID')).id
  if (values.name === undefined) return undefined
  const org = setting(settings, 'ORG_NUMMER')
  if (org === undefined) throw new UsageError('--name needs ORG_NUMMER (your own org number) to make the system id; or give --system', command)
  return systemIdFor(org, values.name)
}

/** Settings, clients and system id for a vendor command. `defaults` fill variables no source set. */
export function openVendor(command: string, values: VendorValues, ctx: CliContext, defaults: Record<string, string> = {}): VendorRun {
  const { system: _system, name: _name, ...configValues } = values
  const settings = loadSettings(flagVariables(command, configValues), ctx)
  for (const [name, value] of Object.entries(defaults)) {
    if (setting(settings, name) !== undefined) continue
    settings.vars[name] = value
    settings.sources[name] = 'flag'
  }
  const systemId = systemIdFrom(command, values, settings)
  const config = configFromSettings(settings)
  const mp = new MaskinportenClient(config, { retry: CLI_RETRY, now: ctx.now })
  const vendor = new AltinnVendorClient(mp, { ...(systemId ? { systemId } : {}), retry: CLI_RETRY })
  return { settings, vendor, mp, systemId, close: () => mp.close() }
}

/** The system id, or a usage error saying how to give one. */
export function requireSystem(command: string, run: VendorRun): string {
  if (run.systemId === undefined) throw new UsageError('no system: give --system ID, set ALTINN_SYSTEM_ID, or --name NAME with ORG_NUMMER', command)
  return run.systemId
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** `10m`, `30s`, `1h`, `500ms`, or bare seconds, in milliseconds. */
export function parseDuration(command: string, flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim())
  if (!m) throw new UsageError(`--${flag} must be a duration such as 30s, 10m or 1h; got ${describeValue(text)}`, command)
  const ms = Number(m[1]) * UNITS[m[2] ?? 's']!
  if (!(ms > 0 && ms <= 2_147_483_647)) throw new UsageError(`--${flag} must be more than 0 and at most 24 days`, command)
  return ms
}

/** Writes `value` as JSON (with `--json`) or `lines` as text, on stdout. */
export function print(ctx: CliContext, json: boolean, value: unknown, lines: string[]): void {
  ctx.out(json ? `${JSON.stringify(value, null, 2)}\n` : `${lines.join('\n')}\n`)
}
