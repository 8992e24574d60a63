// System user requests, change requests, system users and connect, against the fake Altinn: 201 vs 200, look-ups,
// every page (>= 120 system users over 3 pages, next naming another host), waiting, correlation ids, the state machine.
import { describe, it, before } from 'node:test'
import assert from 'node:assert/strict'
import { resourceRight } from '../../src/vendor/ids.ts'
import { all, CUSTOMER, OTHER_CUSTOMER, rejection, SYSTEM_ID, vendorFixture } from './setup.ts'
import { RQR, RQW, SRW } from './fake-altinn.ts'
import { decodeToken } from '../../src/exchange/token.ts'
import { isValidOrgNummer } from '../../src/config/orgnummer.ts'

const RIGHT = resourceRight('app_brg_aarsregnskap-vanlig-202406')
const RIGHT2 = resourceRight('app_skd_formueinntekt-skattemelding-v2')

function scopeOf(authorization: string | undefined): string {
  return String(decodeToken(authorization!.slice(7)).claims.scope)
}

/** `count` valid org numbers, none of them the customers above. */
function orgNumbers(count: number): string[] {
  const out: string[] = []
  for (let n = 100000000; out.length < count; n++) {
    const org = String(n)
    if (isValidOrgNummer(org) && org !== CUSTOMER && org !== OTHER_CUSTOMER) out.push(org)
  }
  return out
}

