/**
 * `maskinporten systemuser request|status|list|find|change|connect`: asking customers for system users and
 * following the requests. Exit 0 when a system user is active or a request was made (or, with --wait, approved);
 * 1 when rejected, timed out or refused (Altinn's code and hint in the message); 2 for usage.
 */
import type { ChangeRequest, SystemUser, SystemUserRequest } from '../vendor/types.js'
import { resourceRight, resourceIds } from '../vendor/ids.js'
import { describeValue, MaskinportenError } from '../errors/errors.js'
import type { CliContext } from './context.js'
import { CONFIG_FLAGS_HELP } from './settings.js'
import { parseFlags, UsageError } from './usage.js'
import { openVendor, parseDuration, print, requireSystem, VENDOR_FLAGS, VENDOR_FLAGS_HELP, type VendorRun } from './vendor-context.js'

/** `maskinporten systemuser --help`. */
export const SYSTEMUSER_HELP = `Usage: maskinporten systemuser <request|status|list|find|change|connect> [flags]

System users (systembrukere) of your system, and the requests customers approve.

  request ORGNR [--right RES]... [--external-ref R] [--redirect-url URL] [--title T] [--wait [--timeout 10m]]
          asks the customer for a system user (default rights: all of the system's); prints the id, the status
          and the confirmUrl to send the customer to. The same request again answers the one that exists.
  status  ID [--wait [--timeout 10m] [--interval 5s]]   a request's status
  list                                                  every system user of the system
  find    ORGNR [--external-ref R]                      the customer's system user (exit 1 when none)
  change  SYSTEMUSER_ID --right RES... [--unwanted-right RES]... [--correlation-id ID]
          asks the customer for more (or fewer) rights; repeat with the printed --correlation-id to retry safely
  connect ORGNR [--right RES]... [--external-ref R] [--retry-rejected] [--wait [--timeout 10m]]
          the onboarding step: active, pending (with the confirmUrl) or rejected

${VENDOR_FLAGS_HELP}
${CONFIG_FLAGS_HELP.replace(/^ {2}--timeout MS .*\n/m, '')}Here --timeout is how long --wait waits (10m, 90s); each request's limit is MASKINPORTEN_TIMEOUT_MS.
Exit codes: 0 active, or a request made (approved, with --wait); 1 rejected, timed out, not found or refused; 2 usage.
`

