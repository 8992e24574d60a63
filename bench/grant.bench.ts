// Grant signing: what buildJwtGrant costs per call against a bare crypto.sign of the same bytes with the same key,
// and the signer path (the same KeyObject behind the async GrantSigner interface, as a vault adapter would be). The
// cases are run in alternating rounds and the median round is reported, so that a busy neighbour on the
// machine weighs on all three alike.
import { generateKeyPairSync, sign } from 'node:crypto'
import { buildJwtGrant, createGrant, grantParams, signGrant } from '../src/signing/grant.js'
import { keyObjectSigner } from '../src/signing/signer.js'
import { resolveConfig } from '../src/config/config.js'

const ROUNDS = 7
const PER_ROUND = 300

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

async function timeRound(fn: () => unknown): Promise<number> {
  const start = process.hrtime.bigint()
  for (let i = 0; i < PER_ROUND; i++) await fn()
  return Number(process.hrtime.bigint() - start) / PER_ROUND / 1000 // µs per op
}

export default async function bench(): Promise<void> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const privateKeyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  const config = { clientId: 'bench-client', kid: 'bench-kid', privateKeyPem, env: 'test' as const }
  const resolved = resolveConfig(config)
  const viaSigner = resolveConfig({ clientId: 'bench-client', kid: 'bench-kid', signer: keyObjectSigner(resolved.key!), env: 'test' })
  const viaCheckedSigner = resolveConfig({ clientId: 'bench-client', kid: 'bench-kid', signer: keyObjectSigner(resolved.key!), publicKey: resolved.key!, env: 'test' })
  const scope = 'altinn:instances.read altinn:instances.write'
  const params = grantParams(scope, { orgNummer: '310702641' })
  const sample = signGrant(resolved, params, Date.now())
  const signingInput = Buffer.from(sample.slice(0, sample.lastIndexOf('.')))

  const cases: Array<[string, () => unknown]> = [
    ['crypto.sign (same bytes, same KeyObject)', () => sign('sha256', signingInput, resolved.key!)],
    ['signGrant (claims, base64url, jti, sign)', () => signGrant(resolved, params, Date.now())],
    // A fresh config object each call: validation, key cache lookup (a digest of the PEM), then signing.
    ['buildJwtGrant (fresh config object each call)', () => buildJwtGrant({ ...config }, scope, { orgNummer: '310702641' })],
    // The signer path: timeout, thread-pool signing, shape check; then the same with the answer verified.
    ['createGrant, signer (KeyObject behind GrantSigner)', () => createGrant(viaSigner, params, Date.now())],
    ['createGrant, signer + publicKey verification', () => createGrant(viaCheckedSigner, params, Date.now())],
  ]
  const samples = cases.map(() => [] as number[])
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [, fn]] of cases.entries()) samples[i]!.push(await timeRound(fn))
  }
  const medians = samples.map(median)
  for (const [i, [label]] of cases.entries()) {
    console.log(`${label.padEnd(52)} ${medians[i]!.toFixed(1).padStart(7)} µs/op ${(1e6 / medians[i]!).toFixed(0).padStart(6)} ops/s`)
  }
  const [raw, inner, full, signer, checked] = medians as [number, number, number, number, number]
  console.log(
    `signGrant runs at ${((raw / inner) * 100).toFixed(1)} % of raw crypto.sign's rate, buildJwtGrant at ` +
      `${((raw / full) * 100).toFixed(1)} % (goal ≥ 90 %); median of ${ROUNDS} rounds × ${PER_ROUND}`,
  )
  console.log(
    `the signer path runs at ${((raw / signer) * 100).toFixed(1)} % of raw crypto.sign's rate ` +
      `(${((raw / checked) * 100).toFixed(1)} % with its answer verified against the public key), one grant at a time`,
  )
}
