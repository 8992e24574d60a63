/**
 * The run cache: a `maskinporten token` run's answer found again from its inputs alone, so that the next run with
 * the same inputs prints its token without loading the command line, the configuration, the key or the client.
 * Most runs of `$(maskinporten token)` are repeats; before this, a repeat spent most of its time loading code.
 *
 * After a run has printed a token from the file store, it leaves a small note, a *run file*, named by a SHA-256 of
 * everything its answer was worked out from: the package version, the working directory, the arguments, and the
 * variables the command can read (see {@link isRunVariable}) from the environment and from `./.env`, each with its
 * source; a passphrase counts only as set or not (it is guessable, so not even its digest is kept). The note says
 * which token file answered, how to print it, and which key file the run read, as it was then. A later run with the same inputs finds the note, reads that token file by the
 * file store's rules (cache-files.cts) and prints it if more than the margin is left; any difference in any input,
 * any doubt about a file, and the run goes the long way, which then leaves a new note.
 *
 * What the short way does not do: parse the key (a token already issued does not need it) nor check the business
 * certificate. A key given in a variable counts as any other input (its digest only); a key file must be the very
 * file the long way read (device, inode, size and modification time), else the long way runs and says what is wrong
 * with it; one others can read gets the long way's warning. No token, key or person's number goes into a note: a
 * run file holds a token file's name, a flag, the description already printed to stderr and the key file's path and
 * stamp.
 *
 * CommonJS with Node's built-ins only (see cache-files.cts): the bin (bin.cts) calls it before any ES module loads.
 */
import fs = require('node:fs')
import path = require('node:path')
import files = require('./cache-files.cjs')
import dotenvText = require('./dotenv-text.cjs')

/** This package's version (http/version.ts; a test keeps the two equal): a new version works its answers out anew. */
const PACKAGE_VERSION = '0.1.0'

/** Run files are `run-<64 hex>.json` in the cache directory, beside the token files. */
const RUN_PREFIX = 'run-'
const RUN_SUFFIX = '.json'

/** The token file a run file may point at: the file store's own names (file-store.ts). */
const TOKEN_FILE = /^token-[0-9a-f]{64}\.json$/

/** The longest description kept (characters): `a Maskinporten token as the system user of 310702641` and the like. */
const MAX_WHAT_CHARS = 300

/** The longest key file path kept: PATH_MAX on Linux. */
const MAX_PATH_CHARS = 4096

const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/

/**
 * Whether an environment variable can change what `token` answers: the package's own variables
 * (`MASKINPORTEN_*`, `WENCHE_*`, `ALTINN_*`, `ORG_NUMMER`) and where the cache and `~/` are (`XDG_CACHE_HOME`,
 * `HOME`). Others (a terminal's, a shell's) do not, so that a repeat in another shell is still a repeat. A test
 * holds every variable the command line and the configuration read to this rule.
 *
 * @example
 * ```ts
 * isRunVariable('MASKINPORTEN_SCOPES') // true
 * isRunVariable('TERM') // false
 * ```
 */
function isRunVariable(name: string): boolean {
  return /^(MASKINPORTEN|WENCHE|ALTINN)_/.test(name) || name === 'ORG_NUMMER' || name === 'HOME' || name === 'XDG_CACHE_HOME'
}

/**
 * Variables whose value is not kept in a run's key, only whether they are set: a passphrase is short enough to be
 * guessed from a digest. A changed passphrase for an unchanged key file changes nothing a token depends on; a wrong
 * one is said when the key is next used. (A key itself is long and random: its digest is as safe as the others.)
 */
const GUESSABLE = new Set(['MASKINPORTEN_PASSPHRASE'])

/** What a run's answer is worked out from. */
interface RunInputs {
  /** The arguments after `token`. */
  args: readonly string[]
  env: Record<string, string | undefined>
  cwd: string
  /** The variables in `cwd/.env`, or null when there is none. */
  dotenv: Record<string, string> | null
}

/** The variables of `vars` that count (sorted by name), key material as whether it is set. */
function runVariables(vars: Record<string, string | undefined>): Array<[string, string]> {
  const out: Array<[string, string]> = []
  for (const name of Object.keys(vars).sort()) {
    const value = vars[name]
    if (value === undefined || !isRunVariable(name)) continue
    out.push([name, GUESSABLE.has(name) ? (value.trim() === '' ? '(empty)' : '(set)') : value])
  }
  return out
}

