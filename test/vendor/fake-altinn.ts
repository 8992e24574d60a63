// A small stand-in for Altinn's vendor API on a real http.createServer (127.0.0.1, port 0): the routes of
// docs/vendor-api.md §1–§4 with their answer shapes, enough state to run the lifecycle, and knobs for the tests
// (scripted answers, counted requests). Tokens come from the emulator; their scope claim is checked per route.
import { randomUUID } from 'node:crypto'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { decodeToken } from '../../src/exchange/token.ts'

export const SRW = 'altinn:authentication/systemregister.write'
export const RQW = 'altinn:authentication/systemuser.request.write'
export const RQR = 'altinn:authentication/systemuser.request.read'

export interface SeenRequest {
  method: string
  path: string
  query: URLSearchParams
  authorization: string | undefined
  body: unknown
}

/** A scripted answer for the next request(s) matching `method` and a path prefix. */
export interface Script {
  method?: string
  path?: string
  status: number
  body?: string
  headers?: Record<string, string>
  times: number
}

type Json = Record<string, any>

export interface FakeAltinn {
  url: string
  seen: SeenRequest[]
  systems: Map<string, Json>
  requests: Map<string, Json>
  changeRequests: Map<string, Json>
  systemUsers: Json[]
  script(s: Script): void
  approve(id: string): void
  reject(id: string): void
  /** Page size of the list routes (50, as Altinn). */
  pageSize: number
  /** The host `next` links name (another than the one asked, as Altinn's do). */
  internalHost: string
  close(): Promise<void>
}

function problem(res: ServerResponse, status: number, code: string, title: string, extra: Json = {}): void {
  res.writeHead(status, { 'content-type': 'application/problem+json' }).end(
    JSON.stringify({ type: `urn:altinn:error:${code}`, title, status, code, traceId: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00', ...extra }),
  )
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value))
}

