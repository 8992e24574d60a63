/**
 * The customer's page at the confirmUrl (`/accessmanagement/ui/systemuser/{request|agentrequest|changerequest}?id=…`):
 * server-rendered HTML showing the system, its vendor, the customer and what is asked, with Approve and Reject as
 * plain forms (no script). Every value is escaped. After a decision the customer is sent to the request's
 * `redirectUrl` when it has one (303), or shown the result.
 */
import { readBody, send, type Call } from '../call.js'
import { DecisionRefused, decide, requestById } from './customer.js'
import { resourceIds, type AccessPackage, type Right } from './rights.js'
import { timedOut, type AnyRequest, type VendorStore } from './vendor-state.js'

/** The paths of the page, one per kind of request. */
export const APPROVAL_PAGE = /^\/accessmanagement\/ui\/systemuser\/(request|agentrequest|changerequest)$/

const KIND_OF_PATH = { request: 'standard', agentrequest: 'agent', changerequest: 'change' } as const

/** `text` safe inside HTML text and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function page(call: Call, status: number, title: string, body: string): void {
  const html =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    '<style>body{font-family:sans-serif;max-width:40em;margin:2em auto}dt{font-weight:bold}button{margin-right:1em}</style>' +
    `</head><body><h1>${escapeHtml(title)}</h1>${body}<p><small>Maskinporten emulator: the customer's side of Altinn's ` +
    'system user approval (not Altinn).</small></p></body></html>'
  send(call, status, html, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
    'Cache-Control': 'no-store',
  })
}

function list(items: string[]): string {
  return items.length === 0 ? '<dd>none</dd>' : items.map((i) => `<dd>${escapeHtml(i)}</dd>`).join('')
}

function asked(rights: Right[], packages: AccessPackage[], label: string): string {
  return `<dt>${label} rights</dt>${list(resourceIds(rights))}<dt>${label} access packages</dt>${list(packages.map((p) => p.urn))}`
}

function details(store: VendorStore, r: AnyRequest): string {
  const system = store.system(r.systemId)
  const name = system?.name.nb ?? system?.name.en ?? system?.name.nn ?? r.systemId
  const what =
    r.kind === 'change'
      ? asked(r.requiredRights, r.requiredAccessPackages, 'Added') + asked(r.unwantedRights, r.unwantedAccessPackages, 'Removed')
      : asked(r.rights, r.accessPackages, r.kind === 'agent' ? 'Client' : 'Requested')
  return (
    `<dl><dt>System</dt><dd>${escapeHtml(name)} (${escapeHtml(r.systemId)})</dd>` +
    `<dt>Vendor</dt><dd>${escapeHtml(system?.vendorOrg ?? 'unknown')}</dd>` +
    `<dt>Customer</dt><dd>${escapeHtml(r.partyOrgNo)}</dd>` +
    (r.kind === 'change' ? '' : r.integrationTitle ? `<dt>Integration</dt><dd>${escapeHtml(r.integrationTitle)}</dd>` : '') +
    `${what}<dt>Status</dt><dd id="status">${escapeHtml(r.status)}</dd></dl>`
  )
}

function find(store: VendorStore, kind: string, id: string): AnyRequest | undefined {
  try {
    const r = requestById(store, id)
    return r.kind === KIND_OF_PATH[kind as keyof typeof KIND_OF_PATH] ? r : undefined
  } catch {
    return undefined
  }
}

/** GET shows the request; POST (`decision=approve|reject`) decides it. */
export async function approvalPage(call: Call, store: VendorStore): Promise<void> {
  const kind = APPROVAL_PAGE.exec(call.path)![1]!
  if (call.req.method !== 'GET' && call.req.method !== 'POST') {
    call.req.resume()
    return send(call, 405, '', { Allow: 'GET, POST' })
  }
  let decision: string | null = null
  if (call.req.method === 'POST') {
    const body = await readBody(call)
    if (body === undefined) return
    decision = new URLSearchParams(body.toString('utf8')).get('decision')
  } else call.req.resume()
  const id = call.query.get('id') ?? ''
  const r = find(store, kind, id)
  if (!r) return page(call, 404, 'No such request', '<p>The id does not refer to a request (it may have been deleted).</p>')
  if (call.req.method === 'GET') {
    const open = r.status === 'New' && !timedOut(r.created, call.state.now())
    const form = open
      ? `<form method="post"><button type="submit" name="decision" value="approve">Approve</button>` +
        '<button type="submit" name="decision" value="reject">Reject</button></form>'
      : '<p>This request can no longer be approved or rejected.</p>'
    return page(call, 200, 'Approve system access', details(store, r) + form)
  }
  if (decision !== 'approve' && decision !== 'reject') return page(call, 400, 'Choose Approve or Reject', details(store, r))
  try {
    decide(store, r.id, decision === 'approve', call.state.now())
  } catch (err) {
    if (!(err instanceof DecisionRefused)) throw err
    return page(call, 409, 'The request is not New', details(store, r))
  }
  if (r.redirectUrl) return send(call, 303, '', { Location: r.redirectUrl })
  page(call, 200, decision === 'approve' ? 'Approved' : 'Rejected', details(store, r))
}