describe('vendor: system user requests', () => {
  const f = vendorFixture()
  before(async () => {
    await f.vendor.ensureSystem({ id: SYSTEM_ID, name: 'Wenche', rights: [RIGHT, RIGHT2], clientId: ['vendor-test-client'] })
  })

  it('a new request answers 201 (created), the same again 200 with the same id', async () => {
    const first = await f.vendor.requestSystemUser({ partyOrgNo: CUSTOMER, rights: [RIGHT], integrationTitle: 'Wenche' })
    assert.equal(first.created, true)
    assert.equal(first.request.status, 'New')
    assert.equal(first.request.externalRef, CUSTOMER, 'externalRef defaults to the org number')
    assert.match(first.request.confirmUrl, /\/accessmanagement\/ui\/systemuser\/request\?id=/)
    const again = await f.vendor.requestSystemUser({ partyOrgNo: CUSTOMER, rights: [RIGHT], integrationTitle: 'Wenche' })
    assert.equal(again.created, false)
    assert.equal(again.request.id, first.request.id)
    const post = f.altinn.seen.filter((s) => s.method === 'POST' && s.path.endsWith('/systemuser/request/vendor')).at(-1)!
    assert.equal(scopeOf(post.authorization), RQW)
    assert.equal((post.body as Record<string, unknown>).externalRef, undefined, 'absent externalRef is not sent')
  })

  it('getRequest, findRequest (undefined when none), with the read scope', async () => {
    const found = await f.vendor.findRequest({ partyOrgNo: CUSTOMER })
    assert.ok(found)
    const got = await f.vendor.getRequest(found.id)
    assert.equal(got.partyOrgNo, CUSTOMER)
    assert.equal(scopeOf(f.altinn.seen.at(-1)!.authorization), RQR)
    assert.equal(await f.vendor.findRequest({ partyOrgNo: CUSTOMER, externalRef: 'other' }), undefined)
  })

  it('getRequest of an unknown id is AUTH-00010 with its hint; a non-GUID is refused before sending', async () => {
    const err = await rejection(f.vendor.getRequest('0b9e4d6a-0000-4000-8000-000000000000'))
    assert.equal(err.code, 'altinn_api_error')
    assert.equal(err.status, 404)
    assert.equal(err.altinnCode, 'AUTH-00010')
    assert.match(err.message, /findRequest/)
    const count = f.altinn.seen.length
    assert.equal((await rejection(f.vendor.getRequest('42'))).code, 'invalid_config')
    assert.equal(f.altinn.seen.length, count)
  })

  it('refuses bad arguments before sending: org number, nothing asked, rights in an agent request', async () => {
    const count = f.altinn.seen.length
    for (const input of [
      { partyOrgNo: '123456789', rights: [RIGHT] },
      { partyOrgNo: CUSTOMER },
      { partyOrgNo: CUSTOMER, rights: [RIGHT], agent: true },
      { partyOrgNo: CUSTOMER, rights: [RIGHT], redirectUrl: 'http://x.example' },
    ]) {
      assert.equal((await rejection(f.vendor.requestSystemUser(input as never))).code, 'invalid_config', JSON.stringify(input))
    }
    assert.equal(f.altinn.seen.length, count)
  })

  it('waitForRequest resolves when the customer answers', async () => {
    const { request } = await f.vendor.requestSystemUser({ partyOrgNo: OTHER_CUSTOMER, rights: [RIGHT] })
    let polls = 0
    const waited = f.vendor.waitForRequest(request.id, {
      intervalMs: 10,
      timeoutMs: 5_000,
      onPoll: () => {
        if (++polls === 3) f.altinn.approve(request.id)
      },
    })
    assert.equal((await waited).status, 'Accepted')
    assert.ok(polls >= 4)
  })

  it('waitForRequest rejects with request_still_pending on timeout and on abort', async () => {
    const { request } = await f.vendor.requestSystemUser({ partyOrgNo: CUSTOMER, externalRef: 'wait', rights: [RIGHT] })
    const timedOut = await rejection(f.vendor.waitForRequest(request.id, { intervalMs: 10, timeoutMs: 50 }))
    assert.equal(timedOut.code, 'request_still_pending')
    assert.match(timedOut.message, /confirmUrl/)
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 30)
    const aborted = await rejection(f.vendor.waitForRequest(request.id, { intervalMs: 10_000, signal: controller.signal }))
    assert.equal(aborted.code, 'request_still_pending')
    assert.match(aborted.message, /aborted/)
  })

  it('listRequests follows every page; deleteRequest removes one', async () => {
    f.altinn.pageSize = 2
    try {
      const listed = await all(f.vendor.listRequests())
      assert.equal(listed.length, 3)
      await f.vendor.deleteRequest(listed.find((r) => r.externalRef === 'wait')!.id)
      assert.equal((await all(f.vendor.listRequests())).length, 2)
    } finally {
      f.altinn.pageSize = 50
    }
  })

  it('a repeated change request with its correlation id is the same request; a new id is made and returned', async () => {
    const user = (await f.vendor.findSystemUser({ orgNo: OTHER_CUSTOMER }))!
    assert.ok(user, 'approved above')
    const first = await f.vendor.requestChange(user.id, { requiredRights: [RIGHT2] })
    assert.equal(first.created, true)
    assert.match(first.correlationId, /^[0-9a-f-]{36}$/)
    const post = f.altinn.seen.filter((s) => s.path.endsWith('/changerequest/vendor')).at(-1)!
    assert.equal(post.query.get('correlation-id'), first.correlationId)
    assert.equal(post.query.get('system-user-id'), user.id)
    assert.deepEqual([...post.query.keys()].sort(), ['correlation-id', 'system-user-id'])
    const again = await f.vendor.requestChange(user.id, { requiredRights: [RIGHT2] }, { correlationId: first.correlationId })
    assert.equal(again.created, false)
    assert.equal(again.changeRequest.id, first.changeRequest.id)
    assert.equal((await f.vendor.getChangeRequest(first.changeRequest.id)).status, 'New')
    assert.equal((await all(f.vendor.listChangeRequests())).length, 1)
    await f.vendor.deleteChangeRequest(first.changeRequest.id)
    assert.equal((await all(f.vendor.listChangeRequests())).length, 0)
    assert.equal((await rejection(f.vendor.requestChange(user.id, {}, { correlationId: user.id }))).code, 'invalid_config')
  })

  it('a change request POST answered 503 is retried with the same correlation id', async () => {
    const user = (await f.vendor.findSystemUser({ orgNo: OTHER_CUSTOMER }))!
    f.altinn.script({ method: 'POST', path: '/changerequest/vendor', status: 503, times: 2 })
    const before = f.altinn.seen.length
    const result = await f.vendor.requestChange(user.id, { requiredRights: [RIGHT] })
    const posts = f.altinn.seen.slice(before).filter((s) => s.method === 'POST')
    assert.equal(posts.length, 3)
    assert.equal(new Set(posts.map((p) => p.query.get('correlation-id'))).size, 1)
    assert.equal(posts[0]!.query.get('correlation-id'), result.correlationId)
  })

  it('listSystemUsers reads >= 120 system users over 3 pages, asking the public host for each next token', async () => {
    for (const org of orgNumbers(123)) {
      f.altinn.systemUsers.push({ id: crypto.randomUUID(), systemId: SYSTEM_ID, reporteeOrgNo: org, externalRef: org, isDeleted: false, userType: 'standard', accessPackages: [] })
    }
    const before = f.altinn.seen.length
    const users = await all(f.vendor.listSystemUsers())
    assert.equal(users.length, 124) // 123 + the one approved above
    const pages = f.altinn.seen.slice(before)
    assert.equal(pages.length, 3)
    assert.deepEqual(pages.map((p) => p.query.get('token')), [null, '50', '100'])
    assert.ok(pages.every((p) => scopeOf(p.authorization) === SRW), 'the list takes the register scope')
    assert.equal(new Set(users.map((u) => u.id)).size, 124)
  })

  it('a next link without a token, or one that repeats, stops with an error instead of looping', async () => {
    f.altinn.script({ path: '/systemuser/vendor/bysystem', status: 200, body: JSON.stringify({ links: { next: 'https://internal/x?token=same' }, data: [] }), times: 2 })
    const err = await rejection(all(f.vendor.listSystemUsers()))
    assert.match(err.message, /same one came twice/)
    assert.doesNotMatch(err.message, /token=same/)
  })

  it('a page of more than 1000 items is not taken as a page', async () => {
    f.altinn.script({ path: '/systemuser/vendor/bysystem', status: 200, body: JSON.stringify({ links: { next: null }, data: new Array(1001).fill({}) }), times: 1 })
    const err = await rejection(all(f.vendor.listSystemUsers()))
    assert.equal(err.code, 'altinn_api_error')
    assert.match(err.message, /not with a page/)
  })

  it('findSystemUser: found by org (externalRef defaults to it), undefined when none, with the request write scope', async () => {
    const user = await f.vendor.findSystemUser({ orgNo: OTHER_CUSTOMER })
    assert.equal(user?.reporteeOrgNo, OTHER_CUSTOMER)
    const q = f.altinn.seen.at(-1)!
    assert.equal(scopeOf(q.authorization), RQW)
    assert.equal(q.query.get('external-ref'), null)
    assert.equal(await f.vendor.findSystemUser({ orgNo: CUSTOMER }), undefined)
  })

  it('a repeated request for a customer with a system user is AUTH-00004 with the findSystemUser hint', async () => {
    const err = await rejection(f.vendor.requestSystemUser({ partyOrgNo: OTHER_CUSTOMER, rights: [RIGHT] }))
    assert.equal(err.altinnCode, 'AUTH-00004')
    assert.match(err.message, /use findSystemUser/)
  })
})

