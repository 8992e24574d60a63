/**
 * `npm run demo`: every seed flow against the built-in emulator, over HTTP, offline, in a few seconds.
 *
 * It starts an emulator, makes a throwaway key, registers a client with a system user and a delegation, runs
 * getAltinnToken, getSystemuserToken, getAdminToken, getSkdAksjonaerToken and getSkdSkattemeldingToken, and shows
 * MaskinportenClient answering three calls with one request, and one rejected grant with the error a user would get.
 * Then it onboards a new customer with AltinnVendorClient: register the system, ask for a system user, the customer
 * approves (the emulator plays the customer), the system user token, a change request and its approval. It prints
 * the key claims of each token, never a token.
 */
import {
  ADMIN_SCOPES,
  DEFAULT_SCOPES,
  SKATTEMELDING_SCOPES,
  SKD_AKSJONAER_SCOPE,
  decodeToken,
  generateSigningKey,
  getAdminToken,
  getAltinnToken,
  getMaskinportenToken,
  getSkdAksjonaerToken,
  getSkdSkattemeldingToken,
  getSystemuserToken,
  isMaskinportenError,
  AltinnVendorClient,
  MaskinportenClient,
  resourceRight,
  systemIdFor,
  type MaskinportenConfig,
} from '../src/index.js'
import { startEmulator } from '../src/emulator/index.js'

const VENDOR = '991825827' // the client owner (Digdir's org number, valid mod 11)
const CUSTOMER = '310702641' // a customer that created a system user for our system
const DELEGATOR = '910753614' // a customer that delegated a scope to us in Altinn
const NEW_CUSTOMER = '974760223' // a customer onboarded below, from request to system user token
const RIGHT = 'app_brg_aarsregnskap-vanlig-202406'
const NEW_RIGHT = 'ske-innrapportering-aksjonaerregisteroppgave'

/** What a token says, in one line: who it is for, the scopes, how long it lives. Never the token itself. */
function describeToken(token: string): string {
  const { claims } = decodeToken(token)
  const consumer = (claims.consumer as { ID?: string } | undefined)?.ID ?? '-'
  const org = claims['urn:altinn:orgNumber']
  const details = claims.authorization_details
  const entry = (Array.isArray(details) ? details[0] : details) as { systemuser_org?: { ID?: string } } | undefined
  const parts = [
    `issuer ${String(claims.iss)}`,
    `consumer ${consumer}`,
    ...(org === undefined ? [] : [`org ${String(org)}`]),
    ...(entry?.systemuser_org?.ID ? [`system user for ${entry.systemuser_org.ID}`] : []),
    ...(claims.supplier ? [`supplier ${String((claims.supplier as { ID?: string }).ID)}`] : []),
    `scopes "${String(claims.scope)}"`,
    `lifetime ${Number(claims.exp) - Number(claims.iat)} s`,
  ]
  return parts.join(', ')
}

async function step(title: string, run: () => Promise<string>): Promise<void> {
  const token = await run()
  console.log(`${title}\n  -> ${describeToken(token)}`)
}

