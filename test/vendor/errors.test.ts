// altinn_api_error: problem+json, validation entries, plain text and empty bodies, a hint per code of
// docs/vendor-api.md, the scope named on a bare 403, no token anywhere; and which calls are retried, counted.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { altinnApiError, parseProblem } from '../../src/vendor/problem.ts'
import { assertNoSecrets } from '../support/fixtures.ts'
import { CUSTOMER, rejection, SYSTEM_ID, vendorFixture } from './setup.ts'
import { RQW } from './fake-altinn.ts'
import { resourceRight } from '../../src/vendor/ids.ts'

const LABEL = { method: 'POST', route: '/authentication/api/v1/systemuser/request/vendor', scope: RQW }

function problemBody(code: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: `urn:altinn:error:${code}`, title: 'Some title', status: 400, code, traceId: '00-abc-def-00', ...extra })
}

describe('vendor errors: turning answers into altinn_api_error', () => {
  const HINTS: Array<[string, number, RegExp]> = [
    ['AUTH-00000', 400, /business register/],
    ['AUTH-00001', 400, /setSystemRights/],
    ['AUTH-00004', 400, /use findSystemUser/],
    ['AUTH-00010', 404, /findRequest/],
    ['AUTH-00011', 404, /ensureSystem/],
    ['AUTH-00013', 409, /getRequest/],
    ['AUTH-00015', 404, /agent system user/],
    ['AUTH-00021', 400, /allowedRedirectUrls/],
    ['AUTH-00023', 401, /getAdminToken/],
    ['AUTH-00026', 400, /no allowedRedirectUrls/],
    ['AUTH-00058', 400, /agent request needs accessPackages/],
    ['AUTH-00059', 400, /rights or accessPackages/],
    ['AUTH-00065', 400, /client delegation/],
  ]
  for (const [code, status, hint] of HINTS) {
    it(`${code} (${status}) carries its code, trace id, route and hint`, () => {
      const err = altinnApiError(LABEL, status, new Headers(), problemBody(code))
      assert.equal(err.code, 'altinn_api_error')
      assert.equal(err.status, status)
      assert.equal(err.altinnCode, code)
      assert.equal(err.traceId, '00-abc-def-00')
      assert.equal(err.method, 'POST')
      assert.equal(err.route, LABEL.route)
      assert.match(err.message, hint)
      assert.match(err.message, new RegExp(`answered ${status} to POST /authentication`))
    })
  }

  const VALIDATION: Array<[string, RegExp]> = [
    ['AUTH.VLD-00000', /0192:/],
    ['AUTH.VLD-00001', /systemIdFor/],
    ['AUTH.VLD-00002', /never be used again/],
    ['AUTH.VLD-00003', /resource registry/],
    ['AUTH.VLD-00004', /another of the live systems/],
    ['AUTH.VLD-00005', /absolute https/],
    ['AUTH.VLD-00006', /right is listed twice/],
    ['AUTH.VLD-00007', /package is listed twice/],
    ['AUTH.VLD-00008', /unknown or cannot be delegated/],
    ['AUTH.VLD-00009', /resourceRight/],
    ['AUTH.VLD-00012', /differs from the id in the path/],
    ['AUTH.VLD-00013', /spaces/],
  ]
  for (const [code, hint] of VALIDATION) {
    it(`STD-00000 with ${code} lists the entry and its hint`, () => {
      const body = problemBody('STD-00000', { title: 'One or more validation errors occurred.', validationErrors: [{ code, title: 'The title', paths: ['/registersystemrequest/systemid'] }] })
      const err = altinnApiError({ ...LABEL, route: '/authentication/api/v1/systemregister/vendor' }, 400, new Headers(), body)
      assert.equal(err.altinnCode, 'STD-00000')
      assert.deepEqual(err.validationErrors, [{ code, title: 'The title', paths: ['/registersystemrequest/systemid'] }])
      assert.match(err.message, new RegExp(`\\[${code.replace('.', '\\.')} The title at /registersystemrequest/systemid\\]`))
      assert.match(err.message, hint)
    })
  }

  it('a plain-text body is quoted; an empty 403 names the missing scope', () => {
    const text = altinnApiError(LABEL, 400, new Headers(), 'Cannot update a system marked as deleted.')
    assert.match(text.message, /"Cannot update a system marked as deleted\."/)
    assert.equal(text.altinnCode, undefined)
    const empty = altinnApiError(LABEL, 403, new Headers(), '')
    assert.match(empty.message, /with an empty body/)
    assert.match(empty.message, new RegExp(`lacks the scope ${RQW}`))
    assert.equal(empty.body, undefined)
  })

  it('a code from type when code is missing; HTML is not quoted; tokens in bodies are masked', () => {
    assert.equal(parseProblem(JSON.stringify({ type: 'urn:altinn:error:AUTH-00004', title: 't' }))?.altinnCode, 'AUTH-00004')
    const html = altinnApiError(LABEL, 502, new Headers(), '<html><body>Bad gateway</body></html>')
    assert.doesNotMatch(html.message, /<html>/)
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl'
    const echoed = altinnApiError(LABEL, 400, new Headers(), JSON.stringify({ title: `bad token ${jwt}`, code: 'AUTH-00023' }))
    assertNoSecrets([echoed.message, echoed.body, JSON.stringify(echoed)], [jwt])
  })
})

