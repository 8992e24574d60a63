// The default sender: a real Response from node:http, keep-alive, aborts during headers and body, socket errors.
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { after, before, test } from 'node:test'
import { nodeFetch } from '../../src/http/node-fetch.ts'
import { closedPort } from '../cli/run-cli.ts'

let handler: (req: IncomingMessage, body: string, res: ServerResponse) => void = (_req, _body, res) => res.end()
let connections = 0
const server = createServer((req, res) => {
  let body = ''
  req.setEncoding('utf8').on('data', (d: string) => (body += d))
  req.on('end', () => handler(req, body, res))
})
server.on('connection', () => connections++)
let base = ''
before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
})
after(() => {
  server.closeAllConnections()
  server.close()
})

test('POST with headers and a body: a real Response with status, headers and text', async () => {
  handler = (req, body, res) => {
    res.writeHead(201, 'Made', { 'content-type': 'application/json', 'x-seen': `${req.method} ${req.headers['content-type']} ${req.headers['content-length']}` })
    res.end(JSON.stringify({ body }))
  }
  const res = await nodeFetch(`${base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'a=1&b=%C3%A6',
  })
  assert.ok(res instanceof Response)
  assert.equal(res.status, 201)
  assert.equal(res.statusText, 'Made')
  assert.equal(res.headers.get('x-seen'), 'POST application/x-www-form-urlencoded 12')
  assert.deepEqual(await res.json(), { body: 'a=1&b=%C3%A6' })
})

test('keep-alive: requests in a row share one connection', async () => {
  handler = (_req, _body, res) => res.end('ok')
  assert.equal(await (await nodeFetch(new URL('/a', base))).text(), 'ok')
  assert.equal(await (await nodeFetch(`${base}/b`)).text(), 'ok')
  assert.equal(connections, 1, 'the first test\'s connection, still in use')
})

test('204 has a null body; URLSearchParams bodies are form-encoded', async () => {
  handler = (req, body, res) => {
    if (req.url === '/empty') res.writeHead(204).end()
    else res.end(`${req.headers['content-type']}|${body}`)
  }
  const empty = await nodeFetch(`${base}/empty`)
  assert.equal(empty.status, 204)
  assert.equal(empty.body, null)
  const form = await nodeFetch(`${base}/form`, { method: 'POST', body: new URLSearchParams({ x: 'y z' }) })
  assert.equal(await form.text(), 'application/x-www-form-urlencoded;charset=UTF-8|x=y+z')
})

test('an abort before the answer rejects with the reason; during the body, reading it rejects', async () => {
  handler = () => {} // never answers
  const early = new AbortController()
  const pending = nodeFetch(`${base}/hang`, { signal: early.signal })
  setTimeout(() => early.abort(new DOMException('timed out', 'TimeoutError')), 20)
  await assert.rejects(pending, { name: 'TimeoutError' })

  handler = (_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('half of it') // and never ends
  }
  const late = new AbortController()
  const res = await nodeFetch(`${base}/slow`, { signal: late.signal })
  const text = res.text()
  setTimeout(() => late.abort(new DOMException('timed out', 'TimeoutError')), 20)
  await assert.rejects(text)
  const gone = new AbortController()
  gone.abort(new Error('gave up'))
  await assert.rejects(nodeFetch(`${base}/x`, { signal: gone.signal }), /gave up/)
})

test('no server: the socket error with its code, as send.ts names it', async () => {
  const port = await closedPort()
  await assert.rejects(nodeFetch(`http://127.0.0.1:${port}/token`), { code: 'ECONNREFUSED' })
})

test('what it does not send itself (a Request object) goes to the global fetch', async () => {
  handler = (req, _body, res) => res.end(`via ${req.headers['user-agent'] ?? ''}`)
  const res = await nodeFetch(new Request(`${base}/r`))
  assert.match(await res.text(), /^via node/) // undici's user agent
})
