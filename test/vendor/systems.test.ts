// The system register through AltinnVendorClient, against the fake Altinn: create (a bare GUID answer), unchanged,
// an update that keeps what was not mentioned, burnt ids, deletion only with confirmBurnId, the lists' PUTs.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { resourceRight, systemIdFor } from '../../src/vendor/ids.ts'
import { rejection, SYSTEM_ID, VENDOR_ORG, vendorFixture } from './setup.ts'
import { SRW } from './fake-altinn.ts'

const RIGHT = resourceRight('app_brg_aarsregnskap-vanlig-202406')
const RIGHT2 = resourceRight('ske-innrapportering-aksjonaerregisteroppgave')

describe('vendor: system register', () => {
  const f = vendorFixture()

  it('systemIdFor and resourceRight make the forms Altinn takes, and refuse bad input', () => {
    assert.equal(systemIdFor(VENDOR_ORG, 'wenche2'), SYSTEM_ID)
    assert.deepEqual(RIGHT, { resource: [{ id: 'urn:altinn:resource', value: 'app_brg_aarsregnskap-vanlig-202406' }] })
    assert.throws(() => systemIdFor('123456789', 'x'), /check digit/)
    assert.throws(() => systemIdFor(VENDOR_ORG, 'has space'), /without spaces/)
    assert.throws(() => resourceRight('a/b'), /resource id/)
  })

  it('getSystem answers undefined on 404', async () => {
    assert.equal(await f.vendor.getSystem(), undefined)
  })

  it('ensureSystem creates (POST answers a bare GUID), then reads the system back', async () => {
    const result = await f.vendor.ensureSystem({ id: SYSTEM_ID, name: 'Wenche', rights: [RIGHT], clientId: ['client-a'] })
    assert.equal(result.action, 'created')
    assert.equal(result.system.id, SYSTEM_ID)
    assert.deepEqual(result.system.clientId, ['client-a'])
    assert.deepEqual(result.system.vendor, { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR_ORG}` })
    const post = f.altinn.seen.find((s) => s.method === 'POST')!
    assert.deepEqual(post.body, {
      id: SYSTEM_ID,
      vendor: { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR_ORG}` },
      name: { nb: 'Wenche', nn: 'Wenche', en: 'Wenche' },
      description: { nb: 'Wenche', nn: 'Wenche', en: 'Wenche' },
      rights: [RIGHT],
      accessPackages: [],
      clientId: ['client-a'],
      allowedRedirectUrls: [],
      isVisible: true,
    })
  })

  it('ensureSystem with the same definition is unchanged and sends no write', async () => {
    const writes = f.altinn.seen.filter((s) => s.method !== 'GET').length
    const result = await f.vendor.ensureSystem({ id: SYSTEM_ID, name: 'Wenche', rights: [RIGHT], clientId: ['client-a'] })
    assert.equal(result.action, 'unchanged')
    assert.equal(f.altinn.seen.filter((s) => s.method !== 'GET').length, writes)
  })

  it('ensureSystem updates with a PUT that keeps the fields not mentioned (clientId survives)', async () => {
    const plan = await f.vendor.planSystem({ id: SYSTEM_ID, name: 'Wenche', rights: [RIGHT, RIGHT2] })
    assert.equal(plan.action, 'update')
    assert.deepEqual(plan.changes.map((c) => c.field), ['rights'])
    const result = await f.vendor.ensureSystem({ id: SYSTEM_ID, name: 'Wenche', rights: [RIGHT, RIGHT2] })
    assert.equal(result.action, 'updated')
    assert.deepEqual(result.system.clientId, ['client-a'])
    assert.equal(result.system.rights.length, 2)
    const put = f.altinn.seen.filter((s) => s.method === 'PUT').at(-1)!
    assert.deepEqual((put.body as { clientId: string[] }).clientId, ['client-a'])
  })

  it('a POST that meets VLD-00002 (made meanwhile) is judged again instead of failing', async () => {
    const id = systemIdFor(VENDOR_ORG, 'race')
    f.altinn.script({ method: 'GET', path: `/systemregister/vendor/${id}`, status: 404, times: 1 })
    f.altinn.systems.set(id, { id, vendor: { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR_ORG}` }, name: { nb: 'Race' }, description: {}, rights: [], accessPackages: [], clientId: [], allowedRedirectUrls: [], isVisible: true, isDeleted: false })
    const result = await f.vendor.ensureSystem({ id, name: { nb: 'Race' } })
    assert.equal(result.action, 'unchanged')
  })

  it('listSystems, setSystemRights, setSystemAccessPackages, replaceSystem', async () => {
    const listed = await f.vendor.listSystems()
    assert.ok(listed.some((s) => s.id === SYSTEM_ID))
    await f.vendor.setSystemRights([RIGHT])
    assert.equal((await f.vendor.getSystem())!.rights.length, 1)
    await f.vendor.setSystemAccessPackages([{ urn: 'urn:altinn:accesspackage:regnskapsforer-lonn' }])
    assert.deepEqual((await f.vendor.getSystem())!.accessPackages, [{ urn: 'urn:altinn:accesspackage:regnskapsforer-lonn' }])
    await f.vendor.replaceSystem({ id: SYSTEM_ID, name: 'Wenche', rights: [RIGHT], clientId: ['client-a'] })
    assert.deepEqual((await f.vendor.getSystem())!.accessPackages, [], 'replace means replace')
  })

  it('deleteSystem refuses without confirmBurnId, and a deleted id cannot be ensured again', async () => {
    const id = systemIdFor(VENDOR_ORG, 'burn')
    await f.vendor.ensureSystem({ id, name: 'Burn' })
    const count = f.altinn.seen.length
    const refused = await rejection(f.vendor.deleteSystem(id))
    assert.equal(refused.code, 'invalid_config')
    assert.match(refused.message, /confirmBurnId/)
    assert.equal(f.altinn.seen.length, count, 'nothing sent')
    await f.vendor.deleteSystem(id, { confirmBurnId: true })
    const err = await rejection(f.vendor.ensureSystem({ id, name: 'Burn' }))
    assert.match(err.message, /can never be used again/)
  })

  it('a PUT on a deleted system gets the plain-text refusal with its hint', async () => {
    const id = systemIdFor(VENDOR_ORG, 'burn')
    const err = await rejection(f.vendor.replaceSystem({ id, name: 'Burn' }))
    assert.equal(err.code, 'altinn_api_error')
    assert.equal(err.status, 400)
    assert.match(err.message, /Cannot update a system marked as deleted/)
    assert.match(err.message, /another name/)
  })

  it('checks the definition before sending anything', async () => {
    const count = f.altinn.seen.length
    for (const def of [
      { id: 'wenche2', name: 'x' },
      { id: SYSTEM_ID, name: '' },
      { id: SYSTEM_ID, name: 'x', allowedRedirectUrls: ['http://example.com'] },
      { id: SYSTEM_ID, name: 'x', rights: [{ resource: [] }] },
      { id: SYSTEM_ID, name: 'x', clientId: [`-----BEGIN ${'PRIVATE'} KEY-----`] },
    ]) {
      const err = await rejection(f.vendor.ensureSystem(def as never))
      assert.equal(err.code, 'invalid_config', JSON.stringify(def))
      assert.doesNotMatch(err.message, /BEGIN PRIVATE/)
    }
    assert.equal(f.altinn.seen.length, count)
  })

  it('a POST answered with an object instead of a GUID string is an altinn_api_error, and is not retried', async () => {
    f.altinn.script({ method: 'POST', path: '/systemregister/vendor', status: 200, body: '{"id":"x"}', times: 1 })
    const err = await rejection(f.vendor.ensureSystem({ id: systemIdFor(VENDOR_ORG, 'shape'), name: 'Shape' }))
    assert.equal(err.code, 'altinn_api_error')
    assert.match(err.message, /not with a JSON string holding a GUID/)
    f.altinn.script({ method: 'POST', path: '/systemregister/vendor', status: 503, times: 1 })
    const posts = f.altinn.seen.filter((s) => s.method === 'POST').length
    const unavailable = await rejection(f.vendor.ensureSystem({ id: systemIdFor(VENDOR_ORG, 'shape2'), name: 'Shape' }))
    assert.equal(unavailable.status, 503)
    assert.equal(f.altinn.seen.filter((s) => s.method === 'POST').length - posts, 1, 'a register POST is not retried')
  })

  it('asks for the system register scope on these routes', async () => {
    const get = f.altinn.seen.find((s) => s.path.endsWith(`/systemregister/vendor/${SYSTEM_ID}`))!
    const { decodeToken } = await import('../../src/exchange/token.ts')
    assert.equal(decodeToken(get.authorization!.slice(7)).claims.scope, SRW)
  })
})
