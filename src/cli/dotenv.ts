/**
 * `.env` files, read the way `dotenv` and docker compose read them: `NAME=value` lines, `export ` allowed, `#`
 * comments, single quotes literal, double quotes with `\n` escapes and line breaks (a PEM fits in one).
 * Nothing here touches `process.env`: the values are one source among three (see settings.ts).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { MaskinportenError, safeCause } from '../errors/errors.js'

/** The file looked for in the working directory. */
export const DOTENV_FILE = '.env'

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

function dotenvError(path: string, line: number, problem: string): MaskinportenError {
  // Only the line number: the line itself may hold a key.
  return new MaskinportenError('invalid_config', `Invalid configuration: ${path} line ${line} ${problem}`)
}

/** The largest `.env` read (bytes): a few variables and a PEM or two fit in a few KB. */
export const MAX_DOTENV_BYTES = 1024 * 1024

/**
 * Parses `.env` text in one pass (linear in its length, however its quotes are placed). Throws `invalid_config`
 * naming the line (never quoting it) when a line is not `NAME=value`, or the text is over {@link MAX_DOTENV_BYTES}.
 */
export function parseDotenv(text: string, path = DOTENV_FILE): Record<string, string> {
  if (text.length > MAX_DOTENV_BYTES) {
    throw new MaskinportenError('invalid_config', `Invalid configuration: ${path} is over ${MAX_DOTENV_BYTES} bytes; a .env file holds a few settings`)
  }
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
    if (eq < 0) throw dotenvError(path, lineNo, 'is not NAME=value')
    const name = line.slice(0, eq).replace(/^export\s+/, '').trim()
    if (!NAME.test(name)) throw dotenvError(path, lineNo, 'has a malformed variable name')
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
      if (close < 0) throw dotenvError(path, startLine, `opens a ${quote} quote that is never closed`)
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
  return result
}

function unescapeDouble(raw: string): string {
  return raw.replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c)
}

/** A `.env` file that was found and read. */
export interface Dotenv {
  path: string
  values: Record<string, string>
}

/**
 * Reads `.env` in `dir`, or undefined when there is none. Only a regular file of at most {@link MAX_DOTENV_BYTES}
 * is read: a FIFO or a device would block or never end. Throws `invalid_config` when it cannot be read or parsed.
 */
export function readDotenv(dir: string): Dotenv | undefined {
  const path = join(dir, DOTENV_FILE)
  const unreadable = (why: string, cause?: unknown): MaskinportenError =>
    new MaskinportenError('invalid_config', `Invalid configuration: ${path} ${why}`, cause === undefined ? {} : { cause: safeCause(cause) })
  let fd: number
  try {
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw unreadable('cannot be read', err)
  }
  let text: string
  try {
    const stats = fstatSync(fd)
    if (!stats.isFile()) throw unreadable('is not a regular file; a .env must be one')
    if (stats.size > MAX_DOTENV_BYTES) throw unreadable(`is over ${MAX_DOTENV_BYTES} bytes; a .env file holds a few settings`)
    text = readFileSync(fd, 'utf8')
  } catch (err) {
    if (err instanceof MaskinportenError) throw err
    throw unreadable('cannot be read', err)
  } finally {
    closeSync(fd)
  }
  return { path, values: parseDotenv(text, path) }
}
