/**
 * The customer's page at the confirmUrl, over plain HTTP (the browser test drives it in Chromium): what it shows,
 * every value escaped, the plain-form POST deciding the request, the redirect to the request's redirectUrl.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { CUSTOMER_ORG, OTHER_ORG, RESOURCE, RESOURCE_2, SYSTEM_ID, VENDOR_ORG, registerTestSystem, right, startVendorFixture, type VendorFixture } from './vendor-fixtures.js'

const HOSTILE = `<script>alert("x")</script>&'`

describe('emulator: the approval page', () => {
  let f: VendorFixture
  before(async () => {
    f = await startVendorFixture()
    await registerTestSystem(f, [f.vendor.clientId], { name: { nb: HOSTILE } })
  })
  after(() => f.emu.close())

  const ask = (partyOrgNo: string, extra: Record<string, unknown> = {}) =>
    f.api('POST', 'systemuser/request/vendor', { systemId: SYSTEM_ID, partyOrgNo, rights: [right(RESOURCE)], ...extra })

  it('shows the system, vendor, customer and rights, escaped, with Approve and Reject forms and no script', async () => {
    const made = await ask(CUSTOMER_ORG, { integrationTitle: HOSTILE })
    const res = await fetch(made.json.confirmUrl)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/)
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/)
    const html = await res.text()
    assert.ok(!html.includes('<script'), 'no script element, not even the hostile name')
    assert.ok(html.includes('&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;&#38;&#39;'))
    for (const shown of [SYSTEM_ID, VENDOR_ORG, CUSTOMER_ORG, RESOURCE, '>New<']) assert.ok(html.includes(shown), shown)
    assert.match(html, /<form method="post"><button type="submit" name="decision" value="approve">Approve<\/button><button type="submit" name="decision" value="reject">Reject<\/button><\/form>/)
  })

  it('a form POST decides: the result page, or a 303 to the redirectUrl; afterwards no buttons, and 409', async () => {
    const made = await ask(OTHER_ORG)
    const post = (url: string, decision: string) =>
      fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `decision=${decision}` })
    const bad = await post(made.json.confirmUrl, 'maybe')
    assert.equal(bad.status, 400)
    const res = await post(made.json.confirmUrl, 'reject')
    assert.equal(res.status, 200)
    assert.match(await res.text(), /<h1>Rejected<\/h1>/)
    assert.equal((await f.api('GET', `systemuser/request/vendor/${made.json.id}`)).json.status, 'Rejected')
    const after = await (await fetch(made.json.confirmUrl)).text()
    assert.ok(!after.includes('<form'))
    assert.equal((await post(made.json.confirmUrl, 'approve')).status, 409)
    const redirected = await ask(CUSTOMER_ORG, { externalRef: 'redirect', redirectUrl: 'https://wenche.example/done' })
    const approved = await post(redirected.json.confirmUrl, 'approve')
    assert.equal(approved.status, 303)
    assert.equal(approved.headers.get('location'), 'https://wenche.example/done')
    assert.equal((await f.api('GET', `systemuser/request/vendor/${redirected.json.id}`)).json.status, 'Accepted')
  })

  it('serves change requests and agent requests on their own pages', async () => {
    const made = await ask(CUSTOMER_ORG, { externalRef: 'changed' })
    f.emu.approveRequest(made.json.id)
    const change = await f.api('POST', `systemuser/changerequest/vendor?correlation-id=${randomUUID()}&system-user-id=${made.json.id}`, {
      requiredRights: [right(RESOURCE_2)],
      unwantedRights: [right(RESOURCE)],
    })
    assert.equal(change.status, 201, change.text)
    const html = await (await fetch(change.json.confirmUrl)).text()
    assert.match(html, new RegExp(`<dt>Added rights</dt><dd>${RESOURCE_2}</dd>`))
    assert.match(html, new RegExp(`<dt>Removed rights</dt><dd>${RESOURCE}</dd>`))
    const res = await fetch(change.json.confirmUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'decision=approve' })
    assert.equal(res.status, 200)
    assert.equal((await f.api('GET', `systemuser/changerequest/vendor/${change.json.id}`)).json.status, 'Accepted')
    await f.api('PUT', `systemregister/vendor/${SYSTEM_ID}/accesspackages`, [{ urn: 'urn:altinn:accesspackage:regnskapsforer-lonn' }])
    const agent = await f.api('POST', 'systemuser/request/vendor/agent', { systemId: SYSTEM_ID, partyOrgNo: CUSTOMER_ORG, externalRef: 'agent-page', accessPackages: [{ urn: 'urn:altinn:accesspackage:regnskapsforer-lonn' }] })
    assert.equal(agent.status, 201, agent.text)
    const agentHtml = await (await fetch(agent.json.confirmUrl)).text()
    assert.match(agentHtml, /<dt>Client access packages<\/dt><dd>urn:altinn:accesspackage:regnskapsforer-lonn<\/dd>/)
  })

  it('answers 404 for an unknown id or the wrong kind of page', async () => {
    const made = await ask(CUSTOMER_ORG, { externalRef: 'kind' })
    assert.equal((await fetch(`${f.emu.url}/accessmanagement/ui/systemuser/request?id=00000000-0000-4000-8000-000000000000`)).status, 404)
    assert.equal((await fetch(`${f.emu.url}/accessmanagement/ui/systemuser/changerequest?id=${made.json.id}`)).status, 404)
    assert.equal((await fetch(`${f.emu.url}/accessmanagement/ui/systemuser/request`)).status, 404)
  })
})
