/**
 * The emulator's HTTP server: routing, the clock, and a close() that leaves no socket behind (hung ones included),
 * so that a test process that started it can exit.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { invalidConfig, maskTokens } from '../errors/errors.js'
import { ALTINN_JWKS, EXCHANGE_PREFIX, OPENID_CONFIGURATION, altinnJwks, exchange, openidConfiguration } from './altinn/exchange.js'
import { MAX_BODY_BYTES, sendJson, methodNotAllowed, type Call, type EmulatorState } from './call.js'
import { CONTROL_PREFIX, control } from './control.js'
import { FaultQueue } from './fault-queue.js'
import { issuerPaths } from './issuer.js'
import { jwk, metadata, token } from './maskinporten/endpoint.js'
import { APPROVAL_PAGE, approvalPage } from './altinn/approval-page.js'
import { decide } from './altinn/customer.js'
import { vendorStoreFor } from './altinn/vendor-config.js'
import { isVendorPath, vendorApi } from './altinn/vendor-routes.js'
import type { VendorStore } from './altinn/vendor-state.js'
import { OPTIONS_SHAPE, refuseUnknownFields } from './config-check.js'
import { ClientRegistry } from './registry.js'
import { ReplayMemory } from './maskinporten/replay.js'
import { TrustAnchors } from './maskinporten/certificates.js'
import { ConsentRegistry } from './maskinporten/consent.js'
import { makeSigningKey } from './tokens.js'
import type { Emulator, EmulatorConsent, EmulatorOptions, EmulatorStats } from './types.js'
import { DEFAULT_SERVICE_OWNERS, HEADERS_TIMEOUT_MS, MAX_REMEMBERED_JTIS, REQUEST_TIMEOUT_MS } from './unconfirmed.js'
import { parseOrgNummer } from '../config/orgnummer.js'

const GET_ROUTES = new Map<string, (call: Call) => void>([
  ['/.well-known/oauth-authorization-server', metadata],
  ['/jwk', jwk],
  [OPENID_CONFIGURATION, openidConfiguration],
  [ALTINN_JWKS, altinnJwks],
])

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host) || host === '::ffff:127.0.0.1'
}

function zeroStats(): EmulatorStats {
  return {
    token: { requests: 0, issued: 0, rejected: 0 },
    exchange: { requests: 0, issued: 0, rejected: 0 },
    vendor: { requests: 0, issued: 0, rejected: 0, unauthorized: 0 },
  }
}

function optionalUrl(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !URL.canParse(value)) throw invalidConfig(field, 'must be an absolute URL')
  return value
}

function checkOptions(options: EmulatorOptions) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw invalidConfig('options', 'must be an object')
  refuseUnknownFields(options, OPTIONS_SHAPE)
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw invalidConfig('port', 'must be 0 to 65535')
  const host = options.host ?? '127.0.0.1'
  if (typeof host !== 'string' || host === '') throw invalidConfig('host', 'must be a host name or address')
  const offset = options.clockOffsetSeconds ?? 0
  if (typeof offset !== 'number' || !Number.isFinite(offset)) throw invalidConfig('clockOffsetSeconds', 'must be a number')
  // The issuer is taken exactly as given (Skyporten's have no trailing slash); the Altinn URL loses one.
  const issuer = optionalUrl(options.issuer, 'issuer')
  const altinnUrl = optionalUrl(options.altinnUrl, 'altinnUrl')?.replace(/\/$/, '')
  const maxGrants = options.maxRememberedGrants ?? MAX_REMEMBERED_JTIS
  if (!Number.isSafeInteger(maxGrants) || maxGrants < 1) throw invalidConfig('maxRememberedGrants', 'must be a whole number from 1')
  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS
  if (!Number.isSafeInteger(requestTimeoutMs) || requestTimeoutMs < 100 || requestTimeoutMs > 600_000) {
    throw invalidConfig('requestTimeoutMs', 'must be a whole number of milliseconds from 100 to 600000')
  }
  return { port, host, offsetMs: offset * 1000, issuer, altinnUrl, maxGrants, requestTimeoutMs, serviceOwners: serviceOwnersOf(options.serviceOwners) }
}

function serviceOwnersOf(value: unknown): Readonly<Record<string, string>> {
  if (value === undefined) return DEFAULT_SERVICE_OWNERS
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidConfig('serviceOwners', 'must be { orgNummer: orgCode }')
  const owners: Record<string, string> = {}
  for (const [org, code] of Object.entries(value)) {
    const parsed = parseOrgNummer(org)
    if (!parsed.ok) throw invalidConfig('serviceOwners', parsed.problem)
    if (typeof code !== 'string' || !/^[a-z0-9-]{2,20}$/.test(code)) throw invalidConfig(`serviceOwners.${parsed.orgNummer}`, 'must be an org code such as "digdir"')
    owners[parsed.orgNummer] = code
  }
  return Object.freeze(owners)
}

/** A GET (or HEAD) that carries a body: refused, since no GET route reads one (unconfirmed.ts, item 23). */
function bodyOnGet(req: IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0
}

