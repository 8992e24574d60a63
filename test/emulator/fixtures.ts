/**
 * What the emulator tests share: a running emulator with one client, and a grant builder of their own (node:crypto
 * signing, so that every broken grant can be made).
 */
import assert from 'node:assert/strict'
import { randomUUID, sign, type KeyObject } from 'node:crypto'
import { generateSigningKey } from '../../src/signing/keys.js'
import { startEmulator, type Emulator, type EmulatorClient, type EmulatorOptions } from '../../src/emulator/index.js'

/** Digdir, Brønnøysundregistrene-valid numbers from docs/protocol.md §6. */
export const VENDOR_ORG = '991825827'
export const CUSTOMER_ORG = '310702641'
export const OTHER_ORG = '974760223'
export const DELEGATING_ORG = '910753614'

export const SCOPES = ['altinn:instances.read', 'altinn:instances.write', 'skatteetaten:formueinntekt/skattemelding']
export const SYSTEM_USER_ID = '6b3f0a3e-8a36-4a4e-9d39-4f1c8f5b2a10'
export const EXTERNAL_REF_USER_ID = '1d2c0b6e-2f5b-4c1e-8c0e-2b6e6c8d7f21'

/**
 * A self-signed certificate's DER, base64 (public, made once with openssl for these tests; no key is kept): a
 * well-formed x5c entry.
 */
export const TEST_CERT_B64 =
  'MIIDZzCCAk+gAwIBAgIUSAlf+E5M1Pu08FR02z0vC8KDSG4wDQYJKoZIhvcNAQELBQAwQzEiMCAGA1UEAwwZZW11bGF0b3IgdGVzdCBjZXJ0aWZpY2F0ZTEQMA4GA1UECgwHRXhhbXBsZTELMAkGA1UEBhMCTk8wHhcNMjYxMTI2MDU0NjU5WhcNMzYxMTIzMDU0NjU5WjBDMSIwIAYDVQQDDBllbXVsYXRvciB0ZXN0IGNlcnRpZmljYXRlMRAwDgYDVQQKDAdFeGFtcGxlMQswCQYDVQQGEwJOTzCCASIwDQYJKoZIhvcNAQEBBQADggEPADCCAQoCggEBAKgLCSvUUAOPUYczS3nRJ743ZpC5G6xvsDmi26TC2l1JMRvHfwtmRtyuCfsW+zvBBqimoB/zyHPROo0mN8vRyjB4gXnglagQubcE3Ep/d3ImKjDLai63LTInncqlFLOZY7pVExB8jTR0uxpve4ZyoGrAbnDtzbqzW3apq38SlPsWy6OW8djrybmxbJz2svvmng8UcfFdOoOgZk1vFMTh5mu5nT0yKCFU/+SfvT9ZqUmjBzBbr6RNeL1hMuiwqCT9LMQA4I3blaeIfY55mACSQGA1c3LnynBYNxQ1vNQlQibq6p1licPdpxWlD1pm+jMipcT98W/h2r5/KiHeFJ2CT3sCAwEAAaNTMFEwHQYDVR0OBBYEFBvhzHbz35DQd8P3vG0TFa2sKpexMB8GA1UdIwQYMBaAFBvhzHbz35DQd8P3vG0TFa2sKpexMA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADggEBAGZ6r768VN6Scu7dOztGaJG5GdyZqt7f6hDLryJM2ECpuILKaUdmpL4R2JVIXZcqx9sUBf6ftuXd9LaH8IUdWSaC7khW5c2Pim7mVk54soV45Elfxu9xzbVs+09EGCyxeMt1vdNJT5AEQogtpDjAwYwdY3rOqHcn9Yjg0ikig9cVC2xb00ueHm7i7P1NKGcGf4IWH/k9i//+YdATIsu1s5T6FkJG8BuxMyP8s16DtWE9wGrOyryzvDFH5AWZLWQBd1Dn1OvHHptCuF0E/8XxnJm89MuB+zNOSwE2a/n+JBNSfUFN3Cg0DMOMg9DBU4SE6QqXbmez/aPiedIAlyKGfVA='

export interface Fixture {
  emu: Emulator
  clientId: string
  kid: string
  key: KeyObject
  /** A second key, not registered anywhere. */
  strangerKey: KeyObject
  client: EmulatorClient
}

