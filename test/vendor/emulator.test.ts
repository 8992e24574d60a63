// The whole lifecycle against the emulator, over HTTP: register, request, the customer approves, wait, a system
// user token, a change request and its approval; paging of 120+ real system users; the emulator's refusals with
// their codes and hints; the 401-then-retry counted on the emulator.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { MaskinportenClient } from '../../src/client/client.ts'
import { adminScopes, defaultScopes } from '../../src/config/scopes.ts'
import { isValidOrgNummer } from '../../src/config/orgnummer.ts'
import { startEmulator, type Emulator } from '../../src/emulator/index.ts'
import { decodeToken } from '../../src/exchange/token.ts'
import { generateSigningKey } from '../../src/signing/keys.ts'
import { AltinnVendorClient } from '../../src/vendor/client.ts'
import { resourceRight, systemIdFor } from '../../src/vendor/ids.ts'
import { assertNoSecrets } from '../support/fixtures.ts'
import { all, rejection } from './setup.ts'

const VENDOR = '991825827'
const CUSTOMER = '310702641'
const SYSTEM = systemIdFor(VENDOR, 'wenche2')
const RIGHT = resourceRight('app_brg_aarsregnskap-vanlig-202406')
const RIGHT2 = resourceRight('ske-innrapportering-aksjonaerregisteroppgave')
const FAST = { baseDelayMs: 1, maxDelayMs: 5, deadlineMs: 5_000 }