/**
 * The SHA-256 (hex) naming a run's inputs.
 *
 * @example
 * ```ts
 * runKey({ args: ['--env', 'test'], env: process.env, cwd: process.cwd(), dotenv: null }) // '3f1c…' (64 hex)
 * ```
 */
function runKey(inputs: RunInputs): string {
  const dotenv = inputs.dotenv === null ? null : runVariables(inputs.dotenv)
  const text = JSON.stringify(['wenche-maskinporten token run', PACKAGE_VERSION, inputs.cwd, inputs.args, runVariables(inputs.env), dotenv])
  return sha256Hex(text)
}

// SHA-256 (FIPS 180-4) in a few lines rather than node:crypto, whose loading alone costs more than the rest of a
// short run (BENCHMARKS.md). Inputs are a few hundred bytes; a test holds it to node:crypto's digest.
const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
  0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
  0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
  0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]

/**
 * The SHA-256 of `text` (as UTF-8), in hex.
 *
 * @example
 * ```ts
 * sha256Hex('abc') // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 * ```
 */
function sha256Hex(text: string): string {
  const data = Buffer.from(text, 'utf8')
  const bytes = new Uint8Array(Math.ceil((data.length + 9) / 64) * 64)
  bytes.set(data)
  bytes[data.length] = 0x80
  const bits = data.length * 8
  const n = bytes.length
  for (let i = 1; i <= 8; i++) bytes[n - i] = Math.floor(bits / 2 ** (8 * (i - 1))) & 0xff
  const h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
  const w = new Int32Array(64)
  for (let offset = 0; offset < n; offset += 64) {
    for (let i = 0; i < 16; i++) {
      const j = offset + i * 4
      w[i] = (bytes[j]! << 24) | (bytes[j + 1]! << 16) | (bytes[j + 2]! << 8) | bytes[j + 3]!
    }
    for (let i = 16; i < 64; i++) {
      const x = w[i - 15]!
      const y = w[i - 2]!
      const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3)
      const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10)
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0
    }
    let [a, b, c, d, e, f, g, k] = h as [number, number, number, number, number, number, number, number]
    for (let i = 0; i < 64; i++) {
      const t1 = (k + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + K[i]! + w[i]!) | 0
      const t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0
      k = g
      g = f
      f = e
      e = (d + t1) | 0
      d = c
      c = b
      b = a
      a = (t1 + t2) | 0
    }
    const state = [a, b, c, d, e, f, g, k]
    for (let i = 0; i < 8; i++) h[i] = (h[i]! + state[i]!) | 0
  }
  return h.map((word) => (word >>> 0).toString(16).padStart(8, '0')).join('')
}

/** The run file for `key` in the cache directory `dir`. */
function runFile(dir: string, key: string): string {
  return path.join(dir, `${RUN_PREFIX}${key}${RUN_SUFFIX}`)
}

/** What a run file says. */
interface RunNote {
  /** The token file that answered (a file store name, no directory). */
  token: string
  /** Whether the run printed the `--json` response rather than the bare token. */
  json: boolean
  /** What was answered, as `Cached: …` says it: `a Maskinporten token as the system user of 310702641`. */
  what: string
  /** The key file the run read (absolute), or null when the key came from a variable. */
  keyFile: string | null
  /** That file as it was when read ({@link keyFileStamp}), or null with no key file. */
  keyStamp: string | null
}

/**
 * What identifies a key file's contents without reading them: device, inode, size, modification time. A file
 * replaced, edited or turned into something else has another stamp.
 *
 * @example
 * ```ts
 * keyFileStamp(fs.statSync('/home/kari/maskinporten_privat.pem')) // '2049:1835012:1704:1764590000123.4'
 * ```
 */
function keyFileStamp(stats: fs.Stats): string | null {
  return stats.isFile() ? `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeMs}` : null
}

/**
 * A run file's text for `note`; throws on a note that could not be read back (a long way's bug, not the user's).
 *
 * @example
 * ```ts
 * writeFileAtomically(runFile(dir, key), noteText({ token, json: false, what, keyFile: null }), 0o600)
 * ```
 */
function noteText(note: RunNote): string {
  if (parseNote(JSON.stringify(note)) === undefined) throw new Error('a run note that would not be read back')
  return `${JSON.stringify(note)}\n`
}