async function route(call: Call, hooks: Parameters<typeof control>[1], store: VendorStore): Promise<void> {
  const { path, req } = call
  if (path === '/token') return token(call)
  if (bodyOnGet(req)) {
    return sendJson(call, 400, { error: 'invalid_request', error_description: 'A GET request carries no body' }, { Connection: 'close' })
  }
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    req.resume()
    return sendJson(call, 413, { error: 'invalid_request', error_description: 'Request body too large' }, { Connection: 'close' })
  }
  const provider = path.startsWith(EXCHANGE_PREFIX) ? path.slice(EXCHANGE_PREFIX.length) : undefined
  if (provider !== undefined && provider !== '' && !provider.includes('/')) return exchange(call)
  if (path.startsWith(CONTROL_PREFIX) && (await control(call, hooks))) return
  if (isVendorPath(path)) return vendorApi(call, store)
  if (APPROVAL_PAGE.test(path)) return approvalPage(call, store)
  req.resume()
  // A Skyporten-style issuer (no trailing slash) publishes its metadata as an OpenID configuration too.
  const get = path === '/.well-known/openid-configuration' && !call.state.issuer.endsWith('/') ? metadata : GET_ROUTES.get(path)
  if (!get) return sendJson(call, 404, { error: 'not_found', error_description: `No such endpoint: ${maskTokens(path.slice(0, 200))}` })
  if (req.method !== 'GET') return methodNotAllowed(call, ['GET'])
  get(call)
}

