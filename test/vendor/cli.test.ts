// A CLI onboarding as a new vendor would run it: the built bin against the emulator. Register (dry run first),
// request a system user, the customer approves over the emulator's HTTP control, status, find, list, change,
// connect, the exit codes (0 / 1 / 2), doctor's system check, and no token or key in any output.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { emulatorFixture, CLIENT_ID } from '../cli/emulator-setup.ts'
import { runCli, type CliResult } from '../cli/run-cli.ts'
import { assertNoSecrets } from '../support/fixtures.ts'

const VENDOR = '991825827'
const NEW_CUSTOMER = '974760223'
const OTHER = '910753614'
const R1 = 'app_brg_aarsregnskap-vanlig-202406'
const R2 = 'ske-innrapportering-aksjonaerregisteroppgave'

describe('CLI: system and systemuser against the emulator', () => {
  const f = emulatorFixture()
  const outputs: CliResult[] = []
  const cli = async (args: string[], extra: Record<string, string> = {}): Promise<CliResult> => {
    const result = await runCli(args, { cwd: f.dir, env: f.setup.env(f.keyFile, { ORG_NUMMER: VENDOR, ...extra }) })
    outputs.push(result)
    return result
  }
  const control = (path: string) => fetch(`${f.setup.emu.url}/__emulator/${path}`, { method: 'POST' })
  let requestId = ''

  it('system register --dry-run prints the plan and changes nothing', async () => {
    const r = await cli(['system', 'register', '--name', 'wenche2', '--right', R1, '--right', R2, '--dry-run'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /Will create 991825827_wenche2/)
    assert.match(r.stdout, new RegExp(`rights: ${R1}, ${R2}`))
    assert.match(r.stdout, new RegExp(`clientId: ${CLIENT_ID}`))
    assert.match(r.stdout, /Dry run: nothing changed/)
    const show = await cli(['system', 'show', '--name', 'wenche2'])
    assert.equal(show.code, 1)
    assert.match(show.stderr, /no system 991825827_wenche2/)
  })

  it('system register creates, then is up to date; show --json holds our client id', async () => {
    const r = await cli(['system', 'register', '--name', 'wenche2', '--right', R1, '--right', R2])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /Created 991825827_wenche2/)
    const again = await cli(['system', 'register', '--name', 'wenche2'])
    assert.match(again.stdout, /is up to date/)
    const show = await cli(['system', 'show', '--json'], { ALTINN_SYSTEM_ID: `${VENDOR}_wenche2` })
    assert.deepEqual(JSON.parse(show.stdout).clientId, [CLIENT_ID])
    const list = await cli(['system', 'list'])
    assert.match(list.stdout, /991825827_wenche2/)
  })

  it('systemuser request prints id, status and confirmUrl as JSON; --wait times out with exit 1', async () => {
    const r = await cli(['systemuser', 'request', NEW_CUSTOMER, '--name', 'wenche2', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const request = JSON.parse(r.stdout)
    assert.equal(request.status, 'New')
    assert.match(request.confirmUrl, /\/accessmanagement\/ui\/systemuser\/request\?id=/)
    requestId = request.id
    const waited = await cli(['systemuser', 'request', NEW_CUSTOMER, '--name', 'wenche2', '--wait', '--timeout', '300ms', '--interval', '50ms'])
    assert.equal(waited.code, 1)
    assert.match(waited.stderr, /still New/)
    assert.match(waited.stderr, /confirmUrl/)
  })

  it('after the customer approves (HTTP control): status 0, find 0, list holds it', async () => {
    assert.equal((await control(`requests/${requestId}/approve`)).status, 200)
    const status = await cli(['systemuser', 'status', requestId, '--name', 'wenche2'])
    assert.equal(status.code, 0, status.stderr)
    assert.match(status.stdout, /status: Accepted/)
    const found = await cli(['systemuser', 'find', NEW_CUSTOMER, '--name', 'wenche2'])
    assert.equal(found.code, 0)
    assert.match(found.stdout, new RegExp(requestId))
    const none = await cli(['systemuser', 'find', OTHER, '--name', 'wenche2'])
    assert.equal(none.code, 1)
    const list = await cli(['systemuser', 'list', '--name', 'wenche2', '--json'])
    assert.equal(JSON.parse(list.stdout).length, 1)
  })

  it('a second request for that customer is refused: exit 1 with AUTH-00004 and the hint', async () => {
    const r = await cli(['systemuser', 'request', NEW_CUSTOMER, '--name', 'wenche2'])
    assert.equal(r.code, 1)
    assert.match(r.stderr, /AUTH-00004/)
    assert.match(r.stderr, /findSystemUser/)
  })

  it('systemuser change prints the correlation id; connect says active', async () => {
    const change = await cli(['systemuser', 'change', requestId, '--unwanted-right', R2, '--name', 'wenche2', '--json'])
    assert.equal(change.code, 0, change.stderr)
    const { correlationId, changeRequest } = JSON.parse(change.stdout)
    const again = await cli(['systemuser', 'change', requestId, '--unwanted-right', R2, '--name', 'wenche2', '--correlation-id', correlationId, '--json'])
    assert.equal(JSON.parse(again.stdout).changeRequest.id, changeRequest.id)
    const connect = await cli(['systemuser', 'connect', NEW_CUSTOMER, '--name', 'wenche2'])
    assert.equal(connect.code, 0)
    assert.match(connect.stdout, /^active:/)
  })

  it('a rejected request: status and connect exit 1', async () => {
    const r = await cli(['systemuser', 'connect', OTHER, '--name', 'wenche2', '--json'])
    assert.equal(r.code, 0, r.stderr)
    const { request } = JSON.parse(r.stdout)
    assert.equal((await control(`requests/${request.id}/reject`)).status, 200)
    assert.equal((await cli(['systemuser', 'status', request.id, '--name', 'wenche2'])).code, 1)
    const connect = await cli(['systemuser', 'connect', OTHER, '--name', 'wenche2'])
    assert.equal(connect.code, 1)
    assert.match(connect.stdout, /--retry-rejected/)
  })

  it('doctor checks that the system lists this client id', async () => {
    const ok = await cli(['doctor', '--system', `${VENDOR}_wenche2`], { ORG_NUMMER: '' })
    assert.match(ok.stdout, /✓ system: 991825827_wenche2 is registered and its clientId list holds/)
    // A system whose list lacks this client (MASKINPORTEN_CLIENT_ID still signs the command's own token).
    const other = await cli(['system', 'register', '--name', 'other', '--right', R1, '--client-id', 'another-client'])
    assert.equal(other.code, 0, other.stderr)
    const bad = await cli(['doctor', '--system', `${VENDOR}_other`], { ORG_NUMMER: '' })
    assert.equal(bad.code, 1)
    assert.match(bad.stdout, /✗ system: .*does not hold MASKINPORTEN_CLIENT_ID .*MP-303/)
    // ORG_NUMMER as the vendor (for --name) is not a customer: the doctor says so.
    const mixed = await cli(['doctor', '--system', `${VENDOR}_wenche2`])
    assert.match(mixed.stdout, /- ORG_NUMMER: is 991825827, the system's vendor \(you\)/)
  })

  it('usage errors exit 2: a missing argument, delete without --confirm-burn-id, an unknown subcommand', async () => {
    assert.equal((await cli(['systemuser', 'request', '--name', 'wenche2'])).code, 2)
    const del = await cli(['system', 'delete', '--name', 'wenche2'])
    assert.equal(del.code, 2)
    assert.match(del.stderr, /--confirm-burn-id/)
    assert.equal((await cli(['system', 'frobnicate'])).code, 2)
    assert.equal((await cli(['systemuser', 'list'], { ORG_NUMMER: '' })).code, 2, 'no system')
  })

  it('no token or key in any output', () => {
    for (const r of outputs) {
      assert.doesNotMatch(r.stdout + r.stderr, /eyJ[\w-]+\.[\w-]+/)
      assertNoSecrets([r.stdout, r.stderr], f.setup.secrets)
    }
  })
})
