/**
 * `maskinporten system register|show|list|delete`: the vendor's systems in Altinn's system register.
 * `register` prints what it will change before it changes it (and only that with `--dry-run`).
 */
import { describeValue } from '../errors/errors.js'
import type { RegisteredSystem } from '../vendor/types.js'
import { resourceIds, resourceRight } from '../vendor/ids.js'
import type { SystemChange } from '../vendor/systems.js'
import type { CliContext } from './context.js'
import { CONFIG_FLAGS_HELP, setting } from './settings.js'
import { parseFlags, UsageError } from './usage.js'
import { openVendor, print, requireSystem, VENDOR_FLAGS, VENDOR_FLAGS_HELP } from './vendor-context.js'

/** `maskinporten system --help`. */
export const SYSTEM_HELP = `Usage: maskinporten system <register|show|list|delete> [flags]

Your systems in Altinn's system register (a Maskinporten token with the system register scope).

  register --name NAME --right RES... [--client-id ID]... [--redirect-url URL]... [--title T] [--dry-run]
           creates the system ORG_NUMMER_NAME, or updates it keeping what is not given; prints the changes first.
           --client-id: the system's Maskinporten client ids (default: MASKINPORTEN_CLIENT_ID, added to the ones
           the system has); the first is also the client this command uses unless MASKINPORTEN_CLIENT_ID is set.
           --title: the name customers see (default NAME); --redirect-url: where customers may be sent back to
  show     [--system ID | --name NAME]    the system, as the register holds it
  list                                    your systems
  delete   --system ID --confirm-burn-id  deletes it: its id can NEVER be registered again

${VENDOR_FLAGS_HELP}
${CONFIG_FLAGS_HELP}
Exit codes: 0 done, 1 refused or not found (with Altinn's code and the fix), 2 usage.
`

const FLAGS = {
  ...VENDOR_FLAGS,
  'client-id': { type: 'string', multiple: true },
  right: { type: 'string', multiple: true },
  'redirect-url': { type: 'string', multiple: true },
  title: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'confirm-burn-id': { type: 'boolean' },
} as const

/** Runs `maskinporten system`. Returns the exit code. */
export async function systemCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags('system', argv, FLAGS, 1)
  const sub = positionals[0]
  if (values.help || sub === undefined) {
    ;(sub === undefined && !values.help ? ctx.err : ctx.out)(SYSTEM_HELP)
    return values.help ? 0 : 2
  }
  if (!['register', 'show', 'list', 'delete'].includes(sub)) throw new UsageError(`unknown subcommand ${describeValue(sub)}: register, show, list or delete`, 'system')
  const clientIds = values['client-id'] ?? []
  const { 'client-id': _ids, ...rest } = values
  // With no MASKINPORTEN_CLIENT_ID anywhere, the first --client-id is the client this command runs as.
  const run = openVendor('system', rest, ctx, clientIds[0] !== undefined ? { MASKINPORTEN_CLIENT_ID: clientIds[0] } : {})
  const json = values.json === true
  try {
    if (sub === 'list') {
      const systems = await run.vendor.listSystems()
      print(ctx, json, systems, systems.length === 0 ? ['No systems.'] : systems.map((s) => `${s.id}  ${s.name.nb ?? s.name.en ?? ''}  clients: ${s.clientId.join(', ') || '-'}`))
      return 0
    }
    const systemId = requireSystem('system', run)
    if (sub === 'show') {
      const system = await run.vendor.getSystem(systemId)
      if (system === undefined) {
        ctx.err(`maskinporten: no system ${systemId} in the register at ${run.vendor.altinnUrl}; register it with \`maskinporten system register\`\n`)
        return 1
      }
      print(ctx, json, system, describeSystem(system))
      return 0
    }
    if (sub === 'delete') {
      if (values['confirm-burn-id'] !== true) {
        throw new UsageError(`deleting ${systemId} burns its id for good (it can never be registered again): add --confirm-burn-id`, 'system')
      }
      await run.vendor.deleteSystem(systemId, { confirmBurnId: true })
      print(ctx, json, { deleted: systemId }, [`Deleted ${systemId}; its id can never be used again.`])
      return 0
    }
    // register
    if (values.name === undefined && values.system === undefined) throw new UsageError('register needs --name NAME (with ORG_NUMMER) or --system ID', 'system')
    const ours = setting(run.settings, 'MASKINPORTEN_CLIENT_ID')!
    const current = await run.vendor.getSystem(systemId)
    const rights = values.right?.map((r) => resourceRight(r))
    if (current === undefined && rights === undefined) throw new UsageError('a new system needs at least one --right RESOURCE', 'system')
    const definition = {
      id: systemId,
      name: values.title ?? current?.name ?? (values.name ?? systemId.slice(10)),
      ...(rights ? { rights } : {}),
      clientId: clientIds.length > 0 ? clientIds : [...new Set([...(current?.clientId ?? []), ours])],
      ...(values['redirect-url'] ? { allowedRedirectUrls: values['redirect-url'] } : {}),
    }
    const plan = await run.vendor.planSystem(definition)
    const note = json ? ctx.err : ctx.out
    note(`${plan.action === 'create' ? `Will create ${systemId}` : plan.action === 'update' ? `Will update ${systemId}` : `${systemId} is up to date`}\n`)
    for (const change of plan.changes) note(`  ${describeChange(change, plan.action === 'create')}\n`)
    if (values['dry-run'] === true || plan.action === 'unchanged') {
      if (values['dry-run'] === true && plan.action !== 'unchanged') note('Dry run: nothing changed.\n')
      if (json) print(ctx, true, { action: plan.action, dryRun: values['dry-run'] === true, changes: plan.changes }, [])
      return 0
    }
    const result = await run.vendor.ensureSystem(definition)
    if (json) print(ctx, true, result, [])
    else ctx.out(`${result.action === 'created' ? 'Created' : 'Updated'} ${systemId}.\n`)
    return 0
  } finally {
    run.close()
  }
}

function show(value: unknown): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return '(none)'
    const isRight = (v: unknown): boolean => typeof v === 'object' && v !== null && Array.isArray((v as { resource?: unknown }).resource)
    if (value.every(isRight)) return resourceIds(value as never).join(', ')
    return value.map((v) => (typeof v === 'string' ? v : typeof v === 'object' && v !== null && 'urn' in v ? String((v as { urn: string }).urn) : JSON.stringify(v))).join(', ')
  }
  if (value !== null && typeof value === 'object') return Object.values(value as Record<string, string>)[0] ?? '(none)'
  return JSON.stringify(value)
}

function describeChange(change: SystemChange, creating: boolean): string {
  return creating ? `${change.field}: ${show(change.to)}` : `${change.field}: ${show(change.from)} -> ${show(change.to)}`
}

function describeSystem(s: RegisteredSystem): string[] {
  return [
    `${s.id}${s.isDeleted ? ' (deleted)' : ''}`,
    `  name: ${show(s.name)}`,
    `  rights: ${show(s.rights)}`,
    `  access packages: ${show(s.accessPackages)}`,
    `  client ids: ${s.clientId.join(', ') || '(none)'}`,
    `  redirect URLs: ${s.allowedRedirectUrls.join(', ') || '(none)'}`,
  ]
}