describe('vendor errors: against the fake Altinn', () => {
  const f = vendorFixture()
  const right = resourceRight('app_brg_aarsregnskap-vanlig-202406')

  it('GETs are retried on 503 and 429 (counted), then succeed', async () => {
    f.altinn.script({ method: 'GET', path: `/systemregister/vendor/${SYSTEM_ID}`, status: 503, times: 2 })
    f.altinn.script({ method: 'GET', path: `/systemregister/vendor/${SYSTEM_ID}`, status: 429, headers: { 'retry-after': '0' }, times: 1 })
    const before = f.altinn.seen.length
    assert.equal(await f.vendor.getSystem(), undefined)
    assert.equal(f.altinn.seen.length - before, 4)
  })

  it('a 400 is not retried; a request POST is retried on 503 (idempotent per triple)', async () => {
    await f.vendor.ensureSystem({ id: SYSTEM_ID, name: 'Wenche', rights: [right] })
    f.altinn.script({ method: 'GET', status: 400, body: problemBody('AUTH-00011'), headers: { 'content-type': 'application/problem+json' }, times: 1 })
    let before = f.altinn.seen.length
    await rejection(f.vendor.getSystem())
    assert.equal(f.altinn.seen.length - before, 1)
    f.altinn.script({ method: 'POST', path: '/systemuser/request/vendor', status: 503, times: 1 })
    before = f.altinn.seen.length
    const { created } = await f.vendor.requestSystemUser({ partyOrgNo: CUSTOMER, rights: [right] })
    assert.equal(created, true)
    assert.equal(f.altinn.seen.length - before, 2)
  })

  it('a PUT is retried on 502 (it sets a state: sending it again sets the same one)', async () => {
    f.altinn.script({ method: 'PUT', status: 502, times: 1 })
    const before = f.altinn.seen.length
    await f.vendor.setSystemRights([right])
    assert.equal(f.altinn.seen.length - before, 2)
  })

  it('a DELETE is not retried', async () => {
    const request = (await f.vendor.findRequest({ partyOrgNo: CUSTOMER }))!
    f.altinn.script({ method: 'DELETE', status: 503, times: 1 })
    const before = f.altinn.seen.length
    assert.equal((await rejection(f.vendor.deleteRequest(request.id))).status, 503)
    assert.equal(f.altinn.seen.length - before, 1)
  })

  it('no token in any error, even when Altinn echoes the bearer', async () => {
    f.altinn.script({ method: 'GET', status: 400, body: 'unused', times: 0 })
    const token = (await f.mp.getToken({ scope: 'altinn:authentication/systemregister.write' })).accessToken
    f.altinn.script({ method: 'GET', status: 400, body: JSON.stringify({ title: `refused ${token}`, code: 'AUTH-00023', detail: token }), times: 1 })
    const err = await rejection(f.vendor.getSystem())
    assertNoSecrets([err.message, err.body, JSON.stringify(err), err.stack], [token, token.split('.')[2]!])
  })

  it('a missing system id is invalid_config naming where to set it', async () => {
    const bare = f.make({ systemId: undefined as never })
    const err = await rejection(bare.listSystemUsers().next())
    assert.equal(err.code, 'invalid_config')
    assert.match(err.message, /systemId is not set/)
  })
})