function parseNote(text: string): RunNote | undefined {
  let value: Partial<RunNote> | null
  try {
    value = JSON.parse(text) as Partial<RunNote> | null
  } catch {
    return undefined
  }
  if (typeof value?.token !== 'string' || !TOKEN_FILE.test(value.token)) return undefined
  if (typeof value.json !== 'boolean') return undefined
  if (typeof value.what !== 'string' || value.what.length > MAX_WHAT_CHARS || !PRINTABLE.test(value.what)) return undefined
  const { keyFile, keyStamp } = value
  if (keyFile === null) {
    if (keyStamp !== null) return undefined
  } else if (
    typeof keyFile !== 'string' ||
    keyFile.length > MAX_PATH_CHARS ||
    !path.isAbsolute(keyFile) ||
    !PRINTABLE.test(keyFile) ||
    typeof keyStamp !== 'string' ||
    !/^\d+:\d+:\d+:[\d.]+$/.test(keyStamp)
  ) {
    return undefined
  }
  return { token: value.token, json: value.json, what: value.what, keyFile, keyStamp: keyStamp ?? null }
}

/**
 * The variables of `dir/.env` as the long way reads them (dotenv.ts), null when there is none, or false when it
 * cannot be read or scanned (the long way says why).
 */
function dotenvVariables(dir: string): Record<string, string> | null | false {
  const read = dotenvText.readDotenvFile(dir)
  if (read === null) return null
  if (!('text' in read)) return false // readDotenvFile has refused what is not a regular file of at most 1 MiB
  const scan = dotenvText.scanDotenv(read.text)
  return 'values' in scan ? scan.values : false
}

/** Where a run reads and writes. */
interface RunIo {
  env: Record<string, string | undefined>
  cwd: string
  now(): number
  out(text: string): void
  err(text: string): void
}

/** What a short run prints: on stderr, then on stdout. */
interface RunAnswer {
  err: string
  out: string
}

/**
 * Answers `maskinporten token ARGS` from the run cache when a run with the same inputs left a note whose token has
 * more than the margin left: prints what the long way would print (`Cached: …` on stderr, the token or the `--json`
 * response on stdout) and returns true. Returns false, having printed nothing, whenever anything differs or is in
 * doubt. Once printing has begun there is no going back to the long way (it would print again): what `io.out` or
 * `io.err` throw is thrown.
 *
 * @example
 * ```ts
 * if (!answerFromRunCache(['--env', 'test'], { env: process.env, cwd: process.cwd(), now: Date.now, out, err })) await runTheLongWay()
 * ```
 */
function answerFromRunCache(args: readonly string[], io: RunIo): boolean {
  const answer = lookUp(args, io)
  if (answer === undefined) return false
  io.err(answer.err)
  io.out(answer.out)
  return true
}

/** What the run cache would print for this run, or undefined; never throws. */
function lookUp(args: readonly string[], io: RunIo): RunAnswer | undefined {
  try {
    const dir = files.cacheDir(io.env)
    if (!files.isOwnDir(dir)) return undefined
    const dotenv = dotenvVariables(io.cwd)
    if (dotenv === false) return undefined
    const noteFile = files.readOwnFile(runFile(dir, runKey({ args, env: io.env, cwd: io.cwd, dotenv })))
    const note = noteFile === undefined ? undefined : parseNote(noteFile)
    if (note === undefined) return undefined
    const tokenFile = files.readOwnFile(path.join(dir, note.token))
    const now = io.now()
    const token = tokenFile === undefined ? undefined : files.parseTokenFile(tokenFile, now)
    if (token === undefined || now >= token.expiresAt - files.MARGIN_MS) return undefined
    let err = ''
    if (note.keyFile !== null) {
      const stats = fs.statSync(note.keyFile, { throwIfNoEntry: false })
      if (stats === undefined || keyFileStamp(stats) !== note.keyStamp) return undefined
      err += files.keyFileWarning(note.keyFile, stats.mode) ?? ''
    }
    err += `Cached: ${note.what}, expires ${files.describeTime(token.expiresAt, now)}\n`
    return { err, out: `${note.json ? JSON.stringify(files.tokenResponse(token, now)) : token.accessToken}\n` }
  } catch {
    return undefined
  }
}

export = {
  PACKAGE_VERSION,
  RUN_PREFIX,
  isRunVariable,
  runKey,
  sha256Hex,
  runFile,
  noteText,
  keyFileStamp,
  answerFromRunCache,
}
