// The client's 'request' event against the emulator: one per request the emulator sees, retries and the exchange
// included, with the attempt numbers the 'retry' and 'fetched' events use. Counts only, never wall time.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { MaskinportenClient } from '../../src/client/client.js'
import type { ClientEvent } from '../../src/client/options.js'
import { startEmulator, type Emulator } from '../../src/emulator/index.js'
import { generateSigningKey } from '../../src/signing/keys.js'

const CUSTOMER = '310702641'
const key = await generateSigningKey()
const closers: Array<() => unknown> = []
after(async () => {
  for (const close of closers.reverse()) await close()
})

async function setup(): Promise<{ emu: Emulator; client: MaskinportenClient; requests: () => Array<Extract<ClientEvent, { type: 'request' }>>; events: ClientEvent[] }> {
  const clientId = randomUUID()
  const emu = await startEmulator({
    clients: [{ clientId, orgNummer: '991825827', jwks: { keys: [{ ...key.publicJwk }] }, scopes: ['altinn:instances.read', 'altinn:instances.write'], systemUsers: [{ orgNummer: CUSTOMER }] }],
  })
  closers.push(() => emu.close())
  const events: ClientEvent[] = []
  // No `fetch`: the default sender, as a library user gets it.
  const client = new MaskinportenClient(
    { clientId, kid: key.kid, privateKey: key.privateKey, issuer: emu.issuer, altinnUrl: emu.altinnUrl },
    { onEvent: (e) => events.push(e), retry: { baseDelayMs: 1, maxDelayMs: 5 } },
  )
  closers.push(() => client.close())
  const requests = () => events.filter((e): e is Extract<ClientEvent, { type: 'request' }> => e.type === 'request')
  return { emu, client, requests, events }
}

test('one token: one request event before the answer, attempt 1, in the foreground', async () => {
  const { emu, client, requests, events } = await setup()
  await client.getToken()
  assert.equal(emu.stats().token.requests, 1)
  const [request] = requests()
  assert.deepEqual(request, { type: 'request', key: request!.key, endpoint: 'token', attempt: 1, background: false })
  const fetched = events.findIndex((e) => e.type === 'fetched')
  assert.ok(events.indexOf(request!) < fetched, 'said before the token came')
  assert.equal((events[fetched] as { key: string }).key, request!.key)
  await client.getToken() // a cache hit sends nothing
  assert.equal(requests().length, 1)
})

test('retries: one request event per attempt, as many as the emulator saw', async () => {
  const { emu, client, requests, events } = await setup()
  emu.injectFault({ endpoint: 'token', kind: 'status', status: 503, times: 2 })
  await client.getToken()
  assert.equal(emu.stats().token.requests, 3)
  assert.deepEqual(requests().map((e) => [e.endpoint, e.attempt]), [['token', 1], ['token', 2], ['token', 3]])
  assert.deepEqual(events.filter((e) => e.type === 'retry').map((e) => (e as { attempt: number }).attempt), [1, 2])
})

test('the exchange: its own events, its retries, and its second try after a 401 with a fresh Maskinporten token', async () => {
  const { emu, client, requests } = await setup()
  emu.injectFault({ endpoint: 'exchange', kind: 'status', status: 502, times: 1 })
  emu.injectFault({ endpoint: 'exchange', kind: 'reset', times: 1 })
  await client.systemuserToken(CUSTOMER)
  assert.deepEqual(requests().map((e) => e.endpoint), ['token', 'exchange', 'exchange', 'exchange'])
  assert.deepEqual(requests().filter((e) => e.endpoint === 'exchange').map((e) => e.attempt), [1, 2, 3])

  const again = await setup()
  again.emu.injectFault({ endpoint: 'exchange', kind: 'status', status: 401, times: 1 })
  await again.client.altinnToken()
  const stats = again.emu.stats()
  assert.equal(stats.token.requests, 2, 'a fresh Maskinporten token after the 401')
  assert.equal(stats.exchange.requests, 2)
  const seen = again.requests()
  assert.equal(seen.filter((e) => e.endpoint === 'token').length, stats.token.requests)
  assert.equal(seen.filter((e) => e.endpoint === 'exchange').length, stats.exchange.requests)
  assert.deepEqual(seen.map((e) => e.endpoint), ['token', 'exchange', 'token', 'exchange'])
})

test('a background refresh says so', async () => {
  const clientId = randomUUID()
  const emu = await startEmulator({ clients: [{ clientId, orgNummer: '991825827', jwks: { keys: [{ ...key.publicJwk }] }, scopes: ['altinn:instances.read'] }] })
  closers.push(() => emu.close())
  const events: ClientEvent[] = []
  let shift = 0
  const client = new MaskinportenClient(
    { clientId, kid: key.kid, privateKey: key.privateKey, issuer: emu.issuer, altinnUrl: emu.altinnUrl },
    { onEvent: (e) => events.push(e), now: () => Date.now() + shift, refreshAhead: 0.5 },
  )
  closers.push(() => client.close())
  await client.getToken({ scope: 'altinn:instances.read' })
  shift = 80_000 // past half of the 120 s token: a hit that refreshes behind the caller's back
  await client.getToken({ scope: 'altinn:instances.read' })
  await new Promise<void>((resolve) => {
    const poll = (): void => (events.filter((e) => e.type === 'fetched').length >= 2 ? resolve() : void setTimeout(poll, 5))
    poll()
  })
  const requests = events.filter((e): e is Extract<ClientEvent, { type: 'request' }> => e.type === 'request')
  // The moved clock may cost the refresh a clock correction (one more request): counted all the same.
  assert.equal(requests.length, emu.stats().token.requests)
  assert.ok(requests.length >= 2)
  assert.deepEqual(requests.map((e) => e.background), [false, ...requests.slice(1).map(() => true)])
})
