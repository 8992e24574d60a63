// `maskinporten token` as a process, against a bare Node start (`node -e ''`): with a warm token cache (a repeat,
// answered by the run cache: no key, no request) and a cold one (a grant, a request to the emulator, files
// written). A cold run is also set against the least any Node program can do for a token: a hand-written script,
// made here, that reads the key, signs a grant with node:crypto, posts it with node:http and writes the answer to a
// file. All are run in alternating rounds in one run and the median of each is reported, so a busy neighbour weighs
// on all alike. The environment is clean (no NODE_EXTRA_CA_CERTS or NODE_OPTIONS, which add to every start and hide
// the gap).
// CLI_BENCH_BEFORE=/path/to/another/dist/cli/bin.cjs (main.js for builds before the bin) times that build too, in the same rounds, for a before/after.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmulator } from '../src/emulator/index.js'
import { generateSigningKey } from '../src/signing/keys.js'
import { ROOT } from '../test/support/paths.js'

const ROUNDS = 15
const QUICK_PER_ROUND = 3
const BIN = join(ROOT, 'dist', 'cli', 'bin.cjs')

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** Milliseconds from spawn to exit; fails on a non-zero exit. */
function timed(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const start = process.hrtime.bigint()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`))
      else resolve(Number(process.hrtime.bigint() - start) / 1e6)
    })
  })
}

/** The least a program can do for a cold token: CommonJS, no checks, one request, the answer in a file. */
const FLOOR = `const fs = require('node:fs'), crypto = require('node:crypto'), http = require('node:http')
const env = process.env, now = Math.floor(Date.now() / 1000)
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url')
const key = crypto.createPrivateKey(fs.readFileSync(env.MASKINPORTEN_PRIVAT_NOKKEL))
const input = b64({ alg: 'RS256', kid: env.MASKINPORTEN_KID }) + '.' + b64({ aud: env.MASKINPORTEN_ISSUER, iss: env.MASKINPORTEN_CLIENT_ID,
  scope: 'altinn:instances.read altinn:instances.write', iat: now, exp: now + 100, jti: crypto.randomUUID() })
const body = 'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=' + input + '.' + crypto.sign('sha256', Buffer.from(input), key).toString('base64url')
const req = http.request(env.MASKINPORTEN_ISSUER + 'token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': body.length } }, (res) => {
  let text = ''
  res.setEncoding('utf8').on('data', (d) => (text += d)).on('end', () => {
    if (res.statusCode !== 200) throw new Error(text)
    fs.mkdirSync(env.XDG_CACHE_HOME, { recursive: true, mode: 0o700 })
    fs.writeFileSync(env.XDG_CACHE_HOME + '/token.json', text, { mode: 0o600 })
    process.stdout.write(JSON.parse(text).access_token + '\\n')
  })
})
req.end(body)
`

export default async function bench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cli-bench-'))
  const key = await generateSigningKey()
  const emu = await startEmulator({
    clients: [{ clientId: 'bench-cli', orgNummer: '991825827', jwks: { keys: [key.publicJwk] }, scopes: ['altinn:instances.read', 'altinn:instances.write'] }],
  })
  try {
    const keyFile = join(dir, 'maskinporten_privat.pem')
    writeFileSync(keyFile, key.privateKeyPem, { mode: 0o600 })
    const base = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      MASKINPORTEN_CLIENT_ID: 'bench-cli',
      MASKINPORTEN_KID: key.kid,
      MASKINPORTEN_PRIVAT_NOKKEL: keyFile,
      MASKINPORTEN_ISSUER: emu.issuer,
      ALTINN_URL: emu.altinnUrl,
    }
    const builds = [{ name: 'this build', bin: BIN }]
    if (process.env.CLI_BENCH_BEFORE) builds.push({ name: 'before', bin: process.env.CLI_BENCH_BEFORE })
    const floorScript = join(dir, 'floor.cjs')
    writeFileSync(floorScript, FLOOR)
    const bare: number[] = []
    const floor: number[] = []
    const times = builds.map((build, i) => ({ ...build, warmEnv: { ...base, XDG_CACHE_HOME: join(dir, `warm-${i}`) }, warm: [] as number[], cold: [] as number[] }))
    for (const t of times) await timed([t.bin, 'token'], t.warmEnv) // fills its warm cache
    for (let round = 0; round < ROUNDS; round++) {
      // The quick runs are the noisiest for their size: three of each per round, in turn.
      for (let i = 0; i < QUICK_PER_ROUND; i++) {
        bare.push(await timed(['-e', ''], base))
        for (const t of times) t.warm.push(await timed([t.bin, 'token'], t.warmEnv))
      }
      const floorDir = join(dir, `floor-${round}`)
      floor.push(await timed([floorScript], { ...base, XDG_CACHE_HOME: floorDir }))
      rmSync(floorDir, { recursive: true, force: true })
      for (const t of times) {
        const coldDir = join(dir, `cold-${round}`)
        t.cold.push(await timed([t.bin, 'token'], { ...base, XDG_CACHE_HOME: coldDir }))
        rmSync(coldDir, { recursive: true, force: true })
      }
    }
    const b = median(bare)
    const range = (values: number[]) => `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}`
    console.log(`${ROUNDS} alternating rounds (${QUICK_PER_ROUND} bare and warm runs in each), medians (min–max):`)
    const f = median(floor)
    console.log(`  node -e ''                                  ${b.toFixed(1)} ms (${range(bare)})`)
    console.log(`  hand-written cold token (floor)             ${f.toFixed(1)} ms (${range(floor)})  ${(f / b).toFixed(2)}× bare`)
    for (const t of times) {
      const [w, c] = [median(t.warm), median(t.cold)]
      console.log(`  ${t.name.padEnd(10)} token, warm cache   ${w.toFixed(1)} ms (${range(t.warm)})  ${(w / b).toFixed(2)}× bare   goal ≤ 1.2×`)
      console.log(`  ${t.name.padEnd(10)} token, cold cache   ${c.toFixed(1)} ms (${range(t.cold)})  ${(c / w).toFixed(2)}× its warm, ${(c / b).toFixed(2)}× bare, ${(c / f).toFixed(2)}× the floor   goal ≤ 1.5× warm`)
    }
    console.log(`  emulator: ${emu.stats().token.issued} tokens issued (a warm-up + ${ROUNDS} cold per build, ${ROUNDS} for the floor)`)
  } finally {
    await emu.close()
    rmSync(dir, { recursive: true, force: true })
  }
}
