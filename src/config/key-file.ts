/**
 * The private key file: where a path setting points, and reading it without hanging on a FIFO or swallowing a huge
 * file. Its own file because the environment reader and the CLI (keygen, settings) share the path rules, and the
 * size limit on key text is the same one the config checks apply.
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { MaskinportenError } from '../errors/errors.js'

/** Longest key text taken (characters): an RSA 4096 PEM is about 3.3 KB, encrypted a little more. */
export const MAX_KEY_CHARS = 64 * 1024

/** Default path of the private key file, as in Wenche. */
export const DEFAULT_KEY_FILE = 'maskinporten_privat.pem'

/**
 * The key file a path setting names (default {@link DEFAULT_KEY_FILE}), resolved against `cwd` (default the current
 * directory). A value that is key text rather than a path is refused without being echoed: it is a secret.
 *
 * @param variable the setting's name, for the error (`MASKINPORTEN_PRIVAT_NOKKEL`, `--key`).
 */
export function keyFilePath(path: string | undefined, cwd: string = process.cwd(), variable = 'MASKINPORTEN_PRIVAT_NOKKEL'): string {
  const value = path ?? DEFAULT_KEY_FILE
  if (value.includes('-----BEGIN') || value.includes('\n') || value.length > 1024) {
    throw envError(
      variable,
      'holds key text, not a path to a key file: put the PEM itself in MASKINPORTEN_PRIVATE_KEY, or the file name here',
    )
  }
  // `~/` as a shell would expand it: a .env file or `node --env-file` passes it on literally.
  if (value === '~' || value.startsWith('~/')) return join(homedir(), value.slice(2))
  return isAbsolute(value) ? value : resolve(cwd, value)
}

/**
 * Why a key file's text is not a PEM, when it is something else we can name: the public JWK that `keygen` writes
 * next to the private key, or a JWK at all (whose place is MASKINPORTEN_CLIENT_JWK). Undefined for anything else,
 * which the key parser judges.
 */
export function notPemProblem(text: string): string | undefined {
  const trimmed = text.trim()
  if (!trimmed.startsWith('{')) return undefined
  let jwk: unknown
  try {
    jwk = JSON.parse(trimmed)
  } catch {
    return 'holds JSON-like text, not a PEM private key'
  }
  if (jwk === null || typeof jwk !== 'object' || typeof (jwk as { kty?: unknown }).kty !== 'string') return undefined
  if ((jwk as { d?: unknown }).d === undefined) {
    return `holds a public JWK (what goes to Digdir's portal), not the private key: point it at the PEM file next to it (${DEFAULT_KEY_FILE} from \`maskinporten keygen\`)`
  }
  return 'holds a private JWK, not a PEM: put the JWK in MASKINPORTEN_CLIENT_JWK instead'
}

/**
 * A key file's text: a regular file of at most {@link MAX_KEY_CHARS} bytes. Opened without blocking, so a FIFO or a
 * device named by mistake is refused (`EFTYPE`) instead of hanging the process.
 */
export function readKeyFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  try {
    const stats = fstatSync(fd)
    if (stats.isDirectory()) throw Object.assign(new Error('a directory'), { code: 'EISDIR' })
    if (!stats.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'EFTYPE' })
    if (stats.size > MAX_KEY_CHARS) throw Object.assign(new Error('too large'), { code: 'EFBIG' })
    return readFileSync(fd, 'utf8')
  } finally {
    closeSync(fd)
  }
}

/** An `invalid_config` error naming the setting (an environment variable or a flag) that is wrong, and what to do. */
export function envError(variable: string, problem: string, cause?: unknown): MaskinportenError {
  return new MaskinportenError('invalid_config', `Invalid configuration: ${variable} ${problem}`, { cause })
}
