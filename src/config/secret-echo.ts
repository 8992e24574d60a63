/**
 * Values passed per call (an org number, a scope, a URL) are quoted in messages through `describeValue`, which cannot
 * know that a value is a secret of the config in play: the passphrase pasted as an org number, a piece of the key's
 * JWK as a scope. The resolved config knows its secrets; an error leaving a client or a flow has every run of them
 * masked. The secrets are read only when an error is masked: the happy path pays nothing.
 */
import type { KeyObject } from 'node:crypto'

/** Shortest run of a secret that is masked: shorter runs occur in ordinary text by chance. */
const RUN = 16
/** Shortest passphrase looked for as a whole (a shorter one is likely also an ordinary word). */
const MIN_SECRET_CHARS = 4
const MASK = '[secret masked]'
const JWK_PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const

/** What a config holds that no message may quote. */
export interface EchoSecrets {
  passphrase?: unknown
  key?: KeyObject
}

const sources = new WeakMap<object, EchoSecrets>()
const maskers = new WeakMap<object, (text: string) => string>()

/** Notes the secrets of `resolved` (a resolved config), for {@link maskSecretEchoes}. */
export function rememberSecrets(resolved: object, secrets: EchoSecrets): void {
  sources.set(resolved, secrets)
}

function secretTexts({ passphrase, key }: EchoSecrets): string[] {
  const out: string[] = []
  if (typeof passphrase === 'string' && passphrase.length >= MIN_SECRET_CHARS) out.push(passphrase)
  if (key?.type === 'private') {
    try {
      const jwk = key.export({ format: 'jwk' }) as Record<string, unknown>
      for (const member of JWK_PRIVATE_MEMBERS) if (typeof jwk[member] === 'string') out.push(jwk[member])
    } catch {
      // A key that cannot be exported has no JWK text to be quoted.
    }
  }
  return out
}

function makeMasker(secrets: readonly string[]): (text: string) => string {
  const runs = new Set<string>()
  const whole: string[] = []
  for (const secret of secrets) {
    if (secret.length < RUN) whole.push(secret)
    else for (let i = 0; i + RUN <= secret.length; i++) runs.add(secret.slice(i, i + RUN))
  }
  return (text) => {
    const hidden = new Uint8Array(text.length)
    let any = false
    const hide = (from: number, to: number): void => {
      hidden.fill(1, from, to)
      any = true
    }
    if (runs.size > 0) for (let i = 0; i + RUN <= text.length; i++) if (runs.has(text.slice(i, i + RUN))) hide(i, i + RUN)
    for (const secret of whole) for (let i = text.indexOf(secret); i >= 0; i = text.indexOf(secret, i + 1)) hide(i, i + secret.length)
    if (!any) return text
    let out = ''
    for (let i = 0; i < text.length; i++) {
      if (!hidden[i]) out += text[i]
      else if (i === 0 || !hidden[i - 1]) out += MASK
    }
    return out
  }
}

function rewrite(err: object, name: 'message' | 'stack', mask: (text: string) => string): void {
  const text = (err as Record<string, unknown>)[name]
  if (typeof text !== 'string') return
  const masked = mask(text)
  if (masked !== text) Object.defineProperty(err, name, { value: masked, writable: true, configurable: true, enumerable: false })
}

/**
 * `err` with every run of `resolved`'s secrets masked in its message and stack, and its causes'. Returns `err`
 * itself (changed in place): its class, code and details stay as they are.
 */
export function maskSecretEchoes<E>(resolved: object, err: E): E {
  const source = sources.get(resolved)
  if (source === undefined || !(err instanceof Error)) return err
  let mask = maskers.get(resolved)
  if (mask === undefined) maskers.set(resolved, (mask = makeMasker(secretTexts(source))))
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    rewrite(e, 'message', mask)
    rewrite(e, 'stack', mask)
  }
  return err
}

/** Runs `fn`; what it throws or rejects with leaves with `resolved`'s secrets masked. */
export async function withSecretsMasked<T>(resolved: object, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    throw maskSecretEchoes(resolved, err)
  }
}
