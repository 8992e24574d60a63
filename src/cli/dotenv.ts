/**
 * `.env` files for the command line's settings: read and scanned by dotenv-text.cts (shared with the run cache),
 * worded here as configuration errors. Nothing here touches `process.env`: the values are one source among three
 * (see settings.ts).
 */
import { MaskinportenError, safeCause } from '../errors/errors.js'
import { dotenvText } from './short-way.js'

const { DOTENV_FILE, MAX_DOTENV_BYTES, readDotenvFile, scanDotenv } = dotenvText

export { DOTENV_FILE, MAX_DOTENV_BYTES }

/**
 * Parses `.env` text in one pass (linear in its length, however its quotes are placed). Throws `invalid_config`
 * naming the line (never quoting it) when a line is not `NAME=value`, or the text is over {@link MAX_DOTENV_BYTES}.
 *
 * @example
 * ```ts
 * parseDotenv('ORG_NUMMER=310702641\n') // { ORG_NUMMER: '310702641' }
 * ```
 */
export function parseDotenv(text: string, path = DOTENV_FILE): Record<string, string> {
  if (text.length > MAX_DOTENV_BYTES) {
    throw new MaskinportenError('invalid_config', `Invalid configuration: ${path} is over ${MAX_DOTENV_BYTES} bytes; a .env file holds a few settings`)
  }
  const scan = scanDotenv(text)
  // Only the line number: the line itself may hold a key.
  if ('problem' in scan) throw new MaskinportenError('invalid_config', `Invalid configuration: ${path} line ${scan.line} ${scan.problem}`)
  return scan.values
}

/** A `.env` file that was found and read. */
export interface Dotenv {
  path: string
  values: Record<string, string>
}

/**
 * Reads `.env` in `dir`, or undefined when there is none. Only a regular file of at most {@link MAX_DOTENV_BYTES}
 * is read: a FIFO or a device would block or never end. Throws `invalid_config` when it cannot be read or parsed.
 *
 * @example
 * ```ts
 * readDotenv(process.cwd())?.values.MASKINPORTEN_CLIENT_ID
 * ```
 */
export function readDotenv(dir: string): Dotenv | undefined {
  const read = readDotenvFile(dir)
  if (read === null) return undefined
  if ('text' in read) return { path: read.path, values: parseDotenv(read.text, read.path) }
  const why =
    read.failure === 'not a regular file'
      ? 'is not a regular file; a .env must be one'
      : read.failure === 'too large'
        ? `is over ${MAX_DOTENV_BYTES} bytes; a .env file holds a few settings`
        : 'cannot be read'
  throw new MaskinportenError('invalid_config', `Invalid configuration: ${read.path} ${why}`, read.cause === undefined ? {} : { cause: safeCause(read.cause) })
}
