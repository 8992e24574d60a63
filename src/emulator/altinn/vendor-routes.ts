/**
 * The vendor routes of Altinn's authentication API under `{altinnUrl}/authentication/api/v1` (docs/vendor-api.md
 * §1–§4): matched without regard to case as ASP.NET does, the bearer and the route's scope checked first, then the
 * body read loosely, then the handler.
 */
import { methodNotAllowed, type Call } from '../call.js'
import { withFaults } from '../faults.js'
import { changeRequestJson, createChangeRequest, deleteChangeRequest, getChangeRequest, getChangeRequestByExternalRef } from './change-requests.js'
import { sendPage } from './paging.js'
import { sendBindingProblem, sendEmpty, sendProblem } from './problem.js'
import { createRequest, deleteRequest, getRequest, getRequestByExternalRef, ownSystem, requestJson, requestsOfSystem } from './requests.js'
import { deleteSystem, getSystem, listSystems, registerSystem, replaceSystem, replaceSystemList } from './systems.js'
import { systemUserByQuery, systemUserJson, systemUsersOf } from './system-users.js'
import { authenticateVendor, owns, type RouteScope } from './vendor-auth.js'
import { BindingError, readJson } from './vendor-body.js'
import type { VendorCall } from './vendor-call.js'
import type { VendorCounters, VendorStore } from './vendor-state.js'

/** The part of the path all vendor routes share. */
export const VENDOR_API_PREFIX = '/authentication/api/v1/'

const VENDOR_ROOTS = /^\/authentication\/api\/v1\/(systemregister\/vendor|systemuser\/(request\/|changerequest\/)?vendor)(\/|$)/i

interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  pattern: RegExp
  scope: RouteScope
  body?: boolean
  handle(v: VendorCall, params: string[], body: unknown): void
}

const SEG = '([^/]+)'

function bySystem(kind: 'standard' | 'agent') {
  return (v: VendorCall, [systemId]: string[]) => {
    const system = ownSystem(v, systemId)
    if (!system) return sendProblem(v.call, '00011')
    const now = v.call.state.now()
    sendPage(v.call, requestsOfSystem(v, kind, system), (r) => requestJson(r, v.call.state.url, now))
  }
}

