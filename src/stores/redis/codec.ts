/**
 * A token as it lies in Redis: JSON, or with an encryption key, sealed with AES-256-GCM and bound to its cache key
 * (the key is the additional authenticated data), so that a reader of the keyspace sees no usable token and a
 * sealed value copied under another key does not open. Whatever comes back is checked for size and shape before
 * it is believed: a wrong key, a tampered or foreign value is a failure (a miss), never a token.
 *
 * @see https://nvlpubs.nist.gov/nistpubs/Legacy/SP/nistspecialpublication800-38d.pdf (GCM: 96-bit IV, 128-bit tag)
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { invalidConfig } from '../../errors/errors.js'
import type { StoredToken } from '../../client/store.js'
import { storeFailed } from './commands.js'

/** An entry is a token of a few KB; a reply larger than this is not ours. */
export const MAX_ENTRY_BYTES = 64 * 1024

/** No real token lives longer than this (Maskinporten's minutes, Altinn's 30 min): an entry saying so is forged. */
const MAX_LIFETIME_MS = 24 * 60 * 60 * 1000

/** Sealed entries start with this (and a version, so that a later format can be told apart). */
const SEALED = 'mp-gcm1:'
const IV_BYTES = 12
const TAG_BYTES = 16

/** An encryption key as given: 32 bytes, or their base64 (44 characters, as `openssl rand -base64 32` prints). */
export type EncryptionKey = Uint8Array | string

/** The 32 key bytes; throws `invalid_config` without quoting the value. */
export function encryptionKeyBytes(key: EncryptionKey): Buffer {
  let bytes: Buffer | undefined
  if (typeof key === 'string') {
    const text = key.trim()
    if (/^[A-Za-z0-9+/]{43}=?$/.test(text) || /^[A-Za-z0-9_-]{43}$/.test(text)) bytes = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64')
  } else if (key instanceof Uint8Array) {
    bytes = Buffer.from(key)
  }
  if (bytes?.length !== 32) {
    throw invalidConfig('encryptionKey', `must be 32 bytes (a Buffer, or their base64 from \`openssl rand -base64 32\`), got ${typeof key === 'string' ? `a string of ${key.length} characters` : typeof key}`)
  }
  return bytes
}

/** The entry to store for `token` under the cache key `key`. */
export function encodeEntry(token: StoredToken, key: string, secret: Buffer | undefined): string {
  const json = JSON.stringify({ accessToken: token.accessToken, tokenType: token.tokenType, scope: token.scope, obtainedAt: token.obtainedAt, expiresAt: token.expiresAt })
  if (secret === undefined) return json
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', secret, iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(Buffer.from(key, 'utf8'))
  const sealed = Buffer.concat([iv, cipher.update(json, 'utf8'), cipher.final(), cipher.getAuthTag()])
  return `${SEALED}${sealed.toString('base64url')}`
}

/** The token in an entry read under `key`; throws `token_store_failed` for anything that is not one of ours. */
export function decodeEntry(text: string, key: string, secret: Buffer | undefined): StoredToken {
  let json = text
  if (text.startsWith(SEALED)) {
    if (secret === undefined) throw storeFailed('an entry is encrypted, but this store has no encryptionKey')
    const sealed = Buffer.from(text.slice(SEALED.length), 'base64url')
    if (sealed.length < IV_BYTES + TAG_BYTES + 2) throw storeFailed('an encrypted entry is too short to be one')
    try {
      const decipher = createDecipheriv('aes-256-gcm', secret, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES })
      decipher.setAAD(Buffer.from(key, 'utf8'))
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
      json = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8')
    } catch {
      // No cause: there is nothing in it but "unable to authenticate".
      throw storeFailed('an encrypted entry does not open with this encryptionKey (another key, or altered)')
    }
  } else if (secret !== undefined) {
    // With a key, only sealed entries are believed: a plain one may have been planted by anyone who can write.
    throw storeFailed('an entry is not encrypted, but this store has an encryptionKey')
  }
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    throw storeFailed('an entry is not JSON')
  }
  return storedToken(value)
}

/** `value` when it is a plausible {@link StoredToken}. */
function storedToken(value: unknown): StoredToken {
  const v = value as Partial<Record<keyof StoredToken, unknown>> | null
  const ok =
    typeof v === 'object' &&
    v !== null &&
    typeof v.accessToken === 'string' &&
    v.accessToken.length > 0 &&
    typeof v.tokenType === 'string' &&
    v.tokenType.length <= 64 &&
    typeof v.scope === 'string' &&
    typeof v.obtainedAt === 'number' &&
    Number.isFinite(v.obtainedAt) &&
    typeof v.expiresAt === 'number' &&
    Number.isFinite(v.expiresAt) &&
    v.expiresAt > v.obtainedAt &&
    v.expiresAt - v.obtainedAt <= MAX_LIFETIME_MS
  if (!ok) throw storeFailed('an entry is not a token of ours (wrong fields, or an impossible life)')
  const t = v as StoredToken
  return { accessToken: t.accessToken, tokenType: t.tokenType, scope: t.scope, obtainedAt: t.obtainedAt, expiresAt: t.expiresAt }
}