const started = performance.now()
const emu = await startEmulator()
try {
  const key = await generateSigningKey()
  emu.registerClient({
    clientId: 'demo-client',
    orgNummer: VENDOR,
    jwks: { keys: [key.publicJwk] },
    scopes: [DEFAULT_SCOPES, ADMIN_SCOPES, SKD_AKSJONAER_SCOPE, SKATTEMELDING_SCOPES].flatMap((s) => s.split(' ')),
    systemUsers: [{ orgNummer: CUSTOMER, systemId: `${VENDOR}_demo` }],
    delegations: [{ consumerOrg: DELEGATOR, scopes: ['altinn:instances.read'] }],
  })
  const config: MaskinportenConfig = {
    clientId: 'demo-client',
    kid: key.kid,
    privateKeyPem: key.privateKeyPem,
    issuer: emu.issuer,
    altinnUrl: emu.altinnUrl,
  }
  console.log(`Maskinporten + Altinn emulator at ${emu.url} (offline; its keys and ours were made just now)`)
  console.log(`Client demo-client of org ${VENDOR}, key ${key.kid.slice(0, 12)}..., a system user for ${CUSTOMER}, a delegation from ${DELEGATOR}\n`)

  await step('getAltinnToken(config): an Altinn token for our own organisation', () => getAltinnToken(config))
  await step(`getSystemuserToken(config, '${CUSTOMER}'): an Altinn token as the customer's system user`, () =>
    getSystemuserToken(config, CUSTOMER),
  )
  await step('getAdminToken(config): a Maskinporten token for the system register (not exchanged)', () =>
    getAdminToken(config),
  )
  await step(`getSkdAksjonaerToken(config, '${CUSTOMER}'): a Maskinporten token for Skatteetaten, as the system user`, () =>
    getSkdAksjonaerToken(config, CUSTOMER),
  )
  await step(`getSkdSkattemeldingToken(config, '${CUSTOMER}'): skattemelding scopes, as the system user`, () =>
    getSkdSkattemeldingToken(config, CUSTOMER),
  )
  await step(`getMaskinportenToken(config, 'altinn:instances.read', { consumerOrg: '${DELEGATOR}' }): delegated access`, async () =>
    (await getMaskinportenToken(config, 'altinn:instances.read', { consumerOrg: DELEGATOR })).access_token,
  )

  // The client: the same flows behind a cache. Three calls for one scope set, one request to Maskinporten.
  console.log('\nMaskinportenClient: a cache in front of the same flows')
  const client = new MaskinportenClient(config)
  try {
    const before = emu.stats().token.requests
    const first = await client.getToken({ scope: 'altinn:instances.read altinn:instances.write' })
    const second = await client.getToken({ scope: 'altinn:instances.write altinn:instances.read' }) // the same set
    const third = await client.getToken({ scope: ['altinn:instances.read', 'altinn:instances.write'] })
    const requests = emu.stats().token.requests - before
    const same = first.accessToken === second.accessToken && second.accessToken === third.accessToken
    console.log(`client.getToken({ scope }) three times: ${requests} request${requests === 1 ? '' : 's'} to Maskinporten, ${same ? 'one token' : 'different tokens'}`)
    console.log(`  -> ${describeToken(first.accessToken)}`)
  } finally {
    client.close()
  }

  console.log('\nA rejected grant: the same client, signed with a kid Maskinporten does not know')
  try {
    await getAltinnToken({ ...config, kid: 'a-kid-never-uploaded' })
    throw new Error('the emulator accepted an unknown kid')
  } catch (err) {
    if (!isMaskinportenError(err)) throw err
    console.log(`  -> MaskinportenError ${err.code}: HTTP ${err.status}, ${err.oauthError}, ${err.mpCode}`)
    console.log(`     ${err.message}`)
  }

  console.log('\nOnboarding a customer: the system user lifecycle with AltinnVendorClient')
  const vendorSide = new MaskinportenClient(config)
  try {
    const systemId = systemIdFor(VENDOR, 'wenche2')
    const vendor = new AltinnVendorClient(vendorSide, { systemId })
    await step('client.adminToken(): the vendor API takes the raw Maskinporten token', () => vendorSide.adminToken())
    const ensured = await vendor.ensureSystem({ id: systemId, name: 'Wenche', rights: [resourceRight(RIGHT), resourceRight(NEW_RIGHT)], clientId: ['demo-client'] })
    console.log(`ensureSystem({ id: '${systemId}', ... })\n  -> ${ensured.action}; client ids ${ensured.system.clientId.join(', ')}`)
    const { request, created } = await vendor.requestSystemUser({ partyOrgNo: NEW_CUSTOMER, rights: [resourceRight(RIGHT)], integrationTitle: 'Wenche' })
    console.log(`requestSystemUser({ partyOrgNo: '${NEW_CUSTOMER}', ... })\n  -> ${created ? 'created' : 'found'} request ${request.id}, status ${request.status}\n     send the customer to ${request.confirmUrl}`)
    const waiting = vendor.waitForRequest(request.id, { intervalMs: 50, timeoutMs: 10_000 })
    emu.approveRequest(request.id) // what the customer's daglig leder does at the confirmUrl
    console.log(`emu.approveRequest('${request.id.slice(0, 8)}...'): the customer approves`)
    console.log(`waitForRequest(id)\n  -> ${(await waiting).status}`)
    await step(`client.altinnToken({ orgNummer: '${NEW_CUSTOMER}' }): a system user token for the new customer`, () =>
      vendorSide.altinnToken({ orgNummer: NEW_CUSTOMER }),
    )
    const change = await vendor.requestChange(request.id, { requiredRights: [resourceRight(NEW_RIGHT)] })
    console.log(`requestChange(systemUserId, { requiredRights: [${NEW_RIGHT}] })\n  -> change request ${change.changeRequest.id}, status ${change.changeRequest.status}, correlation id ${change.correlationId.slice(0, 8)}... (reuse it to retry)`)
    emu.approveRequest(change.changeRequest.id)
    console.log(`emu.approveRequest(change request): the customer approves\ngetChangeRequest(id)\n  -> ${(await vendor.getChangeRequest(change.changeRequest.id)).status}`)
  } finally {
    vendorSide.close()
  }

  const { token } = emu.stats()
  console.log(`\nMaskinporten: ${token.requests} requests, ${token.issued} tokens, ${token.rejected} rejected; done in ${((performance.now() - started) / 1000).toFixed(1)} s`)
} finally {
  await emu.close()
}
