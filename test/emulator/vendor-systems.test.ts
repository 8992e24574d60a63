/**
 * The system register on the emulator (docs/vendor-api.md §1): the bare-GUID answer, replace-all PUTs, burnt ids,
 * client ids unique across live systems, the validation codes in the service's order, and the bearer and scope
 * checks common to every vendor route (§0).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { makeSigningKey, signToken } from '../../src/emulator/tokens.js'
import {
  OTHER_VENDOR,
  RESOURCE,
  RQR,
  RQW,
  SRW,
  SYSTEM_ID,
  VENDOR_ORG,
  assertValidation,
  registerTestSystem,
  right,
  startVendorFixture,
  systemBody,
  type VendorFixture,
} from './vendor-fixtures.js'

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

describe('emulator: system register', () => {
  let f: VendorFixture
  before(async () => {
    f = await startVendorFixture(() => ({ resources: [RESOURCE, 'ske-innrapportering-aksjonaerregisteroppgave', 'app_other'] }))
  })
  after(() => f.emu.close())

  it('refuses a missing or foreign bearer with 401, a missing scope with 403 (empty bodies)', async () => {
    const none = await f.api('GET', 'systemregister/vendor', undefined, null)
    assert.equal(none.status, 401)
    assert.equal(none.text, '')
    assert.equal(none.headers.get('www-authenticate'), 'Bearer')
    const strangerKey = await makeSigningKey()
    const now = Math.floor(Date.now() / 1000)
    const claims = { scope: SRW, iss: f.emu.issuer, exp: now + 100, iat: now, consumer: { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR_ORG}` } }
    const forged = await signToken(strangerKey, claims, 'maskinporten')
    assert.equal((await f.api('GET', 'systemregister/vendor', undefined, forged)).status, 401)
    const before = f.emu.stats().vendor.unauthorized
    await f.api('GET', 'systemregister/vendor', undefined, 'not-a-token')
    assert.equal(f.emu.stats().vendor.unauthorized, before + 1)
    for (const scopes of [[RQR, RQW], ['altinn:instances.read']]) {
      const answer = await f.api('GET', 'systemregister/vendor', undefined, await f.token(scopes))
      assert.equal(answer.status, 403)
      assert.equal(answer.text, '')
    }
  })

  it('registers a system: 200 with a bare JSON GUID string, then reads it back', async () => {
    const res = await f.api('POST', 'systemregister/vendor', systemBody([f.vendor.clientId]))
    assert.equal(res.status, 200)
    assert.match(res.text, /^"[0-9a-f-]{36}"$/)
    assert.match(res.json, GUID)
    const got = await f.api('GET', `systemregister/vendor/${SYSTEM_ID}`)
    assert.equal(got.status, 200)
    assert.deepEqual(Object.keys(got.json), ['id', 'vendor', 'name', 'description', 'rights', 'accessPackages', 'isDeleted', 'clientId', 'isVisible', 'allowedRedirectUrls'])
    assert.equal(got.json.id, SYSTEM_ID)
    assert.deepEqual(got.json.vendor, { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR_ORG}` })
    assert.deepEqual(got.json.clientId, [f.vendor.clientId])
    assert.equal(got.json.isDeleted, false)
    const list = await f.api('GET', 'systemregister/vendor')
    assert.deepEqual(list.json.map((s: { id: string }) => s.id), [SYSTEM_ID])
    // Another vendor sees neither the list entry nor the system.
    const otherToken = await f.token(undefined, f.other)
    assert.deepEqual((await f.api('GET', 'systemregister/vendor', undefined, otherToken)).json, [])
    const foreign = await f.api('GET', `systemregister/vendor/${SYSTEM_ID}`, undefined, otherToken)
    assert.equal(foreign.status, 403)
    assert.equal(foreign.text, '')
    const missing = await f.api('GET', `systemregister/vendor/${VENDOR_ORG}_nothing`)
    assert.equal(missing.status, 404)
    assert.equal(missing.text, '')
  })

  it('reads keys in any case, trims strings and ignores unknown keys', async () => {
    const res = await f.api('POST', 'systemregister/vendor', {
      ID: `  ${VENDOR_ORG}_loose  `,
      VENDOR: { Authority: 'iso6523-actorid-upis', id: `0192:${VENDOR_ORG}` },
      Name: { NB: 'Løs' },
      Rights: [right(RESOURCE)],
      externalReference: 'ignored',
      clientid: [],
    })
    assert.equal(res.status, 200, res.text)
    const got = await f.api('GET', `systemregister/vendor/${VENDOR_ORG}_loose`)
    assert.equal(got.json.id, `${VENDOR_ORG}_loose`)
    assert.deepEqual(got.json.name, { nb: 'Løs' })
    assert.equal(got.json.externalReference, undefined)
  })

  it('answers each validation code of the register POST, several at once in the service order', async () => {
    const post = (overrides: Record<string, unknown>) => f.api('POST', 'systemregister/vendor', systemBody([], overrides))
    assertValidation(await post({ id: `${VENDOR_ORG}_v0`, vendor: { authority: 'iso6523-actorid-upis', ID: VENDOR_ORG } }), ['00'])
    assertValidation(await post({ id: `${VENDOR_ORG}_v1`, vendor: { authority: 'iso6523-actorid-upis', ID: '0192:999888777' } }), ['00'])
    assertValidation(await post({ id: 'wenche_without_org' }), ['01'])
    assertValidation(await post({ id: SYSTEM_ID }), ['02'])
    assertValidation(await post({ id: `${VENDOR_ORG}_v3`, rights: [right('app_unknown')] }), ['03'])
    assertValidation(await post({ id: `${VENDOR_ORG}_v4`, clientId: [f.vendor.clientId] }), ['04'])
    assertValidation(await post({ id: `${VENDOR_ORG}_v5`, allowedRedirectUrls: ['http://wenche.example/done'] }), ['05'])
    assertValidation(await post({ id: `${VENDOR_ORG}_v6`, rights: [right(RESOURCE), right(RESOURCE)] }), ['06'])
    const pkg = { urn: 'urn:altinn:accesspackage:regnskapsforer-lonn' }
    assertValidation(await post({ id: `${VENDOR_ORG}_v7`, accessPackages: [pkg, pkg] }), ['07'])
    assertValidation(await post({ id: `${VENDOR_ORG}_v8`, accessPackages: [{ urn: 'not-a-package' }] }), ['08'])
    assertValidation(await post({ id: `${VENDOR_ORG}_v9`, rights: [{ resource: [{ id: 'urn:altinn:app', value: RESOURCE }] }] }), ['09'])
    assertValidation(await post({ id: `${VENDOR_ORG}_v 13` }), ['13'])
    const many = await post({ id: `${VENDOR_ORG}_ x`, clientId: [f.vendor.clientId], rights: [right('app_unknown')] })
    assertValidation(many, ['13', '04', '03'])
    assert.deepEqual(many.json.validationErrors[0], {
      code: 'AUTH.VLD-00013',
      title: 'System ID cannot have spaces in id (leading, trailing or in between the id)',
      paths: ['/registersystemrequest/systemid'],
    })
  })

  it("refuses another vendor's system with 403 before showing validation errors; a wrong type is a binding 400", async () => {
    const otherToken = await f.token(undefined, f.other)
    const res = await f.api('POST', 'systemregister/vendor', systemBody([], { id: 'bad id' }), otherToken)
    assert.equal(res.status, 403)
    assert.equal(res.text, '')
    const typed = await f.api('POST', 'systemregister/vendor', systemBody([], { id: 42 }))
    assert.equal(typed.status, 400)
    assert.ok(typed.json.errors)
    const notJson = await f.api('POST', 'systemregister/vendor', '{')
    assert.equal(notJson.status, 400)
  })

  it('PUT replaces everything (an omitted clientId is gone) and answers {"succeeded":true}', async () => {
    await registerTestSystem(f, [f.stranger.clientId], { id: `${VENDOR_ORG}_put` })
    const { clientId: _dropped, ...withoutClients } = systemBody([], { id: `${VENDOR_ORG}_put`, name: { en: 'Renamed' } })
    const res = await f.api('PUT', `systemregister/vendor/${VENDOR_ORG}_put`, withoutClients)
    assert.equal(res.status, 200, res.text)
    assert.deepEqual(res.json, { succeeded: true })
    const got = await f.api('GET', `systemregister/vendor/${VENDOR_ORG}_put`)
    assert.deepEqual(got.json.clientId, [])
    assert.deepEqual(got.json.name, { en: 'Renamed' })
    // The client id is free again for another system.
    await registerTestSystem(f, [f.stranger.clientId], { id: `${VENDOR_ORG}_put2` })
    const put = (id: string, body: unknown) => f.api('PUT', `systemregister/vendor/${id}`, body)
    const missing = await put(`${VENDOR_ORG}_none`, systemBody([], { id: `${VENDOR_ORG}_none` }))
    assert.equal(missing.status, 404)
    assert.match(missing.text, /not found/)
    assertValidation(await put(`${VENDOR_ORG}_put`, systemBody([], { id: `${VENDOR_ORG}_other` })), ['12'])
    assertValidation(await put(`${VENDOR_ORG}_put`, systemBody(['a', 'A'], { id: `${VENDOR_ORG}_put` })), ['11'])
    assertValidation(await put(`${VENDOR_ORG}_put`, systemBody([f.stranger.clientId], { id: `${VENDOR_ORG}_put` })), ['04'])
    assertValidation(await put(`${VENDOR_ORG}_put`, systemBody([], { id: `${VENDOR_ORG}_put`, rights: [right('app_unknown')] })), ['03'])
    const foreign = await put(`${VENDOR_ORG}_put`, systemBody([], { id: `${VENDOR_ORG}_put` }))
    assert.equal(foreign.status, 200)
    const asOther = await f.api('PUT', `systemregister/vendor/${VENDOR_ORG}_put`, systemBody([], { id: `${VENDOR_ORG}_put` }), await f.token(undefined, f.other))
    assert.equal(asOther.status, 403)
  })

  it('PUT rights and PUT accesspackages replace one list, with the register checks', async () => {
    await registerTestSystem(f, [], { id: `${VENDOR_ORG}_lists` })
    const rights = await f.api('PUT', `systemregister/vendor/${VENDOR_ORG}_lists/rights`, [right('app_other')])
    assert.deepEqual([rights.status, rights.json], [200, { succeeded: true }])
    const packages = await f.api('PUT', `systemregister/vendor/${VENDOR_ORG}_lists/accesspackages`, [{ urn: 'urn:altinn:accesspackage:ansvarlig-revisor' }])
    assert.deepEqual([packages.status, packages.json], [200, { succeeded: true }])
    const got = await f.api('GET', `systemregister/vendor/${VENDOR_ORG}_lists`)
    assert.deepEqual(got.json.rights, [right('app_other')])
    assert.deepEqual(got.json.accessPackages, [{ urn: 'urn:altinn:accesspackage:ansvarlig-revisor' }])
    assertValidation(await f.api('PUT', `systemregister/vendor/${VENDOR_ORG}_lists/rights`, [right('app_other'), right('app_other')]), ['06'])
    assertValidation(await f.api('PUT', `systemregister/vendor/${VENDOR_ORG}_lists/accesspackages`, [{ urn: 'x' }]), ['08'])
    assert.equal((await f.api('PUT', `systemregister/vendor/${VENDOR_ORG}_nolists/rights`, [])).status, 404)
  })

  it('DELETE burns the id for ever and frees its client ids; updates of a deleted system are a 400 text', async () => {
    await registerTestSystem(f, [f.other.clientId], { id: `${VENDOR_ORG}_burnt` })
    const del = await f.api('DELETE', `systemregister/vendor/${VENDOR_ORG}_burnt`)
    assert.deepEqual([del.status, del.json], [200, { succeeded: true }])
    const got = await f.api('GET', `systemregister/vendor/${VENDOR_ORG}_burnt`)
    assert.equal(got.json.isDeleted, true)
    assert.ok(!(await f.api('GET', 'systemregister/vendor')).json.some((s: { id: string }) => s.id === `${VENDOR_ORG}_burnt`))
    assertValidation(await f.api('POST', 'systemregister/vendor', systemBody([], { id: `${VENDOR_ORG}_burnt` })), ['02'])
    const put = await f.api('PUT', `systemregister/vendor/${VENDOR_ORG}_burnt`, systemBody([], { id: `${VENDOR_ORG}_burnt` }))
    assert.equal(put.status, 400)
    assert.equal(put.text, 'Cannot update a system marked as deleted.')
    const rights = await f.api('PUT', `systemregister/vendor/${VENDOR_ORG}_burnt/rights`, [])
    assert.equal(rights.text, 'Cannot update a system marked as deleted.')
    await registerTestSystem(f, [f.other.clientId], { id: `${VENDOR_ORG}_reuses_client` })
    const missing = await f.api('DELETE', `systemregister/vendor/${VENDOR_ORG}_never`)
    assert.equal(missing.status, 400)
    assert.deepEqual(missing.json.errors, { return: ['System not found'] })
  })

  it("faults hit the vendor routes ('vendor' endpoint) and are counted as such", async () => {
    await f.api('GET', 'systemregister/vendor') // the admin token is fetched before the fault is queued
    const before = f.emu.stats().vendor
    f.emu.injectFault({ endpoint: 'vendor', kind: 'status', status: 503, retryAfterSeconds: 1 })
    const faulted = await f.api('GET', 'systemregister/vendor')
    assert.equal(faulted.status, 503)
    assert.equal(faulted.headers.get('retry-after'), '1')
    assert.equal((await f.api('GET', 'systemregister/vendor')).status, 200)
    const stats = f.emu.stats().vendor
    assert.deepEqual([stats.requests - before.requests, stats.issued - before.issued, stats.rejected - before.rejected], [2, 1, 0])
  })

  it('the admin scope skips the ownership check; unknown routes are 404, wrong methods 405', async () => {
    const admin = await f.token(['altinn:authentication/systemregister.admin'], f.other)
    assert.equal((await f.api('GET', `systemregister/vendor/${SYSTEM_ID}`, undefined, admin)).status, 200)
    assert.equal((await f.api('GET', 'systemregister/vendor/nothing/here/at/all')).status, 404)
    assert.equal((await f.api('PATCH', `systemregister/vendor/${SYSTEM_ID}`, {})).status, 405)
    void OTHER_VENDOR
  })
})
