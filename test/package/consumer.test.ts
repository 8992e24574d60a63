// The package as a stranger gets it: `npm pack`, installed offline into a scratch project with nothing else, then the
// README's examples type-checked by this repository's tsc and run, under ESM (`module: nodenext`, `type: module`),
// CommonJS (`nodenext` without `type`, through require() and through import()) and `bundler` resolution. The
// examples are read from README.md (the fenced blocks after `<!-- example: NAME -->`), so the README cannot drift.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { startEmulator, type Emulator } from '../../src/emulator/index.ts'
import { generateSigningKey } from '../../src/signing/keys.ts'
import { ROOT } from '../support/paths.ts'

const TSC = join(ROOT, 'node_modules', '.bin', 'tsc')
const NPM_ENV = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' }

interface Ran {
  code: number
  stdout: string
  stderr: string
}

function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = NPM_ENV): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, env, timeout: 60_000, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
      resolve({ code, stdout, stderr })
    })
  })
}

/** The README's examples, by name. */
function readmeExamples(): Map<string, string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const examples = new Map<string, string>()
  for (const match of readme.matchAll(/<!-- example: ([\w-]+) -->\n```ts\n([\s\S]*?)```/g)) examples.set(match[1]!, match[2]!)
  return examples
}

const scratch = mkdtempSync(join(tmpdir(), 'wenche-consumer-'))
after(() => rmSync(scratch, { recursive: true, force: true }))
let packed: { files: Array<{ path: string }> }
let emu: Emulator
let exampleEnv: NodeJS.ProcessEnv

before(async () => {
  // The dist/ that `npm test` just built; --ignore-scripts: no second build through `prepare`.
  const pack = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], ROOT)
  assert.equal(pack.code, 0, pack.stderr)
  packed = (JSON.parse(pack.stdout) as Array<typeof packed>)[0]!
  const tarball = readdirSync(scratch).find((name) => name.endsWith('.tgz'))
  assert.ok(tarball, 'npm pack wrote a tarball')
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', version: '1.0.0', private: true }))
  const install = await run('npm', ['install', `./${tarball}`, '--offline', '--no-audit', '--no-fund'], scratch)
  assert.equal(install.code, 0, install.stderr)
  // The consumer's @types/node: this repository's, where TypeScript looks for it (node_modules/@types).
  mkdirSync(join(scratch, 'node_modules', '@types'), { recursive: true })
  symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(scratch, 'node_modules', '@types', 'node'), 'dir')

  const key = await generateSigningKey()
  emu = await startEmulator({
    clients: [{
      clientId: 'consumer-client',
      orgNummer: '991825827',
      jwks: { keys: [key.publicJwk] },
      scopes: ['altinn:instances.read', 'altinn:instances.write'],
      systemUsers: [{ orgNummer: '310702641' }],
    }],
  })
  const keyFile = join(scratch, 'consumer-key.pem')
  writeFileSync(keyFile, key.privateKeyPem, { mode: 0o600 })
  exampleEnv = {
    PATH: process.env.PATH,
    MASKINPORTEN_CLIENT_ID: 'consumer-client',
    MASKINPORTEN_KID: key.kid,
    MASKINPORTEN_PRIVAT_NOKKEL: keyFile,
    MASKINPORTEN_ISSUER: emu.issuer,
    ALTINN_URL: emu.altinnUrl,
  }
})
after(() => emu?.close())

test('the tarball: dist without source maps or CLI declarations, LICENSE and README; installs with no dependency', () => {
  const files = packed.files.map((f) => f.path)
  assert.ok(files.includes('LICENSE') && files.includes('README.md') && files.includes('package.json'))
  assert.ok(files.includes('dist/index.d.ts') && files.includes('dist/emulator/index.d.ts') && files.includes('dist/cli/bin.cjs') && files.includes('dist/cli/main.cjs') && !files.includes('dist/cli/main.js'))
  assert.deepEqual(files.filter((f) => f.endsWith('.map')), [], 'no source maps (their sources are not shipped)')
  // The command line ships as its CommonJS bundle (rollup.config.mjs) and the short way's modules, nothing else.
  assert.deepEqual(files.filter((f) => f.startsWith('dist/cli/') && !f.endsWith('.cjs')), [], 'no CLI declarations, no unbundled modules')
  assert.deepEqual(files.filter((f) => !f.startsWith('dist/') && !['LICENSE', 'README.md', 'package.json'].includes(f)), [])
  const installed = readdirSync(join(scratch, 'node_modules')).filter((name) => !name.startsWith('.') && name !== '@types')
  assert.deepEqual(installed, ['wenche-maskinporten'])
})

