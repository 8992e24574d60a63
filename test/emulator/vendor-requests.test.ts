/**
 * System user requests on the emulator (docs/vendor-api.md §2): 201 then 200 with the same id per (system, party,
 * externalRef) with the org number as the default externalRef, AUTH-00004 once a system user exists, the codes of
 * the table in the service's order, agent requests, look-ups, soft delete, and `timedOut` after 180 days of the
 * emulator's clock.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  CUSTOMER_ORG,
  OTHER_ORG,
  RESOURCE,
  RESOURCE_2,
  RQR,
  RQW,
  SYSTEM_ID,
  assertProblem,
  registerTestSystem,
  right,
  startVendorFixture,
  type VendorFixture,
} from './vendor-fixtures.js'

const CLIENT_PACKAGE = { urn: 'urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet' }

describe('emulator: system user requests', () => {
  let f: VendorFixture
  before(async () => {
    f = await startVendorFixture(() => ({ parties: [CUSTOMER_ORG, OTHER_ORG, '991825827'] }))
    await registerTestSystem(f)
  })
  after(() => f.emu.close())

  const ask = (body: Record<string, unknown>, bearer?: string) =>
    f.api('POST', 'systemuser/request/vendor', { systemId: SYSTEM_ID, partyOrgNo: CUSTOMER_ORG, rights: [right(RESOURCE)], ...body }, bearer)

  it('creates a request (201, the full shape, the emulator\'s confirmUrl), and answers the same one with 200', async () => {
    const first = await ask({ integrationTitle: 'Wenche', redirectUrl: 'https://wenche.example/done' })
    assert.equal(first.status, 201, first.text)
    const r = first.json
    assert.deepEqual(Object.keys(r), ['id', 'integrationTitle', 'externalRef', 'systemId', 'partyOrgNo', 'rights', 'accessPackages', 'status', 'redirectUrl', 'confirmUrl', 'escalated', 'created', 'timedOut'])
    assert.equal(r.externalRef, CUSTOMER_ORG)
    assert.equal(r.status, 'New')
    assert.equal(r.timedOut, false)
    assert.equal(r.confirmUrl, `${f.emu.url}/accessmanagement/ui/systemuser/request?id=${r.id}&DONTCHOOSEREPORTEE=true`)
    assert.equal(first.headers.get('location'), `${f.emu.altinnUrl}/authentication/api/v1/systemuser/request/vendor/${r.id}`)
    // The same triple, spelt with the default externalRef: the stored request.
    const again = await ask({ externalRef: CUSTOMER_ORG })
    assert.equal(again.status, 200)
    assert.equal(again.json.id, r.id)
    assert.equal(again.json.integrationTitle, 'Wenche')
    const byId = await f.api('GET', `systemuser/request/vendor/${r.id}`)
    assert.deepEqual(byId.json, again.json)
    const byRef = await f.api('GET', `systemuser/request/vendor/byexternalref/${SYSTEM_ID}/${CUSTOMER_ORG}/${CUSTOMER_ORG}`)
    assert.equal(byRef.json.id, r.id)
    // Another externalRef is another request.
    const other = await ask({ externalRef: 'kunde-2' })
    assert.equal(other.status, 201)
    assert.notEqual(other.json.id, r.id)
  })

  it('AUTH-00004 once the customer approved; a rejected request is answered as it is until deleted', async () => {
    const made = await ask({ partyOrgNo: OTHER_ORG })
    assert.equal(made.status, 201)
    f.emu.rejectRequest(made.json.id)
    const rejected = await ask({ partyOrgNo: OTHER_ORG })
    assert.deepEqual([rejected.status, rejected.json.id, rejected.json.status], [200, made.json.id, 'Rejected'])
    const del = await f.api('DELETE', `systemuser/request/vendor/${made.json.id}`)
    assert.equal(del.status, 202)
    assert.equal(del.text, '')
    assertProblem(await f.api('GET', `systemuser/request/vendor/${made.json.id}`), 404, 'AUTH-00010')
    assertProblem(await f.api('DELETE', `systemuser/request/vendor/${made.json.id}`), 404, 'AUTH-00010')
    const renewed = await ask({ partyOrgNo: OTHER_ORG })
    assert.equal(renewed.status, 201)
    f.emu.approveRequest(renewed.json.id)
    assertProblem(await ask({ partyOrgNo: OTHER_ORG }), 400, 'AUTH-00004')
    assertProblem(await ask({ partyOrgNo: OTHER_ORG, externalRef: OTHER_ORG }), 400, 'AUTH-00004')
    assert.equal((await ask({ partyOrgNo: OTHER_ORG, externalRef: 'second' })).status, 201)
  })

  it('answers every code of the table, in the service order', async () => {
    assertProblem(await ask({ systemId: '991825827_unknown' }), 404, 'AUTH-00011')
    assertProblem(await ask({}, await f.token(undefined, f.other)), 404, 'AUTH-00011')
    assertProblem(await ask({ partyOrgNo: '910753614' }), 400, 'AUTH-00000') // valid, but not in `parties`
    assertProblem(await ask({ partyOrgNo: '999888777', externalRef: 'x' }), 400, 'AUTH-00000')
    assertProblem(await ask({ externalRef: 'r1', rights: [right('app_not_on_system')] }), 400, 'AUTH-00001')
    assertProblem(await ask({ externalRef: 'r2', rights: undefined }), 400, 'AUTH-00001')
    assertProblem(await ask({ externalRef: 'r3', rights: [], accessPackages: [] }), 400, 'AUTH-00059')
    assertProblem(await ask({ externalRef: 'r4', redirectUrl: 'https://evil.example/' }), 400, 'AUTH-00021')
    await registerTestSystem(f, [], { id: `${SYSTEM_ID}_noredirect`, allowedRedirectUrls: [] })
    assertProblem(await ask({ systemId: `${SYSTEM_ID}_noredirect`, redirectUrl: 'https://wenche.example/done' }), 400, 'AUTH-00026')
    const titled = await ask({ externalRef: 'r5', rights: [right('app_not_on_system')], redirectUrl: 'https://evil.example/' })
    assertProblem(titled, 400, 'AUTH-00021')
    assert.equal(titled.json.title, 'The RedirectUri was not found or not valid.')
    assertProblem(await f.api('GET', 'systemuser/request/vendor/00000000-0000-4000-8000-000000000000'), 404, 'AUTH-00010')
    const notGuid = await f.api('GET', 'systemuser/request/vendor/not-a-guid')
    assert.equal(notGuid.status, 400)
    assertProblem(await f.api('GET', `systemuser/request/vendor/byexternalref/${SYSTEM_ID}/${CUSTOMER_ORG}/nobody`), 404, 'AUTH-00010')
    assertProblem(await f.api('GET', 'systemuser/request/vendor/bysystem/991825827_unknown'), 404, 'AUTH-00011')
  })

  it('checks the scopes: RQW to create and delete, RQR to read', async () => {
    const readOnly = await f.token([RQR])
    const writeOnly = await f.token([RQW])
    assert.equal((await ask({ externalRef: 'scoped' }, readOnly)).status, 403)
    const made = await ask({ externalRef: 'scoped' }, writeOnly)
    assert.equal(made.status, 201)
    assert.equal((await f.api('GET', `systemuser/request/vendor/${made.json.id}`, undefined, writeOnly)).status, 403)
    assert.equal((await f.api('GET', `systemuser/request/vendor/${made.json.id}`, undefined, readOnly)).status, 200)
    assert.equal((await f.api('DELETE', `systemuser/request/vendor/${made.json.id}`, undefined, readOnly)).status, 403)
    assert.equal((await f.api('DELETE', `systemuser/request/vendor/${made.json.id}`, undefined, writeOnly)).status, 202)
  })

  it('agent requests: packages required and meant for clients; their own confirmUrl and routes', async () => {
    const agent = (body: Record<string, unknown>) =>
      f.api('POST', 'systemuser/request/vendor/agent', { systemId: SYSTEM_ID, partyOrgNo: CUSTOMER_ORG, externalRef: 'agent', ...body })
    assertProblem(await agent({}), 400, 'AUTH-00058')
    assertProblem(await agent({ accessPackages: [] }), 400, 'AUTH-00058')
    assertProblem(await agent({ accessPackages: [{ urn: 'urn:altinn:accesspackage:ansvarlig-revisor' }] }), 400, 'AUTH-00001')
    await f.api('PUT', `systemregister/vendor/${SYSTEM_ID}/accesspackages`, [CLIENT_PACKAGE, { urn: 'urn:altinn:accesspackage:skattegrunnlag' }])
    assertProblem(await agent({ accessPackages: [{ urn: 'urn:altinn:accesspackage:skattegrunnlag' }] }), 400, 'AUTH-00065')
    const made = await agent({ accessPackages: [CLIENT_PACKAGE] })
    assert.equal(made.status, 201, made.text)
    assert.equal(made.json.rights, undefined)
    assert.equal(made.json.confirmUrl, `${f.emu.url}/accessmanagement/ui/systemuser/agentrequest?id=${made.json.id}&DONTCHOOSEREPORTEE=true`)
    assert.equal((await f.api('GET', `systemuser/request/vendor/agent/${made.json.id}`)).json.id, made.json.id)
    assertProblem(await f.api('GET', `systemuser/request/vendor/${made.json.id}`), 404, 'AUTH-00010')
    const byRef = await f.api('GET', `systemuser/request/vendor/agent/byexternalref/${SYSTEM_ID}/${CUSTOMER_ORG}/agent`)
    assert.equal(byRef.json.id, made.json.id)
    const page = await f.api('GET', `systemuser/request/vendor/agent/bysystem/${SYSTEM_ID}`)
    assert.deepEqual(page.json.data.map((r: { id: string }) => r.id), [made.json.id])
    assert.deepEqual(page.json.links, {})
    assert.equal((await f.api('POST', 'systemuser/request/vendor/agent', { systemId: SYSTEM_ID, partyOrgNo: CUSTOMER_ORG, externalRef: 'agent', accessPackages: [CLIENT_PACKAGE] })).status, 200)
    assertProblem(await f.api('DELETE', `systemuser/request/vendor/${made.json.id}`), 404, 'AUTH-00010')
    const del = await f.api('DELETE', `systemuser/request/vendor/agent/${made.json.id}`)
    assert.deepEqual([del.status, del.text], [202, ''])
    assertProblem(await f.api('GET', `systemuser/request/vendor/agent/${made.json.id}`), 404, 'AUTH-00010')
    void RESOURCE_2
  })
})

describe('emulator: requests time out after 180 days of the emulator clock', () => {
  it('answers timedOut: true, refuses the decision, and a new POST for the triple makes a new request', async () => {
    const f = await startVendorFixture()
    try {
      await registerTestSystem(f)
      const body = { systemId: SYSTEM_ID, partyOrgNo: CUSTOMER_ORG, rights: [right(RESOURCE)] }
      const made = await f.api('POST', 'systemuser/request/vendor', body)
      assert.equal(made.json.timedOut, false)
      f.emu.advanceClock(180 * 86_400 - 60)
      const onEmulatorTime = () => {
        const iat = Math.floor(Date.now() / 1000) + 180 * 86_400 - 60
        return { iat, exp: iat + 119 }
      }
      let token = await f.token(undefined, undefined, onEmulatorTime())
      assert.equal((await f.api('GET', `systemuser/request/vendor/${made.json.id}`, undefined, token)).json.timedOut, false)
      f.emu.advanceClock(60)
      token = await f.token(undefined, undefined, { iat: onEmulatorTime().iat + 60, exp: onEmulatorTime().iat + 179 })
      const old = await f.api('GET', `systemuser/request/vendor/${made.json.id}`, undefined, token)
      assert.deepEqual([old.json.timedOut, old.json.status], [true, 'New'])
      assert.throws(() => f.emu.approveRequest(made.json.id), /AUTH-00013/)
      const renewed = await f.api('POST', 'systemuser/request/vendor', body, token)
      assert.equal(renewed.status, 201)
      assert.notEqual(renewed.json.id, made.json.id)
    } finally {
      await f.emu.close()
    }
  })
})
