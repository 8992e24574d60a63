// The default sender (node:http, no fetch) against real servers on 127.0.0.1: statuses, headers, the size cap,
// timeouts, aborts, socket errors, answers that are not HTTP, keep-alive, and what Node refuses to send. Each case
// also runs through a caller's `fetch` where the outcome must be the same.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { gzipSync } from 'node:zlib'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { inspect } from 'node:util'
import { isFinal, MaskinportenError } from '../../src/errors/errors.js'
import { send, USER_AGENT, type HttpRequest, type HttpResponse } from '../../src/http/send.js'
import { startEmulator } from '../../src/emulator/index.js'
import { generateSigningKey } from '../../src/signing/keys.js'
import { closedPort } from '../cli/run-cli.js'
import { ROOT } from '../support/paths.js'

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void

let handler: Handler = (_req, _body, res) => res.end()
const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = []
let connections = 0
const sockets = new Set<Socket>()
const server = createServer((req, res) => {
  let body = ''
  req.setEncoding('utf8').on('data', (d: string) => (body += d))
  req.on('end', () => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body })
    handler(req, body, res)
  })
})
server.on('connection', (socket: Socket) => {
  connections++
  sockets.add(socket)
  socket.on('close', () => sockets.delete(socket))
})
let base = ''
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(() => {
  server.closeAllConnections()
  server.close()
})

