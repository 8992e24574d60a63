/**
 * Signers whose key never enters the process (a cloud KMS, an HSM): the interface, a call to one that is bounded in
 * time and checked before its answer is used, and a signer over a `KeyObject` (for tests, benchmarks, PKCS#11
 * wrappers that hand out key objects).
 *
 * @see docs/certificates.md
 */
import { sign as signCb, verify, type KeyObject } from 'node:crypto'
import { types } from 'node:util'
import { MaskinportenError, scrub } from '../errors/errors.js'

/**
 * Signs grants without handing the key to this library: Azure Key Vault, AWS KMS, Google Cloud KMS, an HSM. The
 * grant is built exactly as with a key; only its signature comes from `sign`.
 *
 * @example
 * ```ts
 * const signer: GrantSigner = {
 *   kid: 'vault-key-2026',
 *   async sign(data) {
 *     const digest = createHash('sha256').update(data).digest()
 *     return vault.signDigest('RS256', digest) // RSASSA-PKCS1-v1_5 with SHA-256
 *   },
 * }
 * const client = new MaskinportenClient({ clientId, signer, env: 'test' })
 * ```
 */
export interface GrantSigner {
  /** The key id registered on the client in Digdir's portal. Instead of the config's `kid`; not with `x5c`. */
  kid?: string
  /** A business certificate chain as the grant header's `x5c`: standard base64 DER, leaf first. Not with `kid`. */
  x5c?: readonly string[]
  /** Only `RS256` (RSASSA-PKCS1-v1_5 with SHA-256), the default. */
  alg?: 'RS256'
  /**
   * The RS256 signature of `data` (the JWS signing input, ASCII): the raw signature bytes, as long as the key's
   * modulus (256 bytes for RSA 2048). Called once per grant. `signal` aborts when the library stops waiting.
   */
  sign(data: Uint8Array, options?: { signal: AbortSignal }): Promise<Uint8Array>
}

/** Default time a signer may take (milliseconds) when the config gives no `timeoutMs`. */
export const DEFAULT_SIGNER_TIMEOUT_MS = 15_000

/** Signature lengths of the RSA keys Maskinporten may accept (2048, 3072, 4096 bits), when no key is known. */
const RSA_SIGNATURE_BYTES: ReadonlySet<number> = new Set([256, 384, 512])

/**
 * A {@link GrantSigner} over a private `KeyObject`, signing in libuv's thread pool. For tests and benchmarks, and
 * for key stores (PKCS#11 bridges) that hand out key objects.
 *
 * @example
 * ```ts
 * const signer = keyObjectSigner(privateKey, { kid: 'my-kid' })
 * ```
 */
export function keyObjectSigner(key: KeyObject, header: { kid?: string; x5c?: readonly string[] } = {}): GrantSigner {
  // Read once, here: a header whose getters or Proxy traps throw is refused now, not in the middle of a request.
  let kid: unknown, x5c: unknown
  try {
    if (header !== undefined && (header === null || typeof header !== 'object')) throw new TypeError()
    ;({ kid, x5c } = header ?? {})
  } catch {
    throw new MaskinportenError('invalid_config', 'Invalid configuration: keyObjectSigner header must be an object { kid?, x5c? } that can be read')
  }
  return {
    ...(kid === undefined ? {} : { kid: kid as string }),
    ...(x5c === undefined ? {} : { x5c: x5c as readonly string[] }),
    sign: (data) =>
      new Promise((resolve, reject) => {
        signCb('sha256', data, key, (err, signature) => (err ? reject(err) : resolve(signature)))
      }),
  }
}

function signFailed(problem: string, cause?: unknown): MaskinportenError {
  return new MaskinportenError('jwt_sign_failed', `The grant signer failed: ${problem}`, cause === undefined ? {} : { cause })
}

/**
 * The cause of a signer's failure, fit to keep: its name and message only, scrubbed of tokens, URL credentials and
 * the bytes it was given (a vault SDK's error may quote its request). No stack, no nested objects.
 */
