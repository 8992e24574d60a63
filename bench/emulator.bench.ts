/**
 * The emulator's throughput: validated grants per second (each one decoded, verified, checked by every rule, and
 * answered with a freshly signed token) with a few concurrent clients over loopback HTTP.
 *
 * Grants are signed before the clock starts, so the figure is the emulator's work plus HTTP, not the clients'
 * signing. Client and emulator share this process (and its cores), as they do in a user's test suite.
 */
import { randomUUID, sign } from 'node:crypto'
import { generateSigningKey } from '../src/signing/keys.js'
import { startEmulator } from '../src/emulator/index.js'

const CLIENTS = 8
const GRANTS = 3000
const ROUNDS = 3
const WARM_UP = 50

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

export default async function emulatorBench(): Promise<void> {
  const key = await generateSigningKey()
  const emu = await startEmulator({
    clients: [{ clientId: 'bench', orgNummer: '991825827', jwks: { keys: [key.publicJwk] }, scopes: ['altinn:instances.read'] }],
  })
  const body = (assertion: string) =>
    new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString()
  const makeGrants = (n: number) => {
    const iat = Math.floor(Date.now() / 1000)
    const header = b64({ alg: 'RS256', kid: key.kid })
    return Array.from({ length: n }, () => {
      const claims = { aud: emu.issuer, iss: 'bench', sub: 'bench', scope: 'altinn:instances.read', iat, exp: iat + 119, jti: randomUUID() }
      const input = `${header}.${b64(claims)}`
      return body(`${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`)
    })
  }
  const send = async (form: string) => {
    const res = await fetch(`${emu.issuer}token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    })
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(`emulator answered ${res.status}`)
  }
  try {
    await Promise.all(makeGrants(WARM_UP).map(send)) // warm-up: JIT, sockets
    const rates: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const queue = makeGrants(GRANTS)
      const started = performance.now()
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          for (let form = queue.pop(); form !== undefined; form = queue.pop()) await send(form)
        }),
      )
      rates.push(GRANTS / ((performance.now() - started) / 1000))
    }
    const { token } = emu.stats()
    const best = Math.max(...rates)
    console.log(`validated grants per second, ${CLIENTS} concurrent clients, ${GRANTS} grants per round:`)
    console.log(`  rounds: ${rates.map((r) => r.toFixed(0)).join(', ')} /s; best ${best.toFixed(0)} /s (${(1000 / best).toFixed(2)} ms per grant)`)
    console.log(`  tokens issued ${token.issued} (${WARM_UP} warm-up + ${ROUNDS} × ${GRANTS}), rejected ${token.rejected} (every grant must pass)`)
  } finally {
    await emu.close()
  }
}