const ROUTES: Route[] = [
  // §1 system register
  { method: 'POST', pattern: /^systemregister\/vendor$/, scope: 'SRW', body: true, handle: (v, _, b) => registerSystem(v.call, v.store, v.vendor, b) },
  { method: 'GET', pattern: /^systemregister\/vendor$/, scope: 'SRW', handle: (v) => listSystems(v.call, v.store, v.vendor) },
  { method: 'PUT', pattern: new RegExp(`^systemregister/vendor/${SEG}/rights$`), scope: 'SRW', body: true, handle: (v, [id], b) => replaceSystemList(v.call, v.store, v.vendor, id!, 'rights', b) },
  { method: 'PUT', pattern: new RegExp(`^systemregister/vendor/${SEG}/accesspackages$`), scope: 'SRW', body: true, handle: (v, [id], b) => replaceSystemList(v.call, v.store, v.vendor, id!, 'accesspackages', b) },
  { method: 'GET', pattern: new RegExp(`^systemregister/vendor/${SEG}$`), scope: 'SRW', handle: (v, [id]) => getSystem(v.call, v.store, v.vendor, id!) },
  { method: 'PUT', pattern: new RegExp(`^systemregister/vendor/${SEG}$`), scope: 'SRW', body: true, handle: (v, [id], b) => replaceSystem(v.call, v.store, v.vendor, id!, b) },
  { method: 'DELETE', pattern: new RegExp(`^systemregister/vendor/${SEG}$`), scope: 'SRW', handle: (v, [id]) => deleteSystem(v.call, v.store, v.vendor, id!) },
  // §2 requests
  { method: 'POST', pattern: /^systemuser\/request\/vendor$/, scope: 'RQW', body: true, handle: (v, _, b) => createRequest(v, 'standard', b) },
  { method: 'POST', pattern: /^systemuser\/request\/vendor\/agent$/, scope: 'RQW', body: true, handle: (v, _, b) => createRequest(v, 'agent', b) },
  { method: 'GET', pattern: new RegExp(`^systemuser/request/vendor/bysystem/${SEG}$`), scope: 'RQR', handle: bySystem('standard') },
  { method: 'GET', pattern: new RegExp(`^systemuser/request/vendor/agent/bysystem/${SEG}$`), scope: 'RQR', handle: bySystem('agent') },
  { method: 'GET', pattern: new RegExp(`^systemuser/request/vendor/byexternalref/${SEG}/${SEG}/${SEG}$`), scope: 'RQR', handle: (v, [s, o, e]) => getRequestByExternalRef(v, 'standard', s!, o!, e!) },
  { method: 'GET', pattern: new RegExp(`^systemuser/request/vendor/agent/byexternalref/${SEG}/${SEG}/${SEG}$`), scope: 'RQR', handle: (v, [s, o, e]) => getRequestByExternalRef(v, 'agent', s!, o!, e!) },
  { method: 'GET', pattern: new RegExp(`^systemuser/request/vendor/agent/${SEG}$`), scope: 'RQR', handle: (v, [id]) => getRequest(v, 'agent', id!) },
  { method: 'DELETE', pattern: new RegExp(`^systemuser/request/vendor/agent/${SEG}$`), scope: 'RQW', handle: (v, [id]) => deleteRequest(v, 'agent', id!) },
  { method: 'GET', pattern: new RegExp(`^systemuser/request/vendor/${SEG}$`), scope: 'RQR', handle: (v, [id]) => getRequest(v, 'standard', id!) },
  { method: 'DELETE', pattern: new RegExp(`^systemuser/request/vendor/${SEG}$`), scope: 'RQW', handle: (v, [id]) => deleteRequest(v, 'standard', id!) },
  // §3 change requests
  { method: 'POST', pattern: /^systemuser\/changerequest\/vendor$/, scope: 'RQW', body: true, handle: (v, _, b) => createChangeRequest(v, b) },
  {
    method: 'GET',
    pattern: new RegExp(`^systemuser/changerequest/vendor/bysystem/${SEG}$`),
    scope: 'RQR',
    handle: (v, [systemId]) => {
      const system = ownSystem(v, systemId)
      if (!system) return sendProblem(v.call, '00011')
      const now = v.call.state.now()
      const list = [...v.store.changeRequests.values()].filter((r) => !r.deleted && r.systemId === system.id)
      sendPage(v.call, list, (r) => changeRequestJson(r, v.call.state.url, now))
    },
  },
  { method: 'GET', pattern: new RegExp(`^systemuser/changerequest/vendor/byexternalref/${SEG}/${SEG}/${SEG}$`), scope: 'RQR', handle: (v, [s, o, e]) => getChangeRequestByExternalRef(v, s!, o!, e!) },
  { method: 'GET', pattern: new RegExp(`^systemuser/changerequest/vendor/${SEG}$`), scope: 'RQR', handle: (v, [id]) => getChangeRequest(v, id!) },
  { method: 'DELETE', pattern: new RegExp(`^systemuser/changerequest/vendor/${SEG}$`), scope: 'RQW', handle: (v, [id]) => deleteChangeRequest(v, id!) },
  // §4 system users
  {
    method: 'GET',
    pattern: new RegExp(`^systemuser/vendor/bysystem/${SEG}$`),
    scope: 'SRW',
    handle: (v, [systemId]) => {
      const system = v.store.system(systemId!)
      if (!system || system.isDeleted || !owns(v.vendor, system.vendorOrg)) return sendProblem(v.call, '00011')
      sendPage(v.call, systemUsersOf(v, system), (u) => systemUserJson(u, system))
    },
  },
  { method: 'GET', pattern: /^systemuser\/vendor\/byquery$/, scope: 'RQW', handle: (v) => systemUserByQuery(v) },
]

/** True when the path is under one of the vendor API's roots. */
export function isVendorPath(path: string): boolean {
  return VENDOR_ROOTS.test(path)
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

/** Serves a vendor route; the path must be one {@link isVendorPath} accepts. */
export function vendorApi(call: Call, store: VendorStore): Promise<void> {
  return withFaults(call, 'vendor', async (c) => {
    await answer(c, store, c.state.stats.vendor)
    return c.res.statusCode < 300 ? 'issued' : 'rejected'
  })
}

async function answer(call: Call, store: VendorStore, counters: VendorCounters): Promise<void> {
  const rest = call.path.slice(VENDOR_API_PREFIX.length).replace(/\/$/, '')
  const matching = ROUTES.map((route) => ({ route, match: new RegExp(route.pattern.source, 'i').exec(rest) })).filter((m) => m.match)
  if (matching.length === 0) {
    call.req.resume()
    return sendEmpty(call, 404)
  }
  const found = matching.find((m) => m.route.method === call.req.method)
  if (!found) {
    call.req.resume()
    return methodNotAllowed(call, [...new Set(matching.map((m) => m.route.method))])
  }
  const { route, match } = found
  const vendor = authenticateVendor(call, route.scope, counters)
  if (!vendor) return
  let body: unknown
  if (route.body) {
    const read = await readJson(call)
    if (!read) return
    body = read.value
  } else call.req.resume()
  try {
    route.handle({ call, store, vendor }, match!.slice(1).map(decoded), body)
  } catch (err) {
    if (!(err instanceof BindingError)) throw err
    sendBindingProblem(call, err.field)
  }
}