describe('vendor: connect', () => {
  const f = vendorFixture()
  before(async () => {
    await f.vendor.ensureSystem({ id: SYSTEM_ID, name: 'Wenche', rights: [RIGHT], clientId: ['vendor-test-client'] })
  })

  it('pending (with confirmUrl) → the same pending → active after approval', async () => {
    const first = await f.vendor.connect({ partyOrgNo: CUSTOMER, rights: [RIGHT] })
    assert.equal(first.state, 'pending')
    const request = first.state === 'pending' ? first.request : assert.fail()
    assert.match(request.confirmUrl, /DONTCHOOSEREPORTEE=true/)
    const second = await f.vendor.connect({ partyOrgNo: CUSTOMER, rights: [RIGHT] })
    assert.equal(second.state === 'pending' && second.request.id, request.id)
    f.altinn.approve(request.id)
    const third = await f.vendor.connect({ partyOrgNo: CUSTOMER, rights: [RIGHT] })
    assert.equal(third.state, 'active')
    assert.equal(third.state === 'active' && third.systemUser.id, request.id, 'the system user has the request id')
  })

  it('rejected stays rejected; retryRejected deletes it and asks again', async () => {
    const first = await f.vendor.connect({ partyOrgNo: OTHER_CUSTOMER, rights: [RIGHT], externalRef: 'dept-2' })
    const id = first.state === 'pending' ? first.request.id : assert.fail()
    f.altinn.reject(id)
    const rejected = await f.vendor.connect({ partyOrgNo: OTHER_CUSTOMER, rights: [RIGHT], externalRef: 'dept-2' })
    assert.equal(rejected.state, 'rejected')
    const retried = await f.vendor.connect({ partyOrgNo: OTHER_CUSTOMER, rights: [RIGHT], externalRef: 'dept-2', retryRejected: true })
    assert.equal(retried.state, 'pending')
    assert.notEqual(retried.state === 'pending' && retried.request.id, id)
    assert.ok(f.altinn.requests.get(id)!.deleted)
  })

  it('needs at least one right', async () => {
    assert.equal((await rejection(f.vendor.connect({ partyOrgNo: CUSTOMER, rights: [] }))).code, 'invalid_config')
  })
})
