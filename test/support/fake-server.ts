// A real HTTP server on 127.0.0.1, port 0, whose answers each test scripts: Maskinporten and Altinn as the
// library sees them, without the emulator's rules. No fetch is mocked.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface Seen {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

export type Handler = (req: Seen, res: ServerResponse) => void

export interface FakeServer {
  url: string
  seen: Seen[]
  handle(path: string, handler: Handler): void
  close(): Promise<void>
}

export async function startFakeServer(): Promise<FakeServer> {
  const handlers = new Map<string, Handler>()
  const seen: Seen[] = []
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => (body += chunk))
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body }
      seen.push(entry)
      const handler = handlers.get(new URL(entry.url, 'http://x').pathname)
      if (handler) handler(entry, res)
      else res.writeHead(404).end('not found')
    })
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    handle: (path, handler) => handlers.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** Answers JSON. */
export function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value))
}

/** Maskinporten's error shape (docs/protocol.md §3). */
export function mpError(res: ServerResponse, issuer: string, error: string, description: string, mp?: string): void {
  const body: Record<string, string> = {
    error,
    error_description: `${description} (trace_id: 0123456789abcdef0123456789abcdef)`,
  }
  if (mp) body.error_uri = `${issuer}errors/${mp}`
  json(res, 400, body)
}