/** A raw TCP server that answers every request with what `answer` writes to the socket. */
async function rawServer(answer: (socket: Socket) => void): Promise<{ url: string; close(): Promise<void> }> {
  const open = new Set<Socket>()
  const raw = createNetServer((socket) => {
    open.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => open.delete(socket))
    socket.once('data', () => answer(socket))
  })
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(raw.address() as AddressInfo).port}/token`,
    close: async () => {
      for (const socket of open) socket.destroy()
      await new Promise((resolve) => raw.close(resolve))
    },
  }
}

function request(over: Partial<HttpRequest> = {}): HttpRequest {
  return {
    url: `${base}/token`,
    method: 'GET',
    headers: {},
    timeoutMs: 2000,
    failCode: 'maskinporten_request_failed',
    service: 'Maskinporten',
    ...over,
  }
}

/** The caller's `fetch` (the global one), counting its calls. */
function countingFetch(): { fetch: typeof globalThis.fetch; calls: () => number } {
  let calls = 0
  return {
    fetch: (input, init) => {
      calls++
      return globalThis.fetch(input, init)
    },
    calls: () => calls,
  }
}

async function failure(promise: Promise<unknown>): Promise<MaskinportenError> {
  const err = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  )
  assert.ok(err instanceof MaskinportenError, `not a MaskinportenError: ${inspect(err)}`)
  return err
}

test('statuses 200-599 are answers, bodies read whole, with both senders', async () => {
  handler = (req, _body, res) => {
    const status = Number(req.url!.slice(1))
    if (status === 204 || status === 304) res.writeHead(status).end()
    else res.writeHead(status, { 'content-type': 'text/plain' }).end(`status ${status} æøå`)
  }
  const { fetch, calls } = countingFetch()
  for (const status of [200, 201, 204, 304, 400, 401, 404, 429, 500, 503, 599]) {
    const plain = await send(request({ url: `${base}/${status}` }))
    const viaFetch = await send(request({ url: `${base}/${status}`, fetch }))
    const expected = status === 204 || status === 304 ? '' : `status ${status} æøå`
    for (const res of [plain, viaFetch]) {
      assert.equal(res.status, status)
      assert.equal(res.body, expected)
    }
  }
  assert.equal(calls(), 11, "the caller's fetch sent every request of its own")
})

test('headers: read case-insensitively, repeated ones joined as Headers.get does, missing ones null', async () => {
  handler = (_req, _body, res) => {
    res.setHeader('X-Multi', ['a', 'b'])
    res.setHeader('Retry-After', '7')
    res.setHeader('Content-Type', 'application/json; charset=utf-8')
    res.end('{}')
  }
  const { fetch } = countingFetch()
  const answers: HttpResponse[] = [await send(request()), await send(request({ fetch }))]
  for (const res of answers) {
    assert.equal(res.headers.get('x-multi'), 'a, b')
    assert.equal(res.headers.get('X-MULTI'), 'a, b')
    assert.equal(res.headers.get('retry-after'), '7')
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.equal(res.headers.get('x-absent'), null)
  }
  const names = (res: HttpResponse): string[] => [...res.headers.entries()].map(([name]) => name).sort()
  assert.deepEqual(names(answers[0]!), names(answers[1]!))
})

test('what goes out: method, user-agent, content-length in bytes, the caller\'s headers, no accept-encoding', async () => {
  handler = (_req, _body, res) => res.end('ok')
  seen.length = 0
  await send(request({ method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: 'a=æ' }))
  const [req] = seen
  assert.equal(req!.method, 'POST')
  assert.equal(req!.body, 'a=æ')
  assert.equal(req!.headers['content-length'], '4')
  assert.equal(req!.headers['content-type'], 'application/x-www-form-urlencoded')
  assert.equal(req!.headers.accept, 'application/json')
  assert.equal(req!.headers['user-agent'], USER_AGENT)
  assert.equal(req!.headers['accept-encoding'], undefined, 'no encoding asked for')
  seen.length = 0
  await send(request({ headers: { 'User-Agent': 'mine/1' } }))
  assert.equal(seen[0]!.headers['user-agent'], 'mine/1', "a caller's user-agent replaces ours, not joined to it")
  assert.equal(seen[0]!.headers['content-length'], undefined, 'a GET without a body says no length')
})

test('an endless body: the final too-large error with the status, the socket destroyed, the rest not read', async () => {
  let written = 0
  let closed: Promise<void> = Promise.resolve()
  handler = (req, _body, res) => {
    closed = new Promise((resolve) => req.socket.once('close', () => resolve()))
    res.writeHead(200, { 'content-type': 'application/json' })
    const chunk = Buffer.alloc(64 * 1024, 0x61)
    const pump = (): void => {
      while (!res.destroyed && written < 64 * 1024 * 1024) {
        written += chunk.length
        if (!res.write(chunk)) return void res.once('drain', pump)
      }
    }
    res.on('error', () => {})
    pump()
  }
  const err = await failure(send(request({ maxBytes: 100_000 })))
  assert.equal(err.code, 'maskinporten_error')
  assert.equal(err.status, 200)
  assert.match(err.message, /over 100000 bytes; the rest was not read/)
  assert.ok(isFinal(err), 'too large is not retried')
  await closed
  assert.ok(written < 16 * 1024 * 1024, `the server wrote ${written} bytes before the socket was gone`)
})

test('a gzip body is not inflated: the cap counts the bytes on the wire, the body is the compressed bytes', async () => {
  const plain = 'x'.repeat(200_000)
  const zipped = gzipSync(plain)
  handler = (_req, _body, res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }).end(zipped)
  const res = await send(request({ maxBytes: 10_000 }))
  assert.ok(zipped.length < 10_000)
  assert.equal(res.status, 200)
  assert.ok(!res.body.includes('xxxx'), 'not inflated')
  assert.equal(res.headers.get('content-encoding'), 'gzip')
  // A fetch that inflates counts inflated bytes: the same answer is over the cap there.
  const err = await failure(send(request({ maxBytes: 10_000, fetch: globalThis.fetch })))
  assert.match(err.message, /over 10000 bytes/)
})

test('timeouts: headers that never come, and a body that stops half-way', async () => {
  handler = () => {} // never answers
  let err = await failure(send(request({ timeoutMs: 50 })))
  assert.equal(err.code, 'maskinporten_request_failed')
  assert.match(err.message, /No answer from Maskinporten at .* within 50 ms/)
  handler = (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' })
    res.write('{"access_token":') // and never the rest
  }
  err = await failure(send(request({ timeoutMs: 80 })))
  assert.equal(err.code, 'maskinporten_request_failed')
  assert.match(err.message, /within 80 ms/)
})

test("the caller's abort: before sending nothing goes out; while waiting, the request ends", async () => {
  handler = () => {}
  const gone = new AbortController()
  gone.abort(new Error('gave up'))
  seen.length = 0
  let err = await failure(send(request({ signal: gone.signal })))
  assert.match(err.message, /was aborted/)
  assert.equal(seen.length, 0)
  const later = new AbortController()
  const pending = send(request({ signal: later.signal, timeoutMs: 5000 }))
  setTimeout(() => later.abort(), 30)
  err = await failure(pending)
  assert.equal(err.code, 'maskinporten_request_failed')
  assert.match(err.message, /was aborted/)
})

test('connection refused: named with its code', async () => {
  const port = await closedPort()
  const err = await failure(send(request({ url: `http://127.0.0.1:${port}/token`, failCode: 'altinn_exchange_failed', service: 'Altinn' })))
  assert.equal(err.code, 'altinn_exchange_failed')
  assert.match(err.message, /Could not reach Altinn at .*: connection refused \(ECONNREFUSED\)/)
  assert.ok(!isFinal(err), 'another attempt may find the server up')
})