const FLAGS = {
  ...VENDOR_FLAGS,
  right: { type: 'string', multiple: true },
  'unwanted-right': { type: 'string', multiple: true },
  'external-ref': { type: 'string' },
  'redirect-url': { type: 'string' },
  title: { type: 'string' },
  'correlation-id': { type: 'string' },
  'retry-rejected': { type: 'boolean' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  interval: { type: 'string' },
} as const

const SUBS = ['request', 'status', 'list', 'find', 'change', 'connect'] as const

/** Runs `maskinporten systemuser`. Returns the exit code. */
export async function systemuserCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseFlags('systemuser', argv, FLAGS, 2)
  const [sub, arg] = positionals
  if (values.help || sub === undefined) {
    ;(values.help ? ctx.out : ctx.err)(SYSTEMUSER_HELP)
    return values.help ? 0 : 2
  }
  if (!(SUBS as readonly string[]).includes(sub)) throw new UsageError(`unknown subcommand ${describeValue(sub)}: ${SUBS.join(', ')}`, 'systemuser')
  const needsArg = sub !== 'list'
  if (needsArg && arg === undefined) throw new UsageError(`${sub} needs ${sub === 'status' ? 'the request id' : sub === 'change' ? 'the system user id' : "the customer's org number"}`, 'systemuser')
  if (!needsArg && arg !== undefined) throw new UsageError('list takes no argument', 'systemuser')
  if (values.timeout !== undefined && values.wait !== true) throw new UsageError('--timeout goes with --wait', 'systemuser')
  const wait = {
    timeoutMs: values.timeout === undefined ? 10 * 60_000 : parseDuration('systemuser', 'timeout', values.timeout),
    intervalMs: values.interval === undefined ? 5_000 : parseDuration('systemuser', 'interval', values.interval),
  }
  // Here --timeout bounds the wait for the customer (a duration); each request's limit stays MASKINPORTEN_TIMEOUT_MS.
  const { timeout: _waitTimeout, ...vendorValues } = values
  const run = openVendor('systemuser', vendorValues, ctx)
  const json = values.json === true
  const rights = values.right?.map((r) => resourceRight(r))
  const ref = values['external-ref'] === undefined ? {} : { externalRef: values['external-ref'] }
  try {
    const systemId = requireSystem('systemuser', run)
    switch (sub) {
      case 'request': {
        const chosen = rights ?? (await systemRights(run, systemId))
        const { request, created } = await run.vendor.requestSystemUser({
          partyOrgNo: arg!,
          rights: chosen,
          ...ref,
          ...(values['redirect-url'] ? { redirectUrl: values['redirect-url'] } : {}),
          ...(values.title ? { integrationTitle: values.title } : {}),
        })
        if (!json) ctx.err(created ? `Asked ${request.partyOrgNo} for a system user of ${systemId}\n` : `A request for ${request.partyOrgNo} exists already\n`)
        return await finish(ctx, run, json, request, values.wait === true, wait)
      }
      case 'status':
        return await finish(ctx, run, json, await run.vendor.getRequest(arg!), values.wait === true, wait)
      case 'list': {
        const users: SystemUser[] = []
        for await (const user of run.vendor.listSystemUsers()) users.push(user)
        print(ctx, json, users, users.length === 0 ? [`No system users of ${systemId} yet.`] : users.map(describeUser))
        return 0
      }
      case 'find': {
        const user = await run.vendor.findSystemUser({ orgNo: arg!, ...ref })
        if (user === undefined) {
          ctx.err(`maskinporten: ${arg} has no system user of ${systemId}${values['external-ref'] ? ` with externalRef ${JSON.stringify(values['external-ref'])}` : ''}; ask for one with \`maskinporten systemuser request ${arg}\`\n`)
          return 1
        }
        print(ctx, json, user, [describeUser(user)])
        return 0
      }
      case 'change': {
        if (!rights && !values['unwanted-right']) throw new UsageError('change needs --right or --unwanted-right', 'systemuser')
        const result = await run.vendor.requestChange(
          arg!,
          { ...(rights ? { requiredRights: rights } : {}), ...(values['unwanted-right'] ? { unwantedRights: values['unwanted-right'].map((r) => resourceRight(r)) } : {}) },
          values['correlation-id'] ? { correlationId: values['correlation-id'] } : {},
        )
        print(ctx, json, result, [...describeChange(result.changeRequest), `  correlation id: ${result.correlationId} (give it as --correlation-id to retry)`])
        return 0
      }
      default: {
        const state = await run.vendor.connect({ partyOrgNo: arg!, rights: rights ?? (await systemRights(run, systemId)), ...ref, ...(values['retry-rejected'] ? { retryRejected: true } : {}) })
        if (state.state === 'active') {
          print(ctx, json, state, [`active: ${describeUser(state.systemUser)}`])
          return 0
        }
        if (state.state === 'rejected') {
          print(ctx, json, state, [`rejected: ${describeRequest(state.request).join('\n')}`, 'Ask again with --retry-rejected (the customer said no once).'])
          return 1
        }
        return await finish(ctx, run, json, state.request, values.wait === true, wait, state)
      }
    }
  } finally {
    run.close()
  }
}

async function systemRights(run: VendorRun, systemId: string) {
  const system = await run.vendor.getSystem(systemId)
  if (system === undefined) throw new MaskinportenError('invalid_config', `No system ${systemId} in the register at ${run.vendor.altinnUrl}: register it first (\`maskinporten system register\`)`)
  if (system.rights.length === 0) throw new MaskinportenError('invalid_config', `${systemId} has no rights: give --right RESOURCE, or add rights with \`maskinporten system register --right\``)
  return system.rights
}

/** Prints the request (after waiting, with --wait); the exit code from its status. */
async function finish(
  ctx: CliContext,
  run: VendorRun,
  json: boolean,
  request: SystemUserRequest,
  wait: boolean,
  waitOptions: { timeoutMs: number; intervalMs: number },
  state?: unknown,
): Promise<number> {
  let current = request
  if (wait && current.status === 'New') {
    ctx.err(`Waiting for ${current.partyOrgNo} to answer at ${current.confirmUrl} (up to ${Math.round(waitOptions.timeoutMs / 1000)} s)\n`)
    current = await run.vendor.waitForRequest(current.id, waitOptions)
  }
  print(ctx, json, state && current === request ? state : current, describeRequest(current))
  if (current.status === 'New' || current.status === 'Accepted') return 0
  return 1
}

function describeRequest(r: SystemUserRequest): string[] {
  return [`id: ${r.id}`, `status: ${r.status}${r.timedOut ? ' (timed out)' : ''}`, `customer: ${r.partyOrgNo} (externalRef ${r.externalRef})`, `rights: ${resourceIds(r.rights).join(', ') || '(packages only)'}`, `confirmUrl: ${r.confirmUrl}`]
}

function describeChange(c: ChangeRequest): string[] {
  return [`id: ${c.id}`, `status: ${c.status}`, `required: ${resourceIds(c.requiredRights).join(', ') || '-'}`, `unwanted: ${resourceIds(c.unwantedRights).join(', ') || '-'}`, `confirmUrl: ${c.confirmUrl || '-'}`]
}

function describeUser(u: SystemUser): string {
  return `${u.id}  ${u.reporteeOrgNo}  externalRef ${u.externalRef ?? u.reporteeOrgNo}${u.integrationTitle ? `  ${u.integrationTitle}` : ''}`
}
