/**
 * `npm run demo` runs to the end offline, shows every flow and one rejection, and never prints a token.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { ROOT } from '../support/paths.ts'

const root = ROOT

describe('e2e: the demo', () => {
  it('runs every flow and the client (three calls, one request), shows a rejection, exits 0, prints no token', async () => {
    const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(process.execPath, ['build/examples/demo.js'], { cwd: root, timeout: 30_000 }, (err, stdout, stderr) =>
        err ? reject(Object.assign(err, { stdout, stderr })) : resolve({ stdout, stderr }),
      )
    })
    for (const flow of ['getAltinnToken', 'getSystemuserToken', 'getAdminToken', 'getSkdAksjonaerToken', 'getSkdSkattemeldingToken']) {
      assert.ok(stdout.includes(`${flow}(config`), flow)
    }
    assert.match(stdout, /MaskinportenError maskinporten_error: HTTP 400, invalid_grant, MP-120/)
    assert.match(stdout, /lifetime 1800 s/)
    assert.match(stdout, /^client\.getToken\(\{ scope \}\) three times: 1 request to Maskinporten, one token$/m)
    // The onboarding, step by step.
    assert.match(stdout, /ensureSystem\(\{ id: '991825827_wenche2', \.\.\. \}\)\n  -> created/)
    assert.match(stdout, /requestSystemUser\(\{ partyOrgNo: '974760223', \.\.\. \}\)\n  -> created request [0-9a-f-]{36}, status New/)
    assert.match(stdout, /send the customer to http:\/\/127\.0\.0\.1:\d+\/accessmanagement\/ui\/systemuser\/request\?id=/)
    assert.match(stdout, /waitForRequest\(id\)\n  -> Accepted/)
    assert.match(stdout, /a system user token for the new customer\n  -> .*system user for 0192:974760223/)
    assert.match(stdout, /change request [0-9a-f-]{36}, status New/)
    assert.match(stdout, /getChangeRequest\(id\)\n  -> Accepted/)
    assert.doesNotMatch(stdout + stderr, /eyJ[\w-]+\.[\w-]+/)
  })
})
