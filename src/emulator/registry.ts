/**
 * The emulator's clients, as Digdir's self-service portal and Altinn hold them: checked when registered, so that a
 * malformed client fails at once instead of as a puzzling rejection later.
 */
import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto'
import { invalidConfig } from '../errors/errors.js'
import { MIN_RSA_BITS } from '../signing/keys.js'
import { parseOrgNummer } from '../config/orgnummer.js'
import { splitScopes } from '../config/scopes.js'
import { CLIENT_SHAPE, refuseUnknownFields } from './config-check.js'
import type { EmulatorClient } from './types.js'
import { EXTERNAL_REF_PATTERN } from './unconfirmed.js'

/** A registered public key of a client. */
export interface ClientKey {
  kid: string
  key: KeyObject
  /** When the key expires, epoch seconds (its JWK's `exp`), if it does. */
  expiresAt?: number
}

/** A client as the rules use it: keys parsed, org numbers normalised, defaults filled in. */
export interface RegisteredClient {
  clientId: string
  orgNummer: string
  keys: Map<string, ClientKey>
  scopes: Set<string>
  systemUsers: Array<{ orgNummer: string; systemId: string; externalRef?: string; id: string }>
  delegations: Array<{ consumerOrg: string; scopes: Set<string> }>
  tokenLifetimeSeconds: number
  /** Takes business certificate grants naming its org (`certificate: true`). */
  certificate: boolean
  /** What the API owners granted the organisation (MP-250 for the rest). */
  grantedScopes: Set<string>
}

/** Default lifetime of access tokens, seconds (Maskinporten's default). */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 120

function orgOf(value: unknown, field: string): string {
  const parsed = parseOrgNummer(value)
  if (!parsed.ok) throw invalidConfig(field, parsed.problem)
  return parsed.orgNummer
}

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || !value.every((s) => typeof s === 'string')) {
    throw invalidConfig(field, 'must be an array of strings')
  }
  return splitScopes(value as string[])
}

/** The entries of an optional list of objects (`systemUsers`, `delegations`), checked to be objects. */
function objects<T>(value: T[] | undefined, field: string): T[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw invalidConfig(field, 'must be an array')
  value.forEach((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw invalidConfig(`${field}[${i}]`, 'must be an object')
  })
  return value
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '') throw invalidConfig(field, 'must be a non-empty string')
  return value
}

function parseKey(jwk: unknown, field: string): ClientKey {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) throw invalidConfig(field, 'must be a JWK object')
  const { kid, d, exp } = jwk as Record<string, unknown>
  if (typeof kid !== 'string' || kid === '') throw invalidConfig(`${field}.kid`, 'must be a non-empty string')
  // The emulator holds public keys only, as Maskinporten does; a private JWK here is a mistake worth stopping.
  if (d !== undefined) throw invalidConfig(field, 'is a private key; register the public JWK only')
  if (exp !== undefined && (typeof exp !== 'number' || !Number.isFinite(exp))) {
    throw invalidConfig(`${field}.exp`, 'must be epoch seconds')
  }
  let key: KeyObject
  try {
    // `alg` on a registered JWK is ignored: keys are chosen by kid alone (docs/protocol.md §3).
    const { alg: _alg, exp: _exp, ...rest } = jwk as Record<string, unknown>
    key = createPublicKey({ key: rest as never, format: 'jwk' })
  } catch (err) {
    throw invalidConfig(field, 'is not a public JWK that node:crypto can read', err)
  }
  if (key.asymmetricKeyType !== 'rsa') throw invalidConfig(field, 'must be an RSA key')
  // Maskinporten refuses shorter keys; so does the library when signing (signing/keys.ts).
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
  if (bits < MIN_RSA_BITS) {
    throw invalidConfig(field, `is a ${bits}-bit RSA key; Maskinporten requires at least ${MIN_RSA_BITS} bits`)
  }
  return exp === undefined ? { kid, key } : { kid, key, expiresAt: exp as number }
}