describe('vendor e2e: against the emulator', () => {
  let emu: Emulator
  let mp: MaskinportenClient
  let vendor: AltinnVendorClient
  const clientId = 'vendor-e2e-client'

  before(async () => {
    emu = await startEmulator()
    const key = await generateSigningKey()
    emu.registerClient({ clientId, orgNummer: VENDOR, jwks: { keys: [key.publicJwk] }, scopes: [...adminScopes().split(' '), ...defaultScopes().split(' ')] })
    mp = new MaskinportenClient({ clientId, kid: key.kid, privateKeyPem: key.privateKeyPem, issuer: emu.issuer, altinnUrl: emu.altinnUrl }, { retry: FAST })
    vendor = new AltinnVendorClient(mp, { systemId: SYSTEM, retry: FAST })
  })
  after(async () => {
    mp.close()
    await emu.close()
  })

  it('registers the system: created, then unchanged, then updated keeping the client id', async () => {
    assert.equal(await vendor.getSystem(), undefined)
    const created = await vendor.ensureSystem({ id: SYSTEM, name: 'Wenche', rights: [RIGHT], clientId: [clientId] })
    assert.equal(created.action, 'created')
    assert.equal((await vendor.ensureSystem({ id: SYSTEM, name: 'Wenche', rights: [RIGHT], clientId: [clientId] })).action, 'unchanged')
    const updated = await vendor.ensureSystem({ id: SYSTEM, name: 'Wenche', rights: [RIGHT, RIGHT2] })
    assert.equal(updated.action, 'updated')
    assert.deepEqual(updated.system.clientId, [clientId])
    assert.ok((await vendor.listSystems()).some((s) => s.id === SYSTEM))
  })

  it('no system user token before approval (MP-303); request → approve → wait → token with system_id', async () => {
    const before = await rejection(mp.getToken({ orgNummer: CUSTOMER }))
    assert.equal(before.mpCode, 'MP-303')
    const { request, created } = await vendor.requestSystemUser({ partyOrgNo: CUSTOMER, rights: [RIGHT], integrationTitle: 'Wenche' })
    assert.equal(created, true)
    assert.match(request.confirmUrl, new RegExp(`/accessmanagement/ui/systemuser/request\\?id=${request.id}`))
    const again = await vendor.requestSystemUser({ partyOrgNo: CUSTOMER, rights: [RIGHT], integrationTitle: 'Wenche' })
    assert.deepEqual([again.created, again.request.id], [false, request.id])
    const waiting = vendor.waitForRequest(request.id, { intervalMs: 20, timeoutMs: 5_000 })
    setTimeout(() => emu.approveRequest(request.id), 50)
    assert.equal((await waiting).status, 'Accepted')
    const user = await vendor.findSystemUser({ orgNo: CUSTOMER })
    assert.equal(user?.id, request.id)
    const token = await mp.getToken({ orgNummer: CUSTOMER, forceRefresh: true })
    const detail = (decodeToken(token.accessToken).claims.authorization_details as Array<Record<string, unknown>>)[0]!
    assert.equal(detail.system_id, SYSTEM)
    assert.deepEqual(detail.systemuser_id, [request.id])
  })

  it('approving twice is AUTH-00013; a new request for the same triple is AUTH-00004 with its hint', async () => {
    const request = (await vendor.findRequest({ partyOrgNo: CUSTOMER }))!
    assert.throws(() => emu.approveRequest(request.id), /AUTH-00013/)
    const err = await rejection(vendor.requestSystemUser({ partyOrgNo: CUSTOMER, rights: [RIGHT] }))
    assert.equal(err.altinnCode, 'AUTH-00004')
    assert.match(err.message, /use findSystemUser/)
  })

  it('a change request: retried with its correlation id it is the same; approved, it is Accepted', async () => {
    const user = (await vendor.findSystemUser({ orgNo: CUSTOMER }))!
    const first = await vendor.requestChange(user.id, { requiredRights: [RIGHT2] })
    assert.equal(first.created, true)
    const again = await vendor.requestChange(user.id, { requiredRights: [RIGHT2] }, { correlationId: first.correlationId })
    assert.equal(again.changeRequest.id, first.changeRequest.id)
    emu.approveRequest(first.changeRequest.id)
    assert.equal((await vendor.getChangeRequest(first.changeRequest.id)).status, 'Accepted')
  })

  it('connect: active for the approved customer; rejected, then pending with retryRejected', async () => {
    assert.equal((await vendor.connect({ partyOrgNo: CUSTOMER, rights: [RIGHT] })).state, 'active')
    const other = '974760223'
    const pending = await vendor.connect({ partyOrgNo: other, rights: [RIGHT] })
    assert.equal(pending.state, 'pending')
    emu.rejectRequest(pending.state === 'pending' ? pending.request.id : '')
    assert.equal((await vendor.connect({ partyOrgNo: other, rights: [RIGHT] })).state, 'rejected')
    assert.equal((await vendor.connect({ partyOrgNo: other, rights: [RIGHT], retryRejected: true })).state, 'pending')
  })

  it('lists 120+ system users across 3 pages of the emulator', async () => {
    let made = 0
    for (let n = 200000000; made < 121; n++) {
      const org = String(n)
      if (!isValidOrgNummer(org)) continue
      const { request } = await vendor.requestSystemUser({ partyOrgNo: org, rights: [RIGHT] })
      emu.approveRequest(request.id)
      made++
    }
    const requestsBefore = emu.stats().vendor.requests
    const users = await all(vendor.listSystemUsers())
    assert.equal(users.length, 122)
    assert.equal(new Set(users.map((u) => u.id)).size, 122)
    assert.equal(emu.stats().vendor.requests - requestsBefore, 3, 'three pages')
    assert.ok((await all(vendor.listRequests())).length >= 122)
  })

  it('an agent request: packages only, confirmUrl agentrequest, read back on the agent routes; a package not for clients is AUTH-00065', async () => {
    const pkg = { urn: 'urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet' }
    const agentSystem = systemIdFor(VENDOR, 'agent')
    await vendor.ensureSystem({ id: agentSystem, name: 'Agent', accessPackages: [pkg, { urn: 'urn:altinn:accesspackage:skattegrunnlag' }] })
    const { request, created } = await vendor.requestSystemUser({ systemId: agentSystem, partyOrgNo: CUSTOMER, accessPackages: [pkg], agent: true })
    assert.equal(created, true)
    assert.match(request.confirmUrl, /\/systemuser\/agentrequest\?id=/)
    assert.equal((await vendor.getRequest(request.id, { agent: true })).status, 'New')
    assert.equal((await vendor.findRequest({ systemId: agentSystem, partyOrgNo: CUSTOMER, agent: true }))?.id, request.id)
    assert.equal((await all(vendor.listRequests({ systemId: agentSystem, agent: true }))).length, 1)
    const err = await rejection(vendor.requestSystemUser({ systemId: agentSystem, partyOrgNo: '974760223', accessPackages: [{ urn: 'urn:altinn:accesspackage:skattegrunnlag' }], agent: true }))
    assert.equal(err.altinnCode, 'AUTH-00065')
  })

  it('made from a config: its own client, the given fetch for tokens and calls, close() closes it', async () => {
    const key = await generateSigningKey()
    emu.registerClient({ clientId: 'from-config', orgNummer: VENDOR, jwks: { keys: [key.publicJwk] }, scopes: adminScopes().split(' ') })
    const urls: string[] = []
    const counting: typeof fetch = (input, init) => {
      urls.push(String(input))
      return fetch(input, init)
    }
    const config = { clientId: 'from-config', kid: key.kid, privateKeyPem: key.privateKeyPem, issuer: emu.issuer, altinnUrl: emu.altinnUrl }
    const own = new AltinnVendorClient(config, { systemId: SYSTEM, fetch: counting })
    assert.ok(await own.getSystem())
    assert.ok(urls.some((u) => u.endsWith('/token')) && urls.some((u) => u.includes('/systemregister/vendor/')))
    own.close()
    assert.equal((await rejection(own.getSystem())).code, 'client_closed', 'closed')
    for (const options of [{ env: 'staging' }, { altinnUrl: 'ftp://x' }, { systemId: 'nope' }, { timeoutMs: -1 }]) {
      assert.throws(() => new AltinnVendorClient(config, options as never), /Invalid configuration/)
    }
  })

  it('a 401 from the vendor API gets a fresh token and one more try, counted on the emulator', async () => {
    await vendor.getSystem() // a cached token
    const { token, vendor: v } = emu.stats()
    emu.injectFault({ endpoint: 'vendor', kind: 'status', status: 401, times: 1 })
    assert.ok(await vendor.getSystem())
    const after = emu.stats()
    assert.equal(after.vendor.requests - v.requests, 2)
    assert.equal(after.token.issued - token.issued, 1)
  })

  it('a 503 on a GET is retried; the emulator counts both', async () => {
    const { vendor: v } = emu.stats()
    emu.injectFault({ endpoint: 'vendor', kind: 'status', status: 503, times: 1 })
    assert.ok(await vendor.getSystem())
    assert.equal(emu.stats().vendor.requests - v.requests, 2)
  })

  it("the emulator's refusals: unknown system (AUTH-00011), a right not in the system (AUTH-00001), a burnt id", async () => {
    const unknown = await rejection(vendor.requestSystemUser({ systemId: systemIdFor(VENDOR, 'nosuch'), partyOrgNo: CUSTOMER, rights: [RIGHT] }))
    assert.equal(unknown.altinnCode, 'AUTH-00011')
    assert.match(unknown.message, /ensureSystem/)
    const notInSystem = await rejection(vendor.requestSystemUser({ partyOrgNo: CUSTOMER, externalRef: 'x', rights: [resourceRight('some-other-resource')] }))
    assert.equal(notInSystem.altinnCode, 'AUTH-00001')
    const burn = systemIdFor(VENDOR, 'burn')
    await vendor.ensureSystem({ id: burn, name: 'Burn', rights: [RIGHT] })
    await vendor.deleteSystem(burn, { confirmBurnId: true })
    const burnt = await rejection(vendor.ensureSystem({ id: burn, name: 'Burn', rights: [RIGHT] }))
    assert.match(burnt.message, /never be used again/)
    const token = (await mp.getToken({ scope: 'altinn:authentication/systemregister.write' })).accessToken
    assertNoSecrets([unknown.message, JSON.stringify(unknown), notInSystem.message, JSON.stringify(burnt)], [token])
  })

  it('a token without the scope a route needs: 403 with the scope named', async () => {
    const key = await generateSigningKey()
    emu.registerClient({ clientId: 'read-only', orgNummer: VENDOR, jwks: { keys: [key.publicJwk] }, scopes: ['altinn:authentication/systemuser.request.read'] })
    const narrow = new MaskinportenClient({ clientId: 'read-only', kid: key.kid, privateKeyPem: key.privateKeyPem, issuer: emu.issuer, altinnUrl: emu.altinnUrl })
    try {
      // Maskinporten refuses the scope the client lacks before Altinn is asked: invalid_scope, MP-200.
      const err = await rejection(new AltinnVendorClient(narrow, { systemId: SYSTEM }).getSystem())
      assert.equal(err.oauthError, 'invalid_scope')
    } finally {
      narrow.close()
    }
  })
})
