// A raw TCP server speaking just enough HTTP/1.1 to misbehave on purpose: endless bodies, bombs, lies in headers.
import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'

/** One request as the raw server saw it. */
export interface RawRequest {
  method: string
  path: string
  headers: Record<string, string>
  body: string
}

/** Answers a request by writing to the socket as it likes. */
export type RawHandler = (socket: Socket, req: RawRequest) => void

/** A raw server on 127.0.0.1:0; `handle` swaps the behaviour; `requests` counts what came. */
export async function rawServer() {
  let handler: RawHandler = (socket) => socket.end('HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n')
  const requests: RawRequest[] = []
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let buffer = ''
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('latin1')
      const end = buffer.indexOf('\r\n\r\n')
      if (end < 0) return
      const [start, ...lines] = buffer.slice(0, end).split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of lines) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      const length = Number(headers['content-length'] ?? 0)
      const body = buffer.slice(end + 4)
      if (body.length < length) return
      socket.off('data', onData)
      const [method = '', path = ''] = start!.split(' ')
      const req = { method, path, headers, body: body.slice(0, length) }
      requests.push(req)
      handler(socket, req)
    }
    socket.on('data', onData)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(next: RawHandler): void {
      handler = next
    },
    async close(): Promise<void> {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A complete answer with a body and a content-length. */
export function answer(socket: Socket, status: number, body: string | Buffer, headers: Record<string, string> = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body
  const head = [`HTTP/1.1 ${status} X`, `content-length: ${bytes.length}`, 'connection: close', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]
  socket.write(`${head.join('\r\n')}\r\n\r\n`)
  socket.end(bytes)
}

/** The highest RSS seen while `run` runs (sampled every 5 ms), minus the RSS before it, in MB. */
export async function rssGrowthMb(run: () => Promise<unknown>): Promise<number> {
  const before = process.memoryUsage.rss()
  let peak = before
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss())
  }, 5)
  try {
    await run()
  } finally {
    clearInterval(timer)
    peak = Math.max(peak, process.memoryUsage.rss())
  }
  return (peak - before) / (1024 * 1024)
}