/** Checks a client and fills in its defaults. Throws `invalid_config` naming the field. */
export function normalizeClient(input: EmulatorClient): RegisteredClient {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw invalidConfig('client', 'must be an object')
  const clientId = optionalString(input.clientId, 'clientId')
  if (clientId === undefined) throw invalidConfig('clientId', 'is required')
  const orgNummer = orgOf(input.orgNummer, 'orgNummer')
  const certificate = input.certificate ?? false
  if (typeof certificate !== 'boolean') throw invalidConfig('certificate', 'must be true or false')
  // A certificate client may have no registered keys (emulator/unconfirmed.ts, item 28).
  const jwks = (input.jwks ?? (certificate ? { keys: [] } : undefined)) as { keys?: unknown } | undefined
  if (!jwks || !Array.isArray(jwks.keys)) throw invalidConfig('jwks', 'must be { keys: [public JWK, ...] } (or set certificate: true for a business certificate client)')
  const keys = new Map<string, ClientKey>()
  jwks.keys.forEach((jwk, i) => {
    const key = parseKey(jwk, `jwks.keys[${i}]`)
    if (keys.has(key.kid)) throw invalidConfig(`jwks.keys[${i}].kid`, `repeats "${key.kid}"`)
    keys.set(key.kid, key)
  })
  const lifetime = input.tokenLifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS
  if (!Number.isInteger(lifetime) || lifetime < 2 || lifetime > 86_400) {
    throw invalidConfig('tokenLifetimeSeconds', 'must be a whole number of seconds from 2 to 86400')
  }
  const systemUsers = objects(input.systemUsers, 'systemUsers').map((su, i) => {
    const field = `systemUsers[${i}]`
    const externalRef = optionalString(su.externalRef, `${field}.externalRef`)
    if (externalRef !== undefined && !EXTERNAL_REF_PATTERN.test(externalRef)) {
      throw invalidConfig(`${field}.externalRef`, 'must be 1 to 255 of A-Z a-z 0-9 æøå ÆØÅ _ - (Altinn)')
    }
    return {
      orgNummer: orgOf(su.orgNummer, `${field}.orgNummer`),
      systemId: optionalString(su.systemId, `${field}.systemId`) ?? `${orgNummer}_emulator`,
      id: optionalString(su.id, `${field}.id`) ?? randomUUID(),
      ...(externalRef === undefined ? {} : { externalRef }),
    }
  })
  const delegations = objects(input.delegations, 'delegations').map((d, i) => ({
    consumerOrg: orgOf(d.consumerOrg, `delegations[${i}].consumerOrg`),
    scopes: new Set(stringList(d.scopes, `delegations[${i}].scopes`)),
  }))
  const scopes = new Set(stringList(input.scopes, 'scopes'))
  const granted = input.grantedScopes === undefined ? scopes : new Set(stringList(input.grantedScopes, 'grantedScopes'))
  return {
    clientId,
    orgNummer,
    keys,
    scopes,
    grantedScopes: granted,
    systemUsers,
    delegations,
    tokenLifetimeSeconds: lifetime,
    certificate,
  }
}

/** Where system users approved in the emulated Altinn come from: those a client may get tokens for. */
export type ApprovedSystemUsers = (clientId: string) => RegisteredClient['systemUsers']

/**
 * The clients by id, with kids unique across all of them (Maskinporten's rule). A client's system users are those
 * it was registered with, followed by those approved in the emulated Altinn for a system listing its client id.
 */
export class ClientRegistry {
  readonly #clients = new Map<string, RegisteredClient>()

  constructor(readonly approved: ApprovedSystemUsers = () => []) {}

  /** Adds or replaces a client; an unknown field is refused with the nearest known name. */
  register(input: EmulatorClient): RegisteredClient {
    refuseUnknownFields(input, CLIENT_SHAPE)
    const client = normalizeClient(input)
    for (const other of this.#clients.values()) {
      if (other.clientId === client.clientId) continue
      for (const kid of client.keys.keys()) {
        if (other.keys.has(kid)) throw invalidConfig('jwks', `kid "${kid}" is already registered on another client`)
      }
    }
    this.#clients.set(client.clientId, client)
    return client
  }

  /** The client with this id (a grant's `iss`), if registered. */
  get(clientId: string): RegisteredClient | undefined {
    const client = this.#clients.get(clientId)
    if (!client) return undefined
    const approved = this.approved(clientId)
    return approved.length === 0 ? client : { ...client, systemUsers: [...client.systemUsers, ...approved] }
  }
}