test('a connection reset in the middle of the body: no answer, ECONNRESET', async () => {
  const raw = await rawServer((socket) => {
    socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{"access_token":"abc')
    setTimeout(() => socket.resetAndDestroy(), 10)
  })
  try {
    const err = await failure(send(request({ url: raw.url })))
    assert.equal(err.code, 'maskinporten_request_failed')
    assert.match(err.message, /ECONNRESET/)
  } finally {
    await raw.close()
  }
})

test('answers that are not HTTP: a status outside 200-599, garbage, a status line only', async () => {
  for (const [answer, reason] of [
    ['HTTP/1.1 600 Beyond\r\ncontent-length: 2\r\n\r\nok', /no valid HTTP status \(HPE_INVALID_STATUS\)/],
    ['HTTP/1.1 099 Below\r\ncontent-length: 2\r\n\r\nok', /HPE_/],
    ['<html>not http at all</html>\r\n\r\n', /not valid HTTP \(HPE_[A-Z_]+\)/],
  ] as const) {
    const raw = await rawServer((socket) => socket.end(answer))
    try {
      const err = await failure(send(request({ url: raw.url })))
      assert.equal(err.code, 'maskinporten_request_failed', answer)
      assert.match(err.message, reason, answer)
    } finally {
      await raw.close()
    }
  }
})

test('a 3xx is an answer: the redirect is not followed', async () => {
  handler = (req, _body, res) => {
    if (req.url === '/token') res.writeHead(302, { location: `${base}/elsewhere` }).end()
    else res.end('followed')
  }
  seen.length = 0
  const res = await send(request())
  assert.equal(res.status, 302)
  assert.equal(res.headers.get('location'), `${base}/elsewhere`)
  assert.deepEqual(seen.map((s) => s.url), ['/token'])
})

test('keep-alive: two requests in a row share one connection', async () => {
  handler = (_req, _body, res) => res.end('ok')
  server.closeAllConnections()
  await new Promise((resolve) => setTimeout(resolve, 20)) // the agent drops the closed sockets
  const before = connections
  assert.equal((await send(request())).body, 'ok')
  assert.equal((await send(request({ method: 'POST', body: 'a=1' }))).body, 'ok')
  assert.equal(connections - before, 1)
})

test('a header Node will not send: a final MaskinportenError that quotes no value, nothing sent', async () => {
  handler = (_req, _body, res) => res.end('ok')
  const secret = 'Bearer s3cret-token-value'
  const cases: Array<Record<string, string>> = [{ authorization: `${secret}\r\nx-evil: 1` }, { authorization: `${secret}\u0000` }, { 'bad name': 'x' }]
  for (const headers of cases) {
    seen.length = 0
    const err = await failure(send(request({ headers, secrets: [] })))
    assert.equal(err.code, 'maskinporten_request_failed')
    assert.match(err.message, /Could not send to Maskinporten at .*: a header (value|name) .*; nothing was sent/)
    assert.ok(isFinal(err), 'it would be refused again')
    const shown = [err.message, err.stack, JSON.stringify(err), inspect(err, { depth: 6 })].join('\n')
    assert.ok(!shown.includes('s3cret'), shown)
    assert.equal(seen.length, 0)
  }
  const err = await failure(send(request({ url: 'ftp://127.0.0.1/token' })))
  assert.match(err.message, /not http or https/)
})

test("with config.fetch, the caller's fetch answers: its Response read with the same cap", async () => {
  handler = (_req, _body, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('z'.repeat(5000))
  const { fetch, calls } = countingFetch()
  const viaFetch = await send(request({ fetch }))
  const plain = await send(request())
  assert.equal(calls(), 1)
  assert.deepEqual([viaFetch.status, viaFetch.body, viaFetch.headers.get('content-type')], [plain.status, plain.body, plain.headers.get('content-type')])
  for (const over of [{ fetch }, {}]) {
    const err = await failure(send(request({ ...over, maxBytes: 4000 })))
    assert.match(err.message, /answered 200 with a body over 4000 bytes/)
  }
  assert.equal(calls(), 2)
})

test('a cold getMaskinportenToken in a fresh process loads neither undici nor web streams', async () => {
  const key = await generateSigningKey()
  const emu = await startEmulator({
    clients: [{ clientId: 'cold-client', orgNummer: '991825827', jwks: { keys: [{ ...key.publicJwk }] }, scopes: ['altinn:instances.read'] }],
  })
  try {
    const config = { clientId: 'cold-client', kid: key.kid, privateKeyPem: key.privateKeyPem, issuer: emu.issuer, altinnUrl: emu.altinnUrl }
    // Node's own start-up loads two helpers of its web streams (internal/webstreams/util, queuingstrategies) before
    // any user code: what counts is what the import and the request add to the list, and undici at all.
    const script = `
      const atStart = new Set(process.moduleLoadList)
      const { getMaskinportenToken } = await import(${JSON.stringify(join(ROOT, 'dist/index.js'))})
      const token = await getMaskinportenToken(JSON.parse(process.env.COLD_CONFIG), 'altinn:instances.read')
      const loaded = process.moduleLoadList.filter((m) => /undici/i.test(m) || (/webstreams/i.test(m) && !atStart.has(m)))
      process.stdout.write(JSON.stringify({ expiresIn: token.expires_in, loaded }))
    `
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, COLD_CONFIG: JSON.stringify(config) } })
    let out = ''
    let errOut = ''
    child.stdout.on('data', (d: Buffer) => (out += d))
    child.stderr.on('data', (d: Buffer) => (errOut += d))
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    assert.equal(code, 0, errOut)
    const result = JSON.parse(out) as { expiresIn: number; loaded: string[] }
    assert.ok(result.expiresIn > 0)
    assert.deepEqual(result.loaded, [], `loaded: ${result.loaded.join(', ')}`)
    assert.equal(emu.stats().token.issued, 1)
  } finally {
    await emu.close()
  }
})
