/**
 * `.env` files, read the way `dotenv` and docker compose read them: `NAME=value` lines, `export ` allowed, `#`
 * comments, single quotes literal, double quotes with `\n` escapes and line breaks (a PEM fits in one). The reading
 * and the scanning, without the messages (dotenv.ts words those): shared by the command line's settings and the
 * run cache (run-cache.cts), so that both see the same variables in the same file.
 *
 * CommonJS with Node's built-ins only (see cache-files.cts): the run cache reads `.env` before any ES module loads.
 */
import fs = require('node:fs')
import path = require('node:path')

/** The file looked for in the working directory. */
const DOTENV_FILE = '.env'

/** The largest `.env` read (bytes): a few variables and a PEM or two fit in a few KB. */
const MAX_DOTENV_BYTES = 1024 * 1024

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** A scan's outcome: the variables, or the first line that is not one (never its text: it may hold a key). */
type DotenvScan = { values: Record<string, string> } | { line: number; problem: string }

/**
 * Scans `.env` text in one pass (linear in its length, however its quotes are placed).
 *
 * @example
 * ```ts
 * scanDotenv('ORG_NUMMER=310702641\n# a comment\n') // { values: { ORG_NUMMER: '310702641' } }
 * scanDotenv('1A=x') // { line: 1, problem: 'has a malformed variable name' }
 * ```
 */
function scanDotenv(text: string): DotenvScan {
  const result: Record<string, string> = {}
  const source = text.replace(/^\uFEFF/, '')
  let pos = 0
  let lineNo = 0
  while (pos <= source.length) {
    lineNo++
    const nl = source.indexOf('\n', pos)
    const lineEnd = nl < 0 ? source.length : nl
    const next = lineEnd + 1
    const raw = source.slice(pos, lineEnd).replace(/\r$/, '')
    const line = raw.trim()
    const lineStart = pos
    pos = next
    if (line === '' || line.startsWith('#')) continue
    const eq = line.indexOf('=')
    if (eq < 0) return { line: lineNo, problem: 'is not NAME=value' }
    const name = line.slice(0, eq).replace(/^export\s+/, '').trim()
    if (!NAME.test(name)) return { line: lineNo, problem: 'has a malformed variable name' }
    let rest = line.slice(eq + 1).trim()
    const quote = rest[0]
    if (quote === '"' || quote === "'") {
      // A quoted value may run over several lines (a PEM pasted between double quotes): scanned once, to its end.
      const open = lineStart + raw.indexOf('=') + 1 // the line's first '=' is the one after the name
      const from = source.indexOf(quote, open) + 1
      const startLine = lineNo
      let close = -1
      for (let i = from; i < source.length; i++) {
        const c = source.charCodeAt(i)
        if (c === 92 /* \\ */ && quote === '"') {
          if (source.charCodeAt(i + 1) === 10) lineNo++
          i++
        } else if (c === 10) lineNo++
        else if (source[i] === quote) {
          close = i
          break
        }
      }
      if (close < 0) return { line: startLine, problem: `opens a ${quote} quote that is never closed` }
      const value = source.slice(from, close).replace(/\r\n/g, '\n')
      result[name] = quote === '"' ? unescapeDouble(value) : value
      // What follows the closing quote on its line is ignored, as before.
      const after = source.indexOf('\n', close)
      pos = after < 0 ? source.length + 1 : after + 1
    } else {
      // Unquoted: a ` #` starts a comment.
      const hash = rest.search(/\s#/)
      if (hash >= 0) rest = rest.slice(0, hash).trimEnd()
      result[name] = rest
    }
  }
  return { values: result }
}

function unescapeDouble(raw: string): string {
  return raw.replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c)
}

/** What reading `dir/.env` came to: its text, nothing there, or why it cannot be read (with the error, if any). */
type DotenvRead =
  | { path: string; text: string }
  | { path: string; failure: 'not a regular file' | 'too large' | 'unreadable'; cause?: unknown }
  | null

/**
 * Reads `dir/.env`: null when there is none. Only a regular file of at most {@link MAX_DOTENV_BYTES} is read,
 * opened without blocking (a FIFO would wait for a writer, a device might never end). Never throws.
 *
 * @example
 * ```ts
 * const read = readDotenvFile(process.cwd())
 * if (read !== null && 'text' in read) scanDotenv(read.text)
 * ```
 */
function readDotenvFile(dir: string): DotenvRead {
  const file = path.join(dir, DOTENV_FILE)
  let fd: number
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0))
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : { path: file, failure: 'unreadable', cause: err }
  }
  try {
    const stats = fs.fstatSync(fd)
    if (!stats.isFile()) return { path: file, failure: 'not a regular file' }
    if (stats.size > MAX_DOTENV_BYTES) return { path: file, failure: 'too large' }
    return { path: file, text: fs.readFileSync(fd, 'utf8') }
  } catch (err) {
    return { path: file, failure: 'unreadable', cause: err }
  } finally {
    fs.closeSync(fd)
  }
}

export = { DOTENV_FILE, MAX_DOTENV_BYTES, scanDotenv, readDotenvFile }
