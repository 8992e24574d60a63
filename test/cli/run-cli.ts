// Runs the built `maskinporten` bin as a child process, unattended: no TTY, explicit stdio, a clean environment
// (nothing leaks in from the developer's own MASKINPORTEN_* variables), and a time limit instead of a hang.
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ROOT } from '../support/paths.ts'

/** The built bin, as package.json's `bin.maskinporten` names it. */
export const BIN = resolve(ROOT, 'dist/cli/bin.cjs')

const CLI_SOURCES = resolve(ROOT, 'src/cli')
let staleWarned = false

/**
 * Fails at once, with the fix, when dist/ was not built (rather than every test failing obscurely); warns when the
 * CLI's sources are newer than the build, since these tests then run yesterday's code.
 */
export function requireBuiltBin(): void {
  if (!existsSync(BIN)) {
    throw new Error(`${BIN} is missing: run \`npm run build\` before these tests (npm ci does it through prepare)`)
  }
  const built = statSync(BIN).mtimeMs
  const newer = readdirSync(CLI_SOURCES).filter((name) => statSync(join(CLI_SOURCES, name)).mtimeMs > built)
  if (newer.length > 0 && !staleWarned) {
    staleWarned = true
    process.stderr.write(`warning: src/cli/${newer[0]} is newer than ${BIN}: run \`npm run build\`\n`)
  }
}

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

export interface RunOptions {
  cwd: string
  /** Variables on top of the minimal base (PATH, HOME, CI, XDG_CACHE_HOME). */
  env?: Record<string, string>
  /** Text for stdin; without it stdin is closed (/dev/null). */
  input?: string
  timeoutMs?: number
}

/** Runs `maskinporten ...args`. HOME and XDG_CACHE_HOME point into `cwd` unless `env` says otherwise. */
export function runCli(args: string[], options: RunOptions): Promise<CliResult> {
  requireBuiltBin()
  return runBin(BIN, args, options)
}

/** Everything the run cache's short way may load (src/cli/bin.cts and the modules it requires). */
export const SHORT_WAY_FILES = ['bin.cjs', 'run-cache.cjs', 'cache-files.cjs', 'dotenv-text.cjs']

/**
 * Runs a copy of the bin that has only {@link SHORT_WAY_FILES} beside it (copied into `copyIn`): exit 0 means the
 * run cache answered with nothing else loaded; exit 1 with "cannot load the command line" that it did not.
 */
export function runShortWay(args: string[], options: RunOptions & { copyIn: string }): Promise<CliResult> {
  requireBuiltBin()
  mkdirSync(options.copyIn, { recursive: true })
  for (const name of SHORT_WAY_FILES) copyFileSync(resolve(ROOT, 'dist/cli', name), join(options.copyIn, name))
  return runBin(join(options.copyIn, 'bin.cjs'), args, options)
}

function runBin(bin: string, args: string[], options: RunOptions): Promise<CliResult> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: options.cwd,
    XDG_CACHE_HOME: join(options.cwd, '.cache'),
    CI: 'true',
    ...options.env,
  }
  const child = spawn(process.execPath, [bin, ...args], {
    cwd: options.cwd,
    env,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  if (options.input !== undefined) child.stdin!.end(options.input)
  const limit = options.timeoutMs ?? 20_000
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`maskinporten ${args.join(' ')} did not finish in ${limit} ms; stderr: ${stderr}`))
    }, limit)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolvePromise({ code, stdout, stderr })
    })
  })
}

/** A fresh temporary directory, and a function that removes it. */
export function tempDir(prefix = 'maskinporten-cli-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A loopback port that nothing listens on (not one of fetch's blocked ports, such as 1 or 9). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
