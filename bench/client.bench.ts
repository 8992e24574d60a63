// MaskinportenClient against the physical limits: signing per fetch against a bare crypto.sign, a cache hit against
// a full loopback flow (the seed's way: a new token per call), requests for 10 000 concurrent callers, and heap per
// cached token with 10 000 orgs cached, and a cold library call in a fresh process against a bare Node start (its
// sender loads neither undici nor web streams). CLIENT_BENCH_BEFORE=/path/to/an/older/dist/index.js times that
// build's cold call too, in the same rounds. Run alone with `npm run bench -- client`.
import { spawn } from 'node:child_process'
import { randomUUID, sign } from 'node:crypto'
import { join } from 'node:path'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { MaskinportenClient } from '../src/client/client.js'
import { resolveConfig } from '../src/config/config.js'
import { startEmulator } from '../src/emulator/index.js'
import { getAltinnToken, getMaskinportenToken } from '../src/flows.js'
import { grantParams, signGrant } from '../src/signing/grant.js'
import { generateSigningKey } from '../src/signing/keys.js'
import { isValidOrgNummer } from '../src/config/orgnummer.js'
import { ROOT } from '../test/support/paths.js'

const CUSTOMER = '310702641'
const SCOPE = 'altinn:instances.read altinn:instances.write'

/**
 * Nanoseconds per call of each function: the fastest of `rounds` rounds of `n` calls, the functions taken in turn
 * within each round. On a shared machine the fastest round is the one least disturbed by neighbours, and taking
 * turns makes a disturbance weigh on all alike.
 */
async function nsPerOp(fns: Array<() => unknown>, n: number, rounds = 15): Promise<number[]> {
  const per = fns.map(() => [] as number[])
  for (let r = 0; r < rounds; r++) {
    for (const [i, fn] of fns.entries()) {
      const start = process.hrtime.bigint()
      for (let k = 0; k < n; k++) await fn()
      per[i]!.push(Number(process.hrtime.bigint() - start) / n)
    }
  }
  return per.map((values) => Math.min(...values))
}

