/**
 * Masking secrets in a config failure: a passphrase or a piece of the key pasted into the wrong field is quoted by that
 * field's check, so the error is scrubbed on its way out. Shared by `resolveConfig` and `configFromEnv`, which fail in
 * the same ways and must mask the same way.
 */
import type { KeyObject } from 'node:crypto'
import { MaskinportenError } from '../errors/errors.js'
import { maskSecretEchoes, rememberSecrets } from './secret-echo.js'
import { loadSigningKey, type KeySource } from '../signing/keys.js'

/**
 * A config error with runs of the config's own key (its JWK members) masked: a piece of the key pasted into another
 * field is quoted by that field's check. The key is parsed again only here, on the way out of a failure.
 */
export function maskKeyEchoes(fields: Record<string, unknown>, err: unknown): unknown {
  if (!(err instanceof MaskinportenError) || (fields.privateKeyPem === undefined && fields.privateKey === undefined)) return err
  let key: KeyObject
  try {
    key = loadSigningKey({ privateKeyPem: fields.privateKeyPem, privateKey: fields.privateKey, passphrase: fields.passphrase } as KeySource)
  } catch {
    return err // no key to mask runs of
  }
  const holder = {}
  rememberSecrets(holder, { passphrase: fields.passphrase, key })
  return maskSecretEchoes(holder, err)
}

/** Runs `fn`; an error quoting the passphrase (pasted into another field as well) has it masked. */
export function maskingPassphrase<T>(passphrase: () => unknown, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    const secret = passphrase()
    if (err instanceof MaskinportenError && typeof secret === 'string' && secret.length >= 4 && err.message.includes(secret)) {
      throw new MaskinportenError(err.code, err.message.split(secret).join('[passphrase masked]'), err.cause === undefined ? {} : { cause: err.cause })
    }
    throw err
  }
}
