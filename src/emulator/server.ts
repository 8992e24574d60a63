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
import { ClientRegistry } from './registry.js'
import { ReplayMemory } from './maskinporten/replay.js'
import { TrustAnchors } from './maskinporten/certificates.js'
import { makeSigningKey } from './tokens.js'
import type { Emulator, EmulatorOptions, EmulatorStats } from './types.js'

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
  return { token: { requests: 0, issued: 0, rejected: 0 }, exchange: { requests: 0, issued: 0, rejected: 0 } }
}

function optionalUrl(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !URL.canParse(value)) throw invalidConfig(field, 'must be an absolute URL')
  return value
}

function checkOptions(options: EmulatorOptions) {
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw invalidConfig('port', 'must be 0 to 65535')
  const host = options.host ?? '127.0.0.1'
  if (typeof host !== 'string' || host === '') throw invalidConfig('host', 'must be a host name or address')
  const offset = options.clockOffsetSeconds ?? 0
  if (typeof offset !== 'number' || !Number.isFinite(offset)) throw invalidConfig('clockOffsetSeconds', 'must be a number')
  // The issuer is taken exactly as given (Skyporten's have no trailing slash); the Altinn URL loses one.
  const issuer = optionalUrl(options.issuer, 'issuer')
  const altinnUrl = optionalUrl(options.altinnUrl, 'altinnUrl')?.replace(/\/$/, '')
  return { port, host, offsetMs: offset * 1000, issuer, altinnUrl }
}

async function route(call: Call, hooks: Parameters<typeof control>[1]): Promise<void> {
  const { path, req } = call
  if (path === '/token') return token(call)
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    req.resume()
    return sendJson(call, 413, { error: 'invalid_request', error_description: 'Request body too large' }, { Connection: 'close' })
  }
  const provider = path.startsWith(EXCHANGE_PREFIX) ? path.slice(EXCHANGE_PREFIX.length) : undefined
  if (provider !== undefined && provider !== '' && !provider.includes('/')) return exchange(call)
  if (path.startsWith(CONTROL_PREFIX) && (await control(call, hooks))) return
  req.resume()
  const get = GET_ROUTES.get(path)
  if (!get) return sendJson(call, 404, { error: 'not_found', error_description: `No such endpoint: ${maskTokens(path.slice(0, 200))}` })
  if (req.method !== 'GET') return methodNotAllowed(call, ['GET'])
  get(call)
}

/**
 * Starts a local Maskinporten + Altinn that checks grants as strictly as the real services: what it accepts,
 * Maskinporten accepts, and what Maskinporten rejects, it rejects with the same error. Its signing keys are made
 * at start (RSA 2048) and never leave the process.
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
  const { port, host, offsetMs, issuer, altinnUrl } = checkOptions(options)
  const clients = new ClientRegistry()
  for (const client of options.clients ?? []) clients.register(client)
  const anchors = new TrustAnchors(options.certificateAuthorities)
  const [maskinportenKey, altinnKey] = await Promise.all([makeSigningKey(), makeSigningKey()])
  const faults = new FaultQueue()
  const stats = zeroStats()
  const pending = new Set<{ timer: NodeJS.Timeout; resolve: (done: boolean) => void }>()
  let closed = false

  const server = createServer()
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
    now: () => Date.now() + offsetMs,
    clients,
    replay: new ReplayMemory(),
    anchors,
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
    injectFault: (fault: unknown) => faults.add(fault as Parameters<Emulator['injectFault']>[0]),
    clearFaults: () => faults.clear(),
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
    route(call, hooks).catch(() => {
      // A bug, not a client's mistake: answer without details (they could hold a grant), keep serving.
      if (!res.headersSent) sendJson(call, 500, { error: 'server_error' })
      else res.destroy()
    })
  })
  // Malformed HTTP (bad request line, oversized headers): a bare 400, and the socket is closed.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy()
    socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
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
    injectFault: hooks.injectFault,
    clearFaults: hooks.clearFaults,
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