const fmt = (ns: number): string => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(0)} ns`)
const line = (label: string, value: string): void => console.log(`${label.padEnd(58)} ${value}`)

/** The global gc, switched on from inside (so `npm run bench` needs no flag). */
function gc(): () => void {
  setFlagsFromString('--expose-gc')
  return runInNewContext('gc') as () => void
}

/** Milliseconds from spawn to exit of `node args`, in a clean environment plus `env`; fails on a non-zero exit. */
function timed(args: string[], env: Record<string, string>): Promise<number> {
  const start = process.hrtime.bigint()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - start) / 1e6) : reject(new Error(`exited ${code}: ${stderr}`))))
  })
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** `count` valid org numbers (mod 11), none of them the customer of the other measurements. */
function orgNumbers(count: number): string[] {
  const out: string[] = []
  for (let n = 800_000_000; out.length < count; n++) if (isValidOrgNummer(String(n))) out.push(String(n))
  return out
}

export default async function bench(): Promise<void> {
  const key = await generateSigningKey()
  const clientId = randomUUID()
  const emu = await startEmulator({
    clients: [{ clientId, orgNummer: '991825827', jwks: { keys: [{ ...key.publicJwk }] }, scopes: SCOPE.split(' '), systemUsers: [{ orgNummer: CUSTOMER }] }],
  })
  const config = { clientId, kid: key.kid, privateKeyPem: key.privateKeyPem, issuer: emu.issuer, altinnUrl: emu.altinnUrl }
  try {
    // 1. What a fetch spends on its grant, against the bare signature with the same KeyObject.
    const resolved = resolveConfig(config)
    const params = grantParams(SCOPE, { orgNummer: CUSTOMER })
    const sample = signGrant(resolved, params, Date.now())
    const input = Buffer.from(sample.slice(0, sample.lastIndexOf('.')))
    const [raw, grant] = (await nsPerOp([() => sign('sha256', input, resolved.key!), () => signGrant(resolved, params, Date.now())], 50, 30)) as [number, number]
    line('crypto.sign, same bytes and key', fmt(raw))
    line('grant per fetch (claims, jti, base64url, sign)', `${fmt(grant)}  → ${((raw / grant) * 100).toFixed(1)} % of raw (goal ≥ 90 %)`)

    // 2. The seed's way (a new token per call, over loopback HTTP) against a cache hit.
    const seed = [() => getMaskinportenToken(config, SCOPE, { orgNummer: CUSTOMER }), () => getAltinnToken(config, SCOPE, { orgNummer: CUSTOMER })]
    const [seedToken, seedAltinn] = (await nsPerOp(seed, 40, 8)) as [number, number]
    const client = new MaskinportenClient(config)
    await client.getToken({ orgNummer: CUSTOMER })
    await client.altinnToken({ orgNummer: CUSTOMER })
    const hits = [() => client.getToken({ orgNummer: CUSTOMER }), () => client.altinnToken({ orgNummer: CUSTOMER })]
    const [hit, altinnHit] = (await nsPerOp(hits, 50_000, 10)) as [number, number]
    line('seed way: new Maskinporten token per call (loopback)', fmt(seedToken))
    line('seed way: new Maskinporten + Altinn token per call', fmt(seedAltinn))
    line('client.getToken, cache hit', `${fmt(hit)}  → ${(seedToken / hit).toFixed(0)}× cheaper (goal ≥ 1000×)`)
    line('client.altinnToken, cache hit', `${fmt(altinnHit)}  → ${(seedAltinn / altinnHit).toFixed(0)}× cheaper`)
    client.close()

    // 3. 10 000 callers at once, cold cache.
    const before = emu.stats().token.requests
    const cold = new MaskinportenClient(config)
    const started = process.hrtime.bigint()
    await Promise.all(Array.from({ length: 10_000 }, () => cold.getToken({ orgNummer: CUSTOMER })))
    const took = Number(process.hrtime.bigint() - started)
    line('10 000 concurrent callers, cold: requests made', `${emu.stats().token.requests - before} (goal 1), all served in ${fmt(took)}`)
    cold.close()

    // 4. Heap per cached token, 10 000 orgs. Tokens the size of the emulator's system user token, each distinct,
    //    from a fetch that needs no server (10 000 system users would measure the emulator, not the cache).
    const size = (await getMaskinportenToken(config, SCOPE, { orgNummer: CUSTOMER })).access_token.length
    let n = 0
    const fetch: typeof globalThis.fetch = async () =>
      Response.json({ access_token: `${String(++n).padStart(8, '0')}${'x'.repeat(size - 8)}`, token_type: 'Bearer', expires_in: 119, scope: SCOPE })
    const collect = gc()
    const orgs = orgNumbers(10_000)
    // A short pause before measuring lets the warm-up's garbage settle, so the figure is the steady state.
    const many = new MaskinportenClient({ ...config, fetch, timeoutMs: 200 })
    await many.getToken({ orgNummer: orgs[0] }) // warm up the code paths before measuring
    await new Promise((resolve) => setTimeout(resolve, 300))
    collect()
    const heapBefore = process.memoryUsage().heapUsed
    for (const orgNummer of orgs) await many.getToken({ orgNummer })
    await new Promise((resolve) => setTimeout(resolve, 300))
    collect()
    const perEntry = (process.memoryUsage().heapUsed - heapBefore) / orgs.length
    line(`heap per cached token, 10 000 orgs (token ${size} chars)`, `${(perEntry / 1024).toFixed(2)} KiB (${(perEntry - size).toFixed(0)} B beyond the token's own characters)`)
    many.close()

    // 5. A cold library call: a fresh process imports the package, gets one token from the emulator, exits.
    //    Alternating rounds against a bare start; medians.
    const builds = [{ name: 'this build', index: join(ROOT, 'dist', 'index.js'), ms: [] as number[] }]
    if (process.env.CLIENT_BENCH_BEFORE) builds.push({ name: 'before', index: process.env.CLIENT_BENCH_BEFORE, ms: [] })
    const script = (index: string): string =>
      `const { getMaskinportenToken } = await import(${JSON.stringify(index)}); await getMaskinportenToken(JSON.parse(process.env.COLD_CONFIG), ${JSON.stringify(SCOPE)})`
    const env = { COLD_CONFIG: JSON.stringify(config) }
    const bare: number[] = []
    for (let round = 0; round < 15; round++) {
      const order = round % 2 === 0 ? builds : [...builds].reverse()
      bare.push(await timed(['-e', ''], env))
      for (const build of order) build.ms.push(await timed(['--input-type=module', '-e', script(build.index)], env))
    }
    const b = median(bare)
    line("node -e '' (15 rounds, median)", `${b.toFixed(1)} ms`)
    for (const build of builds) {
      const m = median(build.ms)
      line(`${build.name}: cold getMaskinportenToken process, median`, `${m.toFixed(1)} ms  → ${(m / b).toFixed(2)}× bare, +${(m - b).toFixed(1)} ms`)
    }
  } finally {
    await emu.close()
  }
}
