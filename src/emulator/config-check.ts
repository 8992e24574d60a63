/**
 * Unknown fields in the emulator's configuration are refused, with the path and the nearest known name: a
 * misspelt `systemUser` silently ignored would surface much later as a puzzling MP-303. A new config field must be
 * added to these shapes, or it is refused.
 */
import { invalidConfig } from '../errors/errors.js'

/** What a config value may be: `null` any value, an object its known fields, `[shape]` a list of that shape. */
export type Shape = null | { readonly [field: string]: Shape } | readonly [Shape]

const JWK: Shape = Object.fromEntries(
  ['kty', 'use', 'key_ops', 'alg', 'kid', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'n', 'e', 'exp', 'iat', 'nbf', 'd', 'p', 'q', 'dp', 'dq', 'qi'].map(
    (k) => [k, null],
  ),
)

const TEXTS: Shape = { nb: null, nn: null, en: null }

/** A Maskinporten client as `registerClient` and `clients[]` take it. */
export const CLIENT_SHAPE: Shape = {
  clientId: null,
  orgNummer: null,
  jwks: { keys: [JWK] },
  scopes: null,
  systemUsers: [{ orgNummer: null, systemId: null, externalRef: null, id: null }],
  delegations: [{ consumerOrg: null, scopes: null }],
  tokenLifetimeSeconds: null,
  grantedScopes: null,
  certificate: null,
}

/** A system as the register POST takes it. */
export const SYSTEM_SHAPE: Shape = {
  id: null,
  vendor: { authority: null, ID: null },
  name: TEXTS,
  description: TEXTS,
  rights: [{ resource: [{ id: null, value: null }] }],
  accessPackages: [{ urn: null }],
  clientId: null,
  allowedRedirectUrls: null,
  isVisible: null,
}

/** `startEmulator`'s options, and the CLI's `--config` file. */
export const OPTIONS_SHAPE: Shape = {
  port: null,
  host: null,
  clients: [CLIENT_SHAPE],
  clockOffsetSeconds: null,
  issuer: null,
  altinnUrl: null,
  systems: [SYSTEM_SHAPE],
  resources: null,
  parties: null,
  // Checked by their own code (consents, service owners, replay memory, timeouts, trust anchors).
  consents: null,
  serviceOwners: null,
  maxRememberedGrants: null,
  requestTimeoutMs: null,
  certificateAuthorities: null,
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const keep = row[j]!
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = keep
    }
  }
  return row[b.length]!
}

/** The known name closest to `field`: another case, cut short, or at most a third of it misspelt. */
export function nearest(field: string, known: string[]): string | undefined {
  const lower = field.toLowerCase()
  const exact = known.find((k) => k.toLowerCase() === lower)
  if (exact) return exact
  // A name cut short or run on (`tokenLifetime`, `scopesList`) is the known one it starts or ends within.
  const partial = known.find((k) => lower.length >= 4 && (k.toLowerCase().startsWith(lower) || lower.startsWith(k.toLowerCase())))
  if (partial) return partial
  let best: string | undefined
  let bestScore = Infinity
  for (const k of known) {
    const d = distance(lower, k.toLowerCase())
    if (d < bestScore) [best, bestScore] = [k, d]
  }
  return best !== undefined && bestScore <= Math.max(2, Math.floor(field.length / 3)) ? best : undefined
}

function join(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`
}

/**
 * Throws `invalid_config` at the first unknown field of `value` (depth first), naming its path and the nearest
 * known field. Values of the wrong type are left to the checks that read them.
 */
export function refuseUnknownFields(value: unknown, shape: Shape, path = ''): void {
  if (shape === null || value === null || typeof value !== 'object') return
  if (Array.isArray(shape)) {
    if (Array.isArray(value)) value.forEach((item, i) => refuseUnknownFields(item, shape[0], `${path}[${i}]`))
    return
  }
  if (Array.isArray(value)) return
  const fields = shape as Record<string, Shape>
  const known = Object.keys(fields)
  for (const [field, child] of Object.entries(value as Record<string, unknown>)) {
    if (!Object.hasOwn(fields, field)) {
      const guess = nearest(field, known)
      // The field name is the user's text: quoted only when it looks like a name, never when it could be a secret.
      const shown = /^[A-Za-z0-9_#$-]{1,64}$/.test(field) ? join(path, field) : `${path || 'the top level'} (a field)`
      throw invalidConfig(shown, `is not a known field${guess ? `; did you mean \`${guess}\`?` : ''} (known: ${known.join(', ')})`)
    }
    refuseUnknownFields(child, fields[field]!, join(path, field))
  }
}

/** The CLI's `--config` file: the options that are not flags. */
export const CONFIG_FILE_SHAPE: Shape = {
  clients: [CLIENT_SHAPE],
  systems: [SYSTEM_SHAPE],
  resources: null,
  parties: null,
  consents: null,
  serviceOwners: null,
  certificateAuthorities: null,
}
