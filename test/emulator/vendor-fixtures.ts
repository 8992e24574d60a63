/**
 * What the vendor API tests share: an emulator with a vendor's Maskinporten clients (admin scopes), tokens from its
 * own token endpoint, and a small HTTP helper for the vendor routes.
 */
import assert from 'node:assert/strict'
import { randomUUID, type KeyObject } from 'node:crypto'
import { generateSigningKey } from '../../src/signing/keys.js'
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js'
import { CUSTOMER_ORG, OTHER_ORG, VENDOR_ORG, requestToken, signGrant } from './fixtures.js'

export { CUSTOMER_ORG, OTHER_ORG, VENDOR_ORG }

/** A second vendor (a valid org number). */
export const OTHER_VENDOR = '910753614'

export const SRW = 'altinn:authentication/systemregister.write'
export const RQR = 'altinn:authentication/systemuser.request.read'
export const RQW = 'altinn:authentication/systemuser.request.write'
export const ADMIN_SCOPES = [SRW, RQR, RQW]
export const RESOURCE = 'app_brg_aarsregnskap-vanlig-202406'
export const RESOURCE_2 = 'ske-innrapportering-aksjonaerregisteroppgave'
export const SYSTEM_ID = `${VENDOR_ORG}_wenche2`

/** A registered client and how to sign as it. */
export interface TestClient {
  clientId: string
  orgNummer: string
  kid: string
  key: KeyObject
}

export interface VendorFixture {
  emu: Emulator
  vendor: TestClient
  /** The vendor's second client, not in the system's clientId list. */
  stranger: TestClient
  /** A client of another vendor. */
  other: TestClient
  /** A Maskinporten token of `client` (default: vendor) with `scopes` (default: the three admin ones). */
  token(scopes?: string[], client?: TestClient, claims?: Record<string, unknown>): Promise<string>
  /** Calls `{altinnUrl}/authentication/api/v1/{path}` with a bearer (default: the vendor's admin token). */
  api(method: string, path: string, body?: unknown, bearer?: string | null): Promise<Answer>
}

export interface Answer {
  status: number
  headers: Headers
  text: string
  json: any
}

async function makeClient(orgNummer: string): Promise<TestClient & { publicJwk: any }> {
  const k = await generateSigningKey()
  return { clientId: randomUUID(), orgNummer, kid: k.kid, key: k.privateKey, publicJwk: k.publicJwk }
}

/** The register POST body of the vendor's test system. */
export function systemBody(clientIds: string[], overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: SYSTEM_ID,
    vendor: { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR_ORG}` },
    name: { nb: 'Wenche', nn: 'Wenche', en: 'Wenche' },
    description: { nb: 'Årsregnskap', nn: 'Årsrekneskap', en: 'Annual accounts' },
    rights: [{ resource: [{ id: 'urn:altinn:resource', value: RESOURCE }] }, { resource: [{ id: 'urn:altinn:resource', value: RESOURCE_2 }] }],
    accessPackages: [{ urn: 'urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet' }],
    clientId: clientIds,
    allowedRedirectUrls: ['https://wenche.example/done'],
    isVisible: true,
    ...overrides,
  }
}

/** Starts an emulator with a vendor (two clients) and another vendor; extra options as given. */
export async function startVendorFixture(options: (ids: { vendor: string }) => EmulatorOptions = () => ({})): Promise<VendorFixture> {
  const [vendor, stranger, other] = await Promise.all([makeClient(VENDOR_ORG), makeClient(VENDOR_ORG), makeClient(OTHER_VENDOR)])
  const scopes = [...ADMIN_SCOPES, 'altinn:authentication/systemregister.admin', 'altinn:instances.read']
  const extra = options({ vendor: vendor.clientId })
  const emu = await startEmulator({
    ...extra,
    clients: [vendor, stranger, other].map((c) => ({ clientId: c.clientId, orgNummer: c.orgNummer, jwks: { keys: [c.publicJwk] }, scopes })),
  })
  const token = async (wanted: string[] = ADMIN_SCOPES, client: TestClient = vendor, claims: Record<string, unknown> = {}) => {
    const iat = Math.floor(Date.now() / 1000)
    const assertion = signGrant(client.key, { alg: 'RS256', kid: client.kid }, {
      aud: emu.issuer, iss: client.clientId, sub: client.clientId, scope: wanted.join(' '), iat, exp: iat + 119, jti: randomUUID(), ...claims,
    })
    const answer = await requestToken(emu, assertion)
    assert.equal(answer.status, 200, answer.text)
    return String(answer.body.access_token)
  }
  let adminToken: string | undefined
  const api = async (method: string, path: string, body?: unknown, bearer?: string | null): Promise<Answer> => {
    adminToken ??= await token()
    const auth = bearer === null ? undefined : (bearer ?? adminToken)
    const headers: Record<string, string> = {}
    if (auth !== undefined) headers.authorization = `Bearer ${auth}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const url = path.startsWith('http') ? path : `${emu.altinnUrl}/authentication/api/v1/${path}`
    const res = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }) })
    const text = await res.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: res.status, headers: res.headers, text, json }
  }
  return { emu, vendor, stranger, other, token, api }
}

/** Asserts one of Altinn's problems. */
export function assertProblem(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, answer.text)
  assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/)
  assert.equal(answer.json.code, code)
  assert.equal(answer.json.type, `urn:altinn:error:${code}`)
  assert.equal(answer.json.status, status)
  assert.equal(typeof answer.json.title, 'string')
  assert.match(answer.json.traceId, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/)
}

/** Asserts a validation problem with exactly these `AUTH.VLD-000xx` codes, in order. */
export function assertValidation(answer: Answer, codes: string[]): void {
  assertProblem(answer, 400, 'STD-00000')
  assert.deepEqual(answer.json.validationErrors.map((e: { code: string }) => e.code), codes.map((c) => `AUTH.VLD-000${c}`))
  for (const e of answer.json.validationErrors) {
    assert.equal(typeof e.title, 'string')
    assert.ok(Array.isArray(e.paths) && e.paths.length > 0)
  }
}

/** Registers the vendor's test system; returns the bare GUID. */
export async function registerTestSystem(f: VendorFixture, clientIds = [f.vendor.clientId], overrides: Record<string, unknown> = {}): Promise<string> {
  const answer = await f.api('POST', 'systemregister/vendor', systemBody(clientIds, overrides))
  assert.equal(answer.status, 200, answer.text)
  assert.equal(typeof answer.json, 'string')
  return answer.json as string
}

/** A right on a resource registry resource. */
export function right(value: string) {
  return { resource: [{ id: 'urn:altinn:resource', value }] }
}
