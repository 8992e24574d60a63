/**
 * `.env` files, read the way `dotenv` and docker compose read them: `NAME=value` lines, `export ` allowed, `#`
 * comments, single quotes literal, double quotes with `\n` escapes and line breaks (a PEM fits in one).
 * Nothing here touches `process.env`: the values are one source among three (see settings.ts).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { MaskinportenError } from '../errors/errors.js'

/** The file looked for in the working directory. */
export const DOTENV_FILE = '.env'

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

function dotenvError(path: string, line: number, problem: string): MaskinportenError {
  // Only the line number: the line itself may hold a key.
  return new MaskinportenError('invalid_config', `Invalid configuration: ${path} line ${line} ${problem}`)
}

/** Parses `.env` text. Throws `invalid_config` naming the line (never quoting it) when a line is not `NAME=value`. */
export function parseDotenv(text: string, path = DOTENV_FILE): Record<string, string> {
  const result: Record<string, string> = {}
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1
    const line = lines[i]!.trim()
    if (line === '' || line.startsWith('#')) continue
    const eq = line.indexOf('=')
    if (eq < 0) throw dotenvError(path, lineNo, 'is not NAME=value')
    const name = line.slice(0, eq).replace(/^export\s+/, '').trim()
    if (!NAME.test(name)) throw dotenvError(path, lineNo, 'has a malformed variable name')
    let rest = line.slice(eq + 1).trim()
    const quote = rest[0]
    if (quote === '"' || quote === "'") {
      // A quoted value may run over several lines (a PEM pasted between double quotes).
      let body = rest.slice(1)
      while (closingIndex(body, quote) < 0 && i + 1 < lines.length) body += `\n${lines[++i]!}`
      const end = closingIndex(body, quote)
      if (end < 0) throw dotenvError(path, lineNo, `opens a ${quote} quote that is never closed`)
      const raw = body.slice(0, end)
      result[name] = quote === '"' ? unescapeDouble(raw) : raw
    } else {
      // Unquoted: a ` #` starts a comment.
      const hash = rest.search(/\s#/)
      if (hash >= 0) rest = rest.slice(0, hash).trimEnd()
      result[name] = rest
    }
  }
  return result
}

function closingIndex(body: string, quote: string): number {
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && quote === '"') i++
    else if (body[i] === quote) return i
  }
  return -1
}

function unescapeDouble(raw: string): string {
  return raw.replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c)
}

/** A `.env` file that was found and read. */
export interface Dotenv {
  path: string
  values: Record<string, string>
}

/** Reads `.env` in `dir`, or undefined when there is none. Throws `invalid_config` when it cannot be parsed. */
export function readDotenv(dir: string): Dotenv | undefined {
  const path = join(dir, DOTENV_FILE)
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new MaskinportenError('invalid_config', `Invalid configuration: ${path} cannot be read`, { cause: err })
  }
  return { path, values: parseDotenv(text, path) }
}