interface Kind {
  name: string
  /** package.json of the sub-project. */
  manifest: Record<string, unknown>
  compilerOptions: Record<string, unknown>
  /** README examples it compiles; the ones named in `runs` are run too. */
  examples: string[]
  runs: string[]
}

const KINDS: Kind[] = [
  {
    name: 'esm',
    manifest: { type: 'module' },
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' },
    examples: ['use-it', 'esm', 'emulator-test'],
    runs: ['esm', 'emulator-test'],
  },
  {
    name: 'cjs',
    manifest: {},
    compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext' },
    examples: ['cjs', 'cjs-import'],
    runs: ['cjs', 'cjs-import'],
  },
  {
    name: 'bundler',
    manifest: { type: 'module' },
    compilerOptions: { module: 'esnext', moduleResolution: 'bundler' },
    examples: ['use-it', 'esm', 'emulator-test'],
    runs: ['esm', 'emulator-test'],
  },
]

const EXPECTED: Record<string, RegExp> = {
  esm: /^a token of \d+ characters, valid until \d{4}-\d\d-\d\dT[\d:.]+Z\n$/,
  'emulator-test': /^# pass 1\n/m,
  cjs: /^an Altinn token of \d+ characters\n$/,
  'cjs-import': /^a Maskinporten token for 119 s\n$/,
}

for (const kind of KINDS) {
  test(`${kind.name}: the README's examples type-check with the repository's tsc and run`, async () => {
    const examples = readmeExamples()
    const dir = join(scratch, kind.name)
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `scratch-${kind.name}`, private: true, ...kind.manifest }))
    for (const name of kind.examples) {
      const code = examples.get(name)
      assert.ok(code, `README.md has the example "${name}"`)
      // `use-it` and `esm` both declare top-level names: each example is its own module (both have imports).
      writeFileSync(join(dir, `${name}.ts`), code)
    }
    // No `types`: the package's declarations must bring Node's types along themselves.
    const compilerOptions = { target: 'es2022', strict: true, skipLibCheck: false, outDir: 'out', ...kind.compilerOptions }
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: kind.examples.map((n) => `${n}.ts`) }))
    const tsc = await run(TSC, ['-p', 'tsconfig.json'], dir)
    assert.equal(tsc.code, 0, `tsc (${kind.name}):\n${tsc.stdout}${tsc.stderr}`)
    for (const name of kind.runs) {
      const ran = await run(process.execPath, [join('out', `${name}.js`)], dir, exampleEnv)
      assert.equal(ran.code, 0, `${kind.name}/${name}: ${ran.stderr}${ran.stdout}`)
      assert.match(ran.stdout, EXPECTED[name]!, `${kind.name}/${name}`)
      assert.doesNotMatch(ran.stderr, /ExperimentalWarning|Error/, `${kind.name}/${name} stderr`)
    }
  })
}

test("configFromEnv reads no .env file; node --env-file=.env, as the README shows, gives it the variables", async () => {
  const dir = join(scratch, 'esm') // compiled by the esm test above
  const dotenv = Object.entries(exampleEnv).filter(([name]) => name !== 'PATH').map(([name, value]) => `${name}=${value}`)
  writeFileSync(join(dir, '.env'), `${dotenv.join('\n')}\n`)
  const env = { PATH: process.env.PATH }
  const without = await run(process.execPath, [join('out', 'esm.js')], dir, env)
  assert.notEqual(without.code, 0)
  assert.match(without.stderr, /MASKINPORTEN_CLIENT_ID is not set/)
  const withFile = await run(process.execPath, ['--env-file=.env', join('out', 'esm.js')], dir, env)
  assert.equal(withFile.code, 0, withFile.stderr)
  assert.match(withFile.stdout, EXPECTED.esm!)
})

test('cjs under `module: node16` is refused with TS1479, as the README says; import() still compiles', async () => {
  const dir = join(scratch, 'cjs-node16')
  mkdirSync(dir, { recursive: true })
  const examples = readmeExamples()
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true }))
  writeFileSync(join(dir, 'cjs.ts'), examples.get('cjs')!)
  writeFileSync(join(dir, 'cjs-import.ts'), examples.get('cjs-import')!)
  const options = { target: 'es2022', strict: true, module: 'node16', moduleResolution: 'node16', noEmit: true }
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: ['cjs.ts', 'cjs-import.ts'] }))
  const tsc = await run(TSC, ['-p', 'tsconfig.json'], dir)
  const errors = (tsc.stdout + tsc.stderr).split('\n').filter((line) => /error TS\d+/.test(line))
  assert.ok(errors.length > 0 && errors.every((line) => line.startsWith('cjs.ts(') && line.includes('TS1479')), errors.join('\n'))
})