/**
 * Starts a local Maskinporten + Altinn that checks grants as strictly as the real services: what it accepts,
 * Maskinporten accepts, and what Maskinporten rejects, it rejects with the same error. Its signing keys are made
 * at start (RSA 2048) and never leave the process. It also serves Altinn's vendor API for systems and system users
 * (docs/vendor-api.md) and plays the customer who approves requests (`approveRequest`, the page at the confirmUrl).
 *
 * @example
 * ```ts
 * const emu = await startEmulator({ clients: [{ clientId, orgNummer: '991825827', jwks: { keys: [jwk] }, scopes }] })
 * const token = await getAltinnToken({ clientId, kid, privateKeyPem, issuer: emu.issuer, altinnUrl: emu.altinnUrl })
 * await emu.close()
 * ```
 * @see https://docs.digdir.no/docs/Maskinporten/maskinporten_protocol_token
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const checked = checkOptions(options)
  const { port, host, issuer, altinnUrl, maxGrants, requestTimeoutMs, serviceOwners } = checked
  // Moved by advanceClock; everything reads the clock through state.now().
  let { offsetMs } = checked
  const store = vendorStoreFor(options)
  const clients = new ClientRegistry((clientId) => store.tokenSystemUsers(clientId))
  for (const client of options.clients ?? []) clients.register(client)
  const anchors = new TrustAnchors(options.certificateAuthorities)
  const now = () => Date.now() + offsetMs
  const consents = new ConsentRegistry()
  if (options.consents !== undefined && !Array.isArray(options.consents)) throw invalidConfig('consents', 'must be an array')
  for (const consent of options.consents ?? []) consents.register(consent, now() / 1000)
  const [maskinportenKey, altinnKey] = await Promise.all([makeSigningKey(), makeSigningKey(true)])
  const faults = new FaultQueue()
  const stats = zeroStats()
  const pending = new Set<{ timer: NodeJS.Timeout; resolve: (done: boolean) => void }>()
  let closed = false

  // A test server: a slow or stalled client must not hold a socket for Node's default 300 s.
  const server = createServer({
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs),
    connectionsCheckingInterval: Math.min(1_000, requestTimeoutMs),
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const bound = (server.address() as AddressInfo).port
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`
  const state: EmulatorState = {
    url,
    issuer: issuer ?? `${url}/`,
    altinnUrl: altinnUrl ?? url,
    now,
    clients,
    replay: new ReplayMemory(maxGrants),
    anchors,
    consents,
    serviceOwners,
    faults,
    stats,
    maskinportenKey,
    altinnKey,
    later: (ms) =>
      new Promise((resolve) => {
        if (closed) return resolve(false)
        const entry = { resolve, timer: setTimeout(() => (pending.delete(entry), resolve(true)), ms) }
        pending.add(entry)
      }),
  }
  // An issuer with a path (`http://host/sky`): its endpoints (`/sky/token`) are served as the root ones (`/token`).
  const aliases = issuerPaths(state.issuer)
  const hooks = {
    registerClient: (client: Parameters<Emulator['registerClient']>[0]) => void clients.register(client),
    registerConsent: (consent: EmulatorConsent) => void consents.register(consent, now() / 1000),
    injectFault: (fault: unknown) => faults.add(fault as Parameters<Emulator['injectFault']>[0]),
    clearFaults: () => faults.clear(),
    decide: (id: string, approve: boolean) => decide(store, id, approve, state.now()),
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const raw = req.url ?? '/'
    const q = raw.indexOf('?')
    const path = q < 0 ? raw : raw.slice(0, q)
    const call: Call = {
      req,
      res,
      path: aliases.get(path) ?? path,
      query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)),
      state,
    }
    route(call, hooks, store).catch(() => {
      // A bug, not a client's mistake: answer without details (they could hold a grant), keep serving.
      if (!res.headersSent) sendJson(call, 500, { error: 'server_error' })
      else res.destroy()
    })
  })
  // Malformed HTTP (bad request line, oversized headers): a bare 400; too slow: 408. The socket is closed.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy()
    // Too slow (requestTimeout / headersTimeout): 408, as Node itself would answer.
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request'
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
  })

  if (!isLoopback(host)) {
    process.stderr.write(
      `Warning: the Maskinporten emulator listens on ${host}, which is not a loopback address. It is a test ` +
        'server: never register production keys or clients on it.\n',
    )
  }

  return {
    url,
    issuer: state.issuer,
    altinnUrl: state.altinnUrl,
    registerClient: hooks.registerClient,
    registerConsent: hooks.registerConsent,
    injectFault: hooks.injectFault,
    clearFaults: hooks.clearFaults,
    advanceClock: (seconds: number) => {
      if (typeof seconds !== 'number' || !Number.isFinite(seconds)) throw invalidConfig('seconds', 'must be a number')
      offsetMs += seconds * 1000
    },
    approveRequest: (id: string) => hooks.decide(id, true),
    rejectRequest: (id: string) => hooks.decide(id, false),
    stats: () => structuredClone(stats),
    close: async () => {
      if (closed) return
      closed = true
      for (const entry of pending) {
        clearTimeout(entry.timer)
        entry.resolve(false)
      }
      pending.clear()
      const done = new Promise<void>((resolve) => server.close(() => resolve()))
      // Hung and keep-alive sockets too: close() alone would wait for them forever.
      server.closeAllConnections()
      await done
    },
  }
}