/** Starts an emulator with one client (two system users, one delegation). Close it with `fixture.emu.close()`. */
export async function startFixture(
  options: { clockOffsetSeconds?: number; tokenLifetimeSeconds?: number; client?: Partial<EmulatorClient>; emulator?: EmulatorOptions } = {},
): Promise<Fixture> {
  const [mine, stranger] = await Promise.all([generateSigningKey(), generateSigningKey()])
  const clientId = randomUUID()
  const client: EmulatorClient = {
    clientId,
    orgNummer: VENDOR_ORG,
    jwks: { keys: [mine.publicJwk] },
    scopes: SCOPES,
    systemUsers: [
      { orgNummer: CUSTOMER_ORG, id: SYSTEM_USER_ID, systemId: `${VENDOR_ORG}_wenche` },
      { orgNummer: OTHER_ORG, id: EXTERNAL_REF_USER_ID, externalRef: 'kunde-42' },
    ],
    delegations: [{ consumerOrg: DELEGATING_ORG, scopes: ['altinn:instances.read'] }],
    ...(options.tokenLifetimeSeconds === undefined ? {} : { tokenLifetimeSeconds: options.tokenLifetimeSeconds }),
    ...options.client,
  }
  const emu = await startEmulator({
    ...options.emulator,
    clients: [client],
    ...(options.clockOffsetSeconds === undefined ? {} : { clockOffsetSeconds: options.clockOffsetSeconds }),
  })
  return { emu, clientId, kid: mine.kid, key: mine.privateKey, strangerKey: stranger.privateKey, client }
}

/** The Wenche grant's claims (docs/protocol.md §2) for this fixture, `iat` = the machine's clock. */
export function wencheClaims(f: Fixture, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const iat = Math.floor(Date.now() / 1000)
  return {
    aud: f.emu.issuer,
    iss: f.clientId,
    sub: f.clientId,
    scope: 'altinn:instances.read altinn:instances.write',
    iat,
    exp: iat + 119,
    jti: randomUUID(),
    ...overrides,
  }
}

const HASHES: Record<string, string> = { RS256: 'sha256', RS384: 'sha384', RS512: 'sha512' }

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/**
 * Signs anything: the header and claims as given (`undefined` members dropped), RSA PKCS#1 v1.5 with the hash of
 * `signAlg` (default: the header's alg, or RS256).
 */
export function signGrant(
  key: KeyObject,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  signAlg?: string,
): string {
  const input = `${b64(header)}.${b64(claims)}`
  const hash = HASHES[signAlg ?? String(header.alg)] ?? 'sha256'
  return `${input}.${sign(hash, Buffer.from(input), key).toString('base64url')}`
}

/** A well-formed grant from the fixture's client, with overrides of claims and header. */
export function grant(
  f: Fixture,
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
  key: KeyObject = f.key,
): string {
  return signGrant(key, { alg: 'RS256', kid: f.kid, ...header }, wencheClaims(f, claims))
}

/** The answer of a token endpoint call, parsed. */
export interface TokenAnswer {
  status: number
  headers: Headers
  body: Record<string, unknown>
  text: string
}

/** POSTs a form to the emulator's token endpoint. */
export async function postToken(
  emu: Pick<Emulator, 'issuer'>,
  form: Record<string, string> | string,
  contentType = 'application/x-www-form-urlencoded',
): Promise<TokenAnswer> {
  const body = typeof form === 'string' ? form : new URLSearchParams(form).toString()
  const res = await fetch(`${emu.issuer}token`, { method: 'POST', headers: { 'content-type': contentType }, body })
  const text = await res.text()
  let parsed: Record<string, unknown> = {}
  try {
    parsed = JSON.parse(text) as Record<string, unknown>
  } catch {
    // not JSON: the test looks at text
  }
  return { status: res.status, headers: res.headers, body: parsed, text }
}

/** Sends a grant as Maskinporten expects it. */
export function requestToken(emu: Pick<Emulator, 'issuer'>, assertion: string): Promise<TokenAnswer> {
  return postToken(emu, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion })
}


/** What a rejection must look like. */
export interface RejectionExpected {
  error: string
  /** Three digits: `error_uri` ends in `MP-<mp>`. */
  mp: string
  /** The start of `error_description`. */
  starts: string
}

/** Asserts Maskinporten's error shape: 400, `error`, the MP code in `error_uri`, the description and a trace id. */
export function assertRejected(answer: TokenAnswer, issuer: string, expected: RejectionExpected): void {
  assert.equal(answer.status, 400, answer.text)
  assert.equal(answer.body.error, expected.error)
  assert.equal(answer.body.error_uri, `${issuer}errors/MP-${expected.mp}`)
  const description = String(answer.body.error_description)
  assert.match(description, / \(trace_id: [0-9a-f]{32}\)$/)
  assert.ok(description.startsWith(expected.starts), `${description} should start with ${expected.starts}`)
  assert.deepEqual(Object.keys(answer.body).sort(), ['error', 'error_description', 'error_uri'])
}
