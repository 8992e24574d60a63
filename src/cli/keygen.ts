/**
 * `maskinporten keygen`: a new RSA key pair for a Maskinporten client. The private key goes to a PKCS#8 PEM file
 * (0600, in a 0700 directory when one is made); the public JWK goes to a `.json` file and stdout, ready to paste
 * into Digdir's self-service portal. The kid defaults to the JWK thumbprint, since kids must be unique across all
 * Maskinporten customers.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { DEFAULT_KEY_FILE } from '../config/config.js'
import { MaskinportenError } from '../errors/errors.js'
import { generateSigningKey } from '../signing/keys.js'
import { writeFileAtomically } from './atomic-file.js'
import type { CliContext } from './context.js'
import { oneOf, parseFlags, UsageError } from './usage.js'

/** The public JWK's file name, next to the private key. */
export const PUBLIC_JWK_FILE = 'maskinporten_public_jwk.json'

const BITS = ['2048', '3072', '4096'] as const

/** `maskinporten keygen --help`. */
export const KEYGEN_HELP = `Usage: maskinporten keygen [--out DIR] [--kid KID] [--bits 2048|3072|4096] [--force]

Makes an RSA key pair for a Maskinporten client:
  DIR/${DEFAULT_KEY_FILE}   the private key (PKCS#8 PEM, mode 0600): keep it secret
  DIR/${PUBLIC_JWK_FILE}  the public JWK to upload in Digdir's self-service portal (also printed on stdout)

  --out DIR     where to write the files (default: the current directory; made with mode 0700 if missing)
  --kid KID     key id (default: the key's RFC 7638 thumbprint, unique as Maskinporten requires)
  --bits N      RSA key size: 2048 (default; the size Digdir documents), 3072 or 4096 (allowed with a
                warning: not confirmed to be accepted by Maskinporten)
  --force       replace existing files (the old key stops working once its JWK is removed from the portal)

Example:
  maskinporten keygen --out ~/.maskinporten
`

/** Runs `maskinporten keygen`. Returns the exit code. */
export async function keygenCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseFlags('keygen', argv, {
    out: { type: 'string' },
    kid: { type: 'string' },
    bits: { type: 'string' },
    force: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
    debug: { type: 'boolean' },
  })
  if (values.help) {
    ctx.out(KEYGEN_HELP)
    return 0
  }
  if (values.kid !== undefined && !/^[\x21-\x7e]{1,200}$/.test(values.kid)) {
    throw new UsageError('--kid must be 1 to 200 printable characters without spaces', 'keygen')
  }
  const bits = Number(oneOf('keygen', 'bits', values.bits ?? '2048', BITS))
  const dir = resolve(ctx.cwd, values.out ?? '.')
  const keyFile = join(dir, DEFAULT_KEY_FILE)
  const jwkFile = join(dir, PUBLIC_JWK_FILE)
  if (!values.force) {
    const existing = [keyFile, jwkFile].filter((file) => existsSync(file))
    if (existing.length > 0) {
      throw new MaskinportenError('invalid_config', `Refusing to overwrite ${existing.join(' and ')}`, {
        hint: 'Pass --force to replace them, or --out to write elsewhere; a replaced key must be uploaded again',
      })
    }
  }

  const key = await generateSigningKey({ bits, ...(values.kid !== undefined ? { kid: values.kid } : {}) })
  // 0700 applies only to a directory made here: an existing one (the project folder, say) is the user's business.
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  writeFileAtomically(keyFile, key.privateKeyPem, 0o600)
  const jwkJson = `${JSON.stringify(key.publicJwk, null, 2)}\n`
  writeFileAtomically(jwkFile, jwkJson, 0o644)

  ctx.out(jwkJson)
  if (key.warning !== undefined) ctx.err(`Warning: ${key.warning}\n`)
  const shown = (file: string) => (relative(ctx.cwd, file).startsWith('..') ? file : relative(ctx.cwd, file))
  ctx.err(`Wrote the private key to ${shown(keyFile)} (mode 0600; keep it secret, never commit it)
Wrote the public JWK to ${shown(jwkFile)} (printed above), kid ${key.kid}

Next steps:
  1. In Digdir's self-service portal (test: https://sjolvbetjening.test.samarbeid.digdir.no,
     prod: https://sjolvbetjening.samarbeid.digdir.no) open your Maskinporten client, or create one,
     and add a key: paste the contents of ${shown(jwkFile)}. Add the scopes you need to the client.
  2. Put the client's settings in .env (or the environment):
       MASKINPORTEN_CLIENT_ID=<the client id from the portal>
       MASKINPORTEN_KID=${key.kid}
       MASKINPORTEN_PRIVAT_NOKKEL=${shown(keyFile)}
       WENCHE_ENV=test
  3. Check it:   maskinporten doctor
     Then:       maskinporten token
`)
  return 0
}