export async function startFakeAltinn(): Promise<FakeAltinn> {
  const seen: SeenRequest[] = []
  const scripts: Script[] = []
  const systems = new Map<string, Json>()
  const requests = new Map<string, Json>()
  const changeRequests = new Map<string, Json>()
  const systemUsers: Json[] = []
  const sockets = new Set<Socket>()
  const state = { pageSize: 50, internalHost: 'http://internal.altinn.invalid:8080' }

  function page(res: ServerResponse, items: unknown[], url: URL): void {
    const start = Number(url.searchParams.get('token') ?? '0')
    const data = items.slice(start, start + state.pageSize)
    const more = start + state.pageSize < items.length
    const next = more ? `${state.internalHost}${url.pathname}?token=${start + state.pageSize}` : null
    json(res, 200, { links: { next }, data })
  }

  function route(method: string, url: URL, body: Json | undefined, scopes: Set<string>, consumer: string, res: ServerResponse): void {
    const p = url.pathname.replace(/^\/authentication\/api\/v1/, '')
    const need = (scope: string): boolean => {
      if (scopes.has(scope)) return true
      res.writeHead(403).end()
      return false
    }
    let m: RegExpExecArray | null
    if (p === '/systemregister/vendor' && method === 'POST') {
      if (!need(SRW)) return
      if (systems.has(body!.id)) return problem(res, 400, 'STD-00000', 'One or more validation errors occurred.', { validationErrors: [{ code: 'AUTH.VLD-00002', title: 'The system id already exists', paths: ['/registersystemrequest/systemid'] }] })
      systems.set(body!.id, { ...body, isDeleted: false })
      return json(res, 200, randomUUID())
    }
    if (p === '/systemregister/vendor' && method === 'GET') {
      if (!need(SRW)) return
      return json(res, 200, [...systems.values()].filter((s) => s.vendor.ID === consumer && !s.isDeleted))
    }
    if ((m = /^\/systemregister\/vendor\/([^/]+)(\/rights|\/accesspackages)?$/.exec(p))) {
      if (!need(SRW)) return
      const id = decodeURIComponent(m[1]!)
      const system = systems.get(id)
      if (!system) return void res.writeHead(404).end()
      if (method === 'GET' && !m[2]) return json(res, 200, system)
      if (method === 'PUT' && system.isDeleted) return void res.writeHead(400, { 'content-type': 'text/plain' }).end('Cannot update a system marked as deleted.')
      if (method === 'PUT' && m[2] === '/rights') return (system.rights = body), json(res, 200, { succeeded: true })
      if (method === 'PUT' && m[2] === '/accesspackages') return (system.accessPackages = body), json(res, 200, { succeeded: true })
      if (method === 'PUT') return systems.set(id, { ...body, isDeleted: false }), json(res, 200, { succeeded: true })
      if (method === 'DELETE') return (system.isDeleted = true), json(res, 200, { succeeded: true })
    }
    if (p === '/systemuser/request/vendor' && method === 'POST') {
      if (!need(RQW)) return
      if (!systems.has(body!.systemId)) return problem(res, 404, 'AUTH-00011', 'The System is not found')
      const ref = body!.externalRef ?? body!.partyOrgNo
      if (systemUsers.some((u) => u.systemId === body!.systemId && u.reporteeOrgNo === body!.partyOrgNo && u.externalRef === ref)) {
        return problem(res, 400, 'AUTH-00004', 'SystemUser already exists')
      }
      const existing = [...requests.values()].find((r) => r.systemId === body!.systemId && r.partyOrgNo === body!.partyOrgNo && r.externalRef === ref && !r.deleted)
      if (existing) return json(res, 200, existing)
      const id = randomUUID()
      const request = { id, ...body, externalRef: ref, status: 'New', confirmUrl: `https://am.ui.tt02.altinn.no/accessmanagement/ui/systemuser/request?id=${id}&DONTCHOOSEREPORTEE=true`, timedOut: false, created: new Date().toISOString() }
      requests.set(id, request)
      return json(res, 201, request)
    }
    if ((m = /^\/systemuser\/request\/vendor\/byexternalref\/([^/]+)\/(\d+)\/([^/]+)$/.exec(p)) && method === 'GET') {
      if (!need(RQR)) return
      const found = [...requests.values()].find((r) => r.systemId === decodeURIComponent(m![1]!) && r.partyOrgNo === m![2] && r.externalRef === decodeURIComponent(m![3]!) && !r.deleted)
      return found ? json(res, 200, found) : problem(res, 404, 'AUTH-00010', 'The Id does not refer to a Request in our system.')
    }
    if ((m = /^\/systemuser\/request\/vendor\/bysystem\/([^/]+)$/.exec(p)) && method === 'GET') {
      if (!need(RQR)) return
      return page(res, [...requests.values()].filter((r) => r.systemId === decodeURIComponent(m![1]!) && !r.deleted), url)
    }
    if ((m = /^\/systemuser\/request\/vendor\/([^/]+)$/.exec(p))) {
      if (!need(method === 'GET' ? RQR : RQW)) return
      const found = requests.get(m[1]!)
      if (!found || found.deleted) return problem(res, 404, 'AUTH-00010', 'The Id does not refer to a Request in our system.')
      if (method === 'GET') return json(res, 200, found)
      if (method === 'DELETE') return (found.deleted = true), void res.writeHead(202).end()
    }
    if (p === '/systemuser/changerequest/vendor' && method === 'POST') {
      if (!need(RQW)) return
      const correlation = url.searchParams.get('correlation-id')
      const userId = url.searchParams.get('system-user-id')
      if (!correlation || correlation === userId) return void res.writeHead(400, { 'content-type': 'text/plain' }).end('The correlation-id is missing or invalid')
      const user = systemUsers.find((u) => u.id === userId)
      if (!user) return problem(res, 404, 'AUTH-00015', 'The SystemUser was not found')
      const again = [...changeRequests.values()].find((c) => c.correlationId === correlation)
      if (again) return json(res, 200, again)
      const id = randomUUID()
      const change = { id, correlationId: correlation, systemUserId: userId, systemId: user.systemId, partyOrgNo: user.reporteeOrgNo, externalRef: user.externalRef, ...body, status: 'New', confirmUrl: `https://am.ui.tt02.altinn.no/accessmanagement/ui/systemuser/changerequest?id=${id}&DONTCHOOSEREPORTEE=true` }
      changeRequests.set(id, change)
      return json(res, 201, change)
    }
    if ((m = /^\/systemuser\/changerequest\/vendor\/bysystem\/([^/]+)$/.exec(p)) && method === 'GET') {
      if (!need(RQR)) return
      return page(res, [...changeRequests.values()].filter((c) => c.systemId === decodeURIComponent(m![1]!) && !c.deleted), url)
    }
    if ((m = /^\/systemuser\/changerequest\/vendor\/([^/]+)$/.exec(p))) {
      if (!need(method === 'GET' ? RQR : RQW)) return
      const found = changeRequests.get(m[1]!)
      if (!found || found.deleted) return problem(res, 404, 'AUTH-00010', 'The Id does not refer to a Request in our system.')
      if (method === 'GET') return json(res, 200, found)
      if (method === 'DELETE') return (found.deleted = true), void res.writeHead(202).end()
    }
    if ((m = /^\/systemuser\/vendor\/bysystem\/([^/]+)$/.exec(p)) && method === 'GET') {
      if (!need(SRW)) return
      return page(res, systemUsers.filter((u) => u.systemId === decodeURIComponent(m![1]!)), url)
    }
    if (p === '/systemuser/vendor/byquery' && method === 'GET') {
      if (!need(RQW)) return
      const org = url.searchParams.get('orgno')
      const ref = url.searchParams.get('external-ref') ?? org
      const found = systemUsers.find((u) => u.systemId === url.searchParams.get('system-id') && u.reporteeOrgNo === org && u.externalRef === ref)
      return found ? json(res, 200, found) : void res.writeHead(404).end()
    }
    res.writeHead(404).end()
  }

  const server = createServer((req, res) => {
    let raw = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (raw += chunk))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x')
      const method = req.method ?? 'GET'
      let body: unknown
      try {
        body = raw === '' ? undefined : JSON.parse(raw)
      } catch {
        body = raw
      }
      seen.push({ method, path: url.pathname, query: url.searchParams, authorization: req.headers.authorization, body })
      const i = scripts.findIndex((s) => (s.method === undefined || s.method === method) && (s.path === undefined || url.pathname.includes(s.path)))
      if (i >= 0) {
        const s = scripts[i]!
        if (--s.times <= 0) scripts.splice(i, 1)
        return void res.writeHead(s.status, s.headers ?? {}).end(s.body ?? '')
      }
      const auth = req.headers.authorization ?? ''
      let scopes = new Set<string>()
      let consumer = ''
      try {
        const { claims } = decodeToken(auth.replace(/^Bearer /, ''))
        scopes = new Set(String(claims.scope).split(' '))
        consumer = String((claims.consumer as { ID?: string } | undefined)?.ID ?? '')
      } catch {
        return void res.writeHead(401).end()
      }
      route(method, url, body as Json | undefined, scopes, consumer, res)
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const answer = (id: string, status: string): void => {
    const r = requests.get(id)
    if (!r) throw new Error(`no request ${id}`)
    r.status = status
    if (status === 'Accepted') {
      systemUsers.push({ id: r.id, systemId: r.systemId, reporteeOrgNo: r.partyOrgNo, externalRef: r.externalRef, integrationTitle: r.integrationTitle, created: new Date().toISOString(), isDeleted: false, userType: 'standard', accessPackages: [] })
    }
  }
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    systems,
    requests,
    changeRequests,
    systemUsers,
    script: (s) => void scripts.push({ ...s }),
    approve: (id) => answer(id, 'Accepted'),
    reject: (id) => answer(id, 'Rejected'),
    get pageSize() {
      return state.pageSize
    },
    set pageSize(n: number) {
      state.pageSize = n
    },
    get internalHost() {
      return state.internalHost
    },
    set internalHost(h: string) {
      state.internalHost = h
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
