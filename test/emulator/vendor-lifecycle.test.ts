/**
 * From a request to a system user token on the emulator (docs/vendor-api.md §2–§4): the customer's decision (only
 * from New), the token endpoint honouring an approval for the system's clientIds only, change requests (retry-safe
 * by correlation id, NoChangeNeeded, the 400 texts, AUTH-00015), and system users by system (pages of 50 whose
 * `next` names another host) and by query.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { decodeJwt } from 'jose'
import { requestToken, signGrant } from './fixtures.js'
import {
  CUSTOMER_ORG,
  OTHER_ORG,
  RESOURCE,
  RESOURCE_2,
  RQR,
  SRW,
  SYSTEM_ID,
  VENDOR_ORG,
  assertProblem,
  registerTestSystem,
  right,
  startVendorFixture,
  type TestClient,
  type VendorFixture,
} from './vendor-fixtures.js'

describe('emulator: system user lifecycle', () => {
  let f: VendorFixture
  before(async () => {
    f = await startVendorFixture()
    await registerTestSystem(f)
  })
  after(() => f.emu.close())

  const ask = (partyOrgNo: string, extra: Record<string, unknown> = {}) =>
    f.api('POST', 'systemuser/request/vendor', { systemId: SYSTEM_ID, partyOrgNo, rights: [right(RESOURCE)], ...extra })

  function systemUserGrant(client: TestClient, org: string, externalRef?: string) {
    const iat = Math.floor(Date.now() / 1000)
    const detail = { type: 'urn:altinn:systemuser', systemuser_org: { authority: 'iso6523-actorid-upis', ID: `0192:${org}` }, ...(externalRef ? { externalRef } : {}) }
    return signGrant(client.key, { alg: 'RS256', kid: client.kid }, {
      aud: f.emu.issuer, iss: client.clientId, sub: client.clientId, scope: 'altinn:instances.read', iat, exp: iat + 119, jti: randomUUID(),
      authorization_details: [detail],
    })
  }

  it('approval makes the system user; the token endpoint then issues its token to the system\'s clientIds only', async () => {
    const before = await requestToken(f.emu, systemUserGrant(f.vendor, CUSTOMER_ORG))
    assert.equal(before.status, 400)
    assert.match(String(before.body.error_uri), /MP-303$/)
    const made = await ask(CUSTOMER_ORG)
    const decided = await fetch(`${f.emu.url}/__emulator/requests/${made.json.id}/approve`, { method: 'POST' })
    assert.equal(decided.status, 200)
    assert.deepEqual(await decided.json(), { id: made.json.id, kind: 'request', status: 'Accepted' })
    const got = await f.api('GET', `systemuser/request/vendor/${made.json.id}`)
    assert.equal(got.json.status, 'Accepted')
    for (const ref of [undefined, CUSTOMER_ORG]) {
      const answer = await requestToken(f.emu, systemUserGrant(f.vendor, CUSTOMER_ORG, ref))
      assert.equal(answer.status, 200, answer.text)
      const claims = decodeJwt(String(answer.body.access_token))
      const detail = (claims.authorization_details as Array<Record<string, unknown>>)[0]!
      assert.deepEqual(detail.systemuser_id, [made.json.id])
      assert.equal(detail.system_id, SYSTEM_ID)
      assert.deepEqual(claims.consumer, { authority: 'iso6523-actorid-upis', ID: `0192:${VENDOR_ORG}` })
    }
    // The vendor's other client is not in the system's clientId list: MP-303 as before.
    const stranger = await requestToken(f.emu, systemUserGrant(f.stranger, CUSTOMER_ORG))
    assert.match(String(stranger.body.error_uri), /MP-303$/)
    // Once it is added (PUT keeps the rest), it gets tokens too.
    const system = (await f.api('GET', `systemregister/vendor/${SYSTEM_ID}`)).json
    await f.api('PUT', `systemregister/vendor/${SYSTEM_ID}`, { ...system, clientId: [f.vendor.clientId, f.stranger.clientId] })
    assert.equal((await requestToken(f.emu, systemUserGrant(f.stranger, CUSTOMER_ORG))).status, 200)
  })

  it('decides only from New: AUTH-00013 (409) otherwise, AUTH-00010 for unknown ids, over HTTP and in-process', async () => {
    const made = await ask(OTHER_ORG, { externalRef: 'once' })
    f.emu.rejectRequest(made.json.id)
    assert.equal((await f.api('GET', `systemuser/request/vendor/${made.json.id}`)).json.status, 'Rejected')
    for (const action of ['approve', 'reject']) {
      const res = await fetch(`${f.emu.url}/__emulator/requests/${made.json.id}/${action}`, { method: 'POST' })
      const text = await res.text()
      assertProblem({ status: res.status, headers: res.headers, text, json: JSON.parse(text) }, 409, 'AUTH-00013')
    }
    assert.throws(() => f.emu.approveRequest(made.json.id), (err: Error & { code?: string; status?: number }) => {
      assert.equal(err.code, 'altinn_api_error')
      assert.equal(err.status, 409)
      return /AUTH-00013/.test(err.message)
    })
    assert.throws(() => f.emu.rejectRequest(randomUUID()), /AUTH-00010/)
    const unknown = await fetch(`${f.emu.url}/__emulator/requests/${randomUUID()}/approve`, { method: 'POST' })
    assert.equal(unknown.status, 404)
    assert.equal((await fetch(`${f.emu.url}/__emulator/requests/x/approve`)).status, 405)
  })

  it('change requests: 201, retry-safe by correlation id, NoChangeNeeded, approval changes the rights', async () => {
    const made = await ask(CUSTOMER_ORG, { externalRef: 'change' })
    f.emu.approveRequest(made.json.id)
    const userId = made.json.id as string
    const correlationId = randomUUID()
    const change = (body: unknown, query = `correlation-id=${correlationId}&system-user-id=${userId}`, bearer?: string) =>
      f.api('POST', `systemuser/changerequest/vendor?${query}`, body, bearer)
    const body = { requiredRights: [right(RESOURCE_2)], unwantedRights: [], requiredAccessPackages: [], unwantedAccessPackages: [] }
    const first = await change(body)
    assert.equal(first.status, 201, first.text)
    assert.equal(first.json.id, correlationId)
    assert.equal(first.json.status, 'New')
    assert.equal(first.json.systemUserId, userId)
    assert.equal(first.json.confirmUrl, `${f.emu.url}/accessmanagement/ui/systemuser/changerequest?id=${correlationId}&DONTCHOOSEREPORTEE=true`)
    const retry = await change(body)
    assert.deepEqual([retry.status, retry.json.id], [200, correlationId])
    const fresh = await change(body, `correlation-id=${randomUUID()}&system-user-id=${userId}`)
    assert.equal(fresh.status, 201)
    assert.notEqual(fresh.json.id, correlationId)
    const none = await change({ requiredRights: [], unwantedRights: [], requiredAccessPackages: [], unwantedAccessPackages: [] }, `correlation-id=${randomUUID()}&system-user-id=${userId}`)
    assert.deepEqual([none.status, none.json.status, none.json.confirmUrl], [200, 'NoChangeNeeded', ''])
    assert.equal((await f.api('GET', `systemuser/changerequest/vendor/${correlationId}`)).json.id, correlationId)
    const byRef = await f.api('GET', `systemuser/changerequest/vendor/byexternalref/${SYSTEM_ID}/${CUSTOMER_ORG}/change`)
    assert.equal(byRef.status, 200)
    const page = await f.api('GET', `systemuser/changerequest/vendor/bysystem/${SYSTEM_ID}`)
    assert.deepEqual(page.json.data.map((r: { id: string }) => r.id), [correlationId, fresh.json.id])
    assert.deepEqual(f.emu.approveRequest(correlationId), { id: correlationId, kind: 'changerequest', status: 'Accepted' })
    assert.throws(() => f.emu.approveRequest(correlationId), /AUTH-00013/)
    const del = await f.api('DELETE', `systemuser/changerequest/vendor/${fresh.json.id}`)
    assert.deepEqual([del.status, del.text], [202, ''])
    assertProblem(await f.api('GET', `systemuser/changerequest/vendor/${fresh.json.id}`), 404, 'AUTH-00010')
  })

  it('an approved agent request makes an agent system user (no standard token for it)', async () => {
    const pkg = { urn: 'urn:altinn:accesspackage:regnskapsforer-med-signeringsrettighet' }
    const made = await f.api('POST', 'systemuser/request/vendor/agent', { systemId: SYSTEM_ID, partyOrgNo: OTHER_ORG, externalRef: 'agent', accessPackages: [pkg] })
    assert.equal(made.status, 201, made.text)
    const res = await fetch(`${f.emu.url}/__emulator/requests/${made.json.id}/approve`, { method: 'POST' })
    assert.deepEqual(await res.json(), { id: made.json.id, kind: 'agentrequest', status: 'Accepted' })
    const user = await f.api('GET', `systemuser/vendor/byquery?system-id=${SYSTEM_ID}&orgno=${OTHER_ORG}&external-ref=agent`)
    assert.deepEqual([user.json.id, user.json.userType, user.json.accessPackages], [made.json.id, 'agent', [pkg]])
    const token = await requestToken(f.emu, systemUserGrant(f.vendor, OTHER_ORG, 'agent'))
    assert.match(String(token.body.error_uri), /MP-303$/)
    assertProblem(await f.api('POST', `systemuser/changerequest/vendor?correlation-id=${randomUUID()}&system-user-id=${made.json.id}`, { requiredRights: [right(RESOURCE)] }), 404, 'AUTH-00015')
  })

  it('change requests: the 400 texts, AUTH-00015, 401 for another vendor, AUTH-00001', async () => {
    const made = await ask(CUSTOMER_ORG, { externalRef: 'change-errors' })
    f.emu.approveRequest(made.json.id)
    const body = { requiredRights: [right(RESOURCE_2)] }
    const post = (query: string, b: unknown = body, bearer?: string) => f.api('POST', `systemuser/changerequest/vendor?${query}`, b, bearer)
    const missing = await post(`system-user-id=${made.json.id}`)
    assert.equal(missing.status, 400)
    assert.match(missing.text, /^Missing or invalid correlation-id/)
    assert.equal((await post(`correlation-id=&system-user-id=${made.json.id}`)).status, 400)
    const same = await post(`correlation-id=${made.json.id}&system-user-id=${made.json.id}`)
    assert.equal(same.text, 'The correlation-id should not be the same as the system-user-id. Generate a unique id.')
    assertProblem(await post(`correlation-id=${randomUUID()}&system-user-id=${randomUUID()}`), 404, 'AUTH-00015')
    assertProblem(await post(`correlation-id=${randomUUID()}`), 404, 'AUTH-00015')
    const old = await post(`correlation-id=${randomUUID()}&system-user-id=${made.json.id}&party-org-no=${CUSTOMER_ORG}`)
    assert.equal(old.status, 400)
    const other = await post(`correlation-id=${randomUUID()}&system-user-id=${made.json.id}`, body, await f.token(undefined, f.other))
    assert.deepEqual([other.status, other.text], [401, ''])
    assertProblem(await post(`correlation-id=${randomUUID()}&system-user-id=${made.json.id}`, { requiredRights: [right('app_not_on_system')] }), 400, 'AUTH-00001')
  })

  it('system users by query (RQW, external-ref defaults to orgno) and by system (SRW)', async () => {
    const made = await ask(OTHER_ORG, { externalRef: 'query' })
    f.emu.approveRequest(made.json.id)
    const q = (query: string, bearer?: string) => f.api('GET', `systemuser/vendor/byquery?${query}`, undefined, bearer)
    const found = await q(`system-id=${SYSTEM_ID}&orgno=${OTHER_ORG}&external-ref=query`)
    assert.equal(found.status, 200)
    assert.deepEqual(Object.keys(found.json), ['id', 'systemId', 'productName', 'reporteeOrgNo', 'created', 'isDeleted', 'supplierName', 'supplierOrgno', 'externalRef', 'userType', 'accessPackages'])
    assert.equal(found.json.id, made.json.id)
    assert.equal(found.json.userType, 'standard')
    const defaulted = await q(`system-id=${SYSTEM_ID}&orgno=${CUSTOMER_ORG}`)
    assert.equal(defaulted.json.externalRef, CUSTOMER_ORG)
    const none = await q(`system-id=${SYSTEM_ID}&orgno=${OTHER_ORG}`)
    assert.deepEqual([none.status, none.text], [404, ''])
    assert.equal((await q(`system-id=${SYSTEM_ID}&orgno=${OTHER_ORG}&external-ref=query`, await f.token([RQR]))).status, 403)
    assert.equal((await q(`system-id=${SYSTEM_ID}&orgno=${OTHER_ORG}&external-ref=query`, await f.token(undefined, f.other))).status, 404)
    const list = await f.api('GET', `systemuser/vendor/bysystem/${SYSTEM_ID}`)
    assert.ok(list.json.data.some((u: { id: string }) => u.id === made.json.id))
    assert.equal((await f.api('GET', `systemuser/vendor/bysystem/${SYSTEM_ID}`, undefined, await f.token([RQR]))).status, 403)
    assert.equal((await f.api('GET', `systemuser/vendor/bysystem/${SYSTEM_ID}`, undefined, await f.token([SRW]))).status, 200)
    assertProblem(await f.api('GET', `systemuser/vendor/bysystem/${VENDOR_ORG}_unknown`), 404, 'AUTH-00011')
  })
})

describe('emulator: pages of 50', () => {
  it('lists 130 system users over 3 pages; next names another host, its token works on the public one', async () => {
    const f = await startVendorFixture(() => ({}))
    try {
      await registerTestSystem(f)
      const ids: string[] = []
      for (let i = 0; i < 130; i++) {
        const made = await f.api('POST', 'systemuser/request/vendor', { systemId: SYSTEM_ID, partyOrgNo: CUSTOMER_ORG, externalRef: `kunde-${i}`, rights: [right(RESOURCE)] })
        assert.equal(made.status, 201)
        f.emu.approveRequest(made.json.id)
        ids.push(made.json.id)
      }
      const seen: string[] = []
      let path = `systemuser/vendor/bysystem/${SYSTEM_ID}`
      const sizes: number[] = []
      for (;;) {
        const page = await f.api('GET', path)
        assert.equal(page.status, 200, page.text)
        sizes.push(page.json.data.length)
        seen.push(...page.json.data.map((u: { id: string }) => u.id))
        const next = page.json.links.next as string | undefined
        if (next === undefined) break
        const url = new URL(next)
        assert.notEqual(url.host, new URL(f.emu.altinnUrl).host)
        assert.equal(url.pathname, `/authentication/api/v1/${path.split('?')[0]}`)
        path = `systemuser/vendor/bysystem/${SYSTEM_ID}?token=${encodeURIComponent(url.searchParams.get('token')!)}`
      }
      assert.deepEqual(sizes, [50, 50, 30])
      assert.deepEqual(seen, ids)
      const requests = await f.api('GET', `systemuser/request/vendor/bysystem/${SYSTEM_ID}`)
      assert.equal(requests.json.data.length, 50)
      assert.ok(requests.json.links.next)
      const foreignToken = new URL(requests.json.links.next).searchParams.get('token')!
      assert.equal((await f.api('GET', `systemuser/vendor/bysystem/${SYSTEM_ID}?token=${foreignToken}`)).status, 400)
      assert.equal((await f.api('GET', `systemuser/vendor/bysystem/${SYSTEM_ID}?token=garbage`)).status, 400)
    } finally {
      await f.emu.close()
    }
  })
})