function scrubbedCause(err: unknown, input: string): Error {
  const name = err instanceof Error ? err.name : typeof err
  const raw = err instanceof Error ? err.message : typeof err === 'string' ? err : ''
  const keyLike = /-----BEGIN|PRIVATE KEY|"(d|p|q|dp|dq|qi)"\s*:/.test(raw)
  const message = (keyLike ? '(message not kept: it quotes key material)' : scrub(raw, [input]))
    .replace(/[A-Za-z0-9+/=_-]{40,}/g, '[long base64 masked]')
    .replace(/\/\/[^/\s:@]+:[^/\s@]+@/g, '//[credentials masked]@')
    .replace(/(bearer\s+)\S+/gi, '$1[masked]')
    .slice(0, 500)
  const cause = new Error(message)
  cause.name = name
  delete cause.stack
  return cause
}

/** What a signer call needs to know. */
export interface SignerCall {
  signer: GrantSigner
  /** The key the answer must verify with, when known (a registered public key, the certificate's). */
  verifyKey?: KeyObject
  /** How the key is named in messages: `kid "x"`, `the business certificate`. */
  keyName: string
  timeoutMs: number
  /** Stops the wait (the client was closed); the signer's own `signal` is aborted too. */
  signal?: AbortSignal
}

/**
 * Asks a signer for the signature of `input` (a JWS signing input), within `timeoutMs`, and checks the answer: a
 * Uint8Array of an RSA signature's length that verifies with `verifyKey` when one is known. Every failure is
 * `jwt_sign_failed` with a scrubbed cause; nothing is sent with a bad signature.
 */
export async function callSigner(call: SignerCall, input: string): Promise<Buffer> {
  const data = Buffer.from(input)
  const abort = new AbortController()
  let timer: NodeJS.Timeout | undefined
  let timedOut = false
  let onAbort: (() => void) | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true
      abort.abort()
      reject(signFailed(`it did not answer within ${call.timeoutMs} ms; check the vault's reachability and credentials, or raise timeoutMs`))
    }, call.timeoutMs)
    onAbort = () => {
      timedOut = true
      abort.abort()
      reject(signFailed('the wait for it was stopped (the client was closed); nothing was sent'))
    }
    if (call.signal?.aborted) onAbort()
    else call.signal?.addEventListener('abort', onAbort, { once: true })
  })
  let answer: unknown
  try {
    // A copy: a signer that writes into its argument cannot change the grant.
    const pending = Promise.resolve().then(() => call.signer.sign(Uint8Array.from(data), { signal: abort.signal }))
    pending.catch(() => {}) // a late failure after the timeout is nobody's to handle
    answer = await Promise.race([pending, timeout])
  } catch (err) {
    if (timedOut) throw err
    throw signFailed(`sign() threw or rejected (${scrubbedCause(err, input).name}); see the cause`, scrubbedCause(err, input))
  } finally {
    clearTimeout(timer)
    if (onAbort) call.signal?.removeEventListener('abort', onAbort)
  }
  // types.isUint8Array, not instanceof: a Proxy's getPrototypeOf trap cannot throw past us.
  if (!types.isUint8Array(answer)) {
    throw signFailed(
      `sign() resolved to ${answer === null ? 'null' : typeof answer}, not the signature's bytes (a Uint8Array); decode base64 answers in the adapter`,
    )
  }
  const signature = Buffer.from(answer.buffer, answer.byteOffset, answer.byteLength)
  const expected = call.verifyKey ? Math.ceil((call.verifyKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8) : undefined
  if (expected !== undefined ? signature.length !== expected : !RSA_SIGNATURE_BYTES.has(signature.length)) {
    throw signFailed(
      `sign() returned ${signature.length} bytes, not an RS256 signature${expected === undefined ? '' : ` of ${expected} bytes`}; the adapter must return the raw RSASSA-PKCS1-v1_5 signature`,
    )
  }
  if (call.verifyKey && !verify('sha256', data, call.verifyKey, signature)) {
    throw signFailed(
      `its signature does not verify with the public key of ${call.keyName}: the vault key is not that key, or it signs with another algorithm than RS256 (RSASSA-PKCS1-v1_5, SHA-256); nothing was sent`,
    )
  }
  return Buffer.from(signature)
}
