/**
 * The approval page in a real browser: Debian's Chromium driven by playwright-core opens the confirmUrl, clicks
 * Approve, and the request turns Accepted through the vendor API. Outside CI a missing Chromium skips with a notice;
 * with CI=true it fails.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'
import { CUSTOMER_ORG, RESOURCE, SYSTEM_ID, registerTestSystem, right, startVendorFixture, type VendorFixture } from './vendor-fixtures.js'

const CHROMIUM = '/usr/bin/chromium'
const present = existsSync(CHROMIUM)
if (!present && process.env.CI !== 'true') process.stderr.write(`skipping the browser test: no ${CHROMIUM} (install chromium; CI=true makes this a failure)\n`)

describe('emulator: the approval page in Chromium', { skip: !present && process.env.CI !== 'true' }, () => {
  let f: VendorFixture
  let browser: BrowserContext
  let profile: string
  before(async () => {
    assert.ok(present, `CI=true but ${CHROMIUM} is missing`)
    f = await startVendorFixture()
    await registerTestSystem(f)
    profile = mkdtempSync(join(tmpdir(), 'emu-chromium-'))
    // A fresh profile per run: nothing of a developer's own browser state leaks in.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    })
  })
  after(async () => {
    await browser?.close()
    await f?.emu.close()
    if (profile) rmSync(profile, { recursive: true, force: true })
  })

  it('opens the confirmUrl, clicks Approve, and the request is Accepted', async () => {
    const made = await f.api('POST', 'systemuser/request/vendor', { systemId: SYSTEM_ID, partyOrgNo: CUSTOMER_ORG, rights: [right(RESOURCE)] })
    assert.equal(made.status, 201)
    const page = await browser.newPage()
    await page.goto(made.json.confirmUrl)
    assert.equal(await page.textContent('#status'), 'New')
    await Promise.all([page.waitForURL(made.json.confirmUrl), page.click('button[value="approve"]')])
    await page.waitForSelector('h1:text("Approved")')
    assert.equal(await page.textContent('#status'), 'Accepted')
    const got = await f.api('GET', `systemuser/request/vendor/${made.json.id}`)
    assert.equal(got.json.status, 'Accepted')
    await page.close()
  })
})
