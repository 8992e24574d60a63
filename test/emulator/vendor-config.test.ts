/**
 * The emulator's Altinn configuration: `systems` registered at start (checked as the register POST checks them),
 * `resources` and `parties`, and unknown fields in any config object refused with the path and a "did you mean",
 * in `startEmulator`, `registerClient`, `POST /__emulator/clients` and the CLI's `--config` file.
 */
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmulator, type EmulatorOptions } from '../../src/emulator/index.js'
import { generateSigningKey } from '../../src/signing/keys.js'
import { ROOT } from '../support/paths.ts'
import { createInterface } from 'node:readline'
import { randomUUID } from 'node:crypto'
import { requestToken, signGrant } from './fixtures.js'
import { ADMIN_SCOPES, CUSTOMER_ORG, RESOURCE, SYSTEM_ID, VENDOR_ORG, assertValidation, right, startVendorFixture, systemBody } from './vendor-fixtures.js'

async function refused(options: unknown, pattern: RegExp): Promise<void> {
  await assert.rejects(startEmulator(options as EmulatorOptions), (err: Error & { code?: string }) => {
    assert.equal(err.name, 'MaskinportenError')
    assert.equal(err.code, 'invalid_config')
    assert.match(err.message, pattern)
    return true
  })
}

describe('emulator: Altinn configuration', () => {
  it('refuses unknown fields anywhere with the path and the nearest known name', async () => {
    const { publicJwk } = await generateSigningKey()
    const client = { clientId: 'c', orgNummer: VENDOR_ORG, jwks: { keys: [publicJwk] }, scopes: ['altinn:instances.read'] }
    await refused({ clients: [{ ...client, systemUser: [] }] }, /clients\[0\]\.systemUser is not a known field; did you mean `systemUsers`\?/)
    await refused({ system: [] }, /system is not a known field; did you mean `systems`\?/)
    await refused({ clients: [{ ...client, systemUsers: [{ orgNummer: CUSTOMER_ORG, externalref: 'x' }] }] }, /clients\[0\]\.systemUsers\[0\]\.externalref .*did you mean `externalRef`/)
    await refused({ clients: [{ ...client, delegations: [{ consumerOrg: CUSTOMER_ORG, scope: ['a'] }] }] }, /clients\[0\]\.delegations\[0\]\.scope .*`scopes`/)
    await refused({ systems: [{ ...systemBody([]), clientID: [] }] }, /systems\[0\]\.clientID .*`clientId`/)
    await refused({ systems: [{ ...systemBody([]), vendor: { authority: 'iso6523-actorid-upis', id: '0192:991825827' } }] }, /systems\[0\]\.vendor\.id .*`ID`/)
    await refused({ partys: [] }, /partys is not a known field; did you mean `parties`/)
    await refused({ zzzzzzzz: 1 }, /zzzzzzzz is not a known field \(known: port, host/)
    const emu = await startEmulator()
    try {
      assert.throws(() => emu.registerClient({ ...client, systemUser: [] } as never), /systemUser is not a known field; did you mean `systemUsers`/)
      const res = await fetch(`${emu.url}/__emulator/clients`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...client, tokenLifetime: 60 }) })
      assert.equal(res.status, 400)
      assert.match(((await res.json()) as { error_description: string }).error_description, /did you mean `tokenLifetimeSeconds`/)
    } finally {
      await emu.close()
    }
  })

  it('checks systems as the register does, and parties as org numbers', async () => {
    await refused({ systems: [systemBody([], { id: 'no-org' })] }, /systems\[0\] is refused by the system register: AUTH\.VLD-00001/)
    await refused({ systems: [systemBody([]), systemBody([])] }, /systems\[1\] .*AUTH\.VLD-00002/)
    await refused({ systems: [systemBody([], { vendor: { authority: 'iso6523-actorid-upis', ID: '999888777' } })] }, /systems\[0\]\.vendor\.ID/)
    await refused({ resources: ['a'], systems: [systemBody([])] }, /AUTH\.VLD-00003/)
    await refused({ parties: ['999888777'] }, /parties\[0\]/)
    await refused({ resources: 'app_x' }, /resources must be an array/)
  })

  it('serves pre-registered systems; resources and parties restrict what the register and requests accept', async () => {
    const f = await startVendorFixture(({ vendor }) => ({
      systems: [systemBody([vendor]) as never],
      resources: [RESOURCE, 'ske-innrapportering-aksjonaerregisteroppgave'],
      parties: [CUSTOMER_ORG],
    }))
    try {
      const got = await f.api('GET', `systemregister/vendor/${SYSTEM_ID}`)
      assert.equal(got.status, 200)
      assert.deepEqual(got.json.clientId, [f.vendor.clientId])
      assertValidation(await f.api('POST', 'systemregister/vendor', systemBody([], { id: `${VENDOR_ORG}_x`, rights: [right('app_unlisted')] })), ['03'])
      const made = await f.api('POST', 'systemuser/request/vendor', { systemId: SYSTEM_ID, partyOrgNo: CUSTOMER_ORG, rights: [right(RESOURCE)] })
      assert.equal(made.status, 201)
      const refusedParty = await f.api('POST', 'systemuser/request/vendor', { systemId: SYSTEM_ID, partyOrgNo: '974760223', rights: [right(RESOURCE)] })
      assert.equal(refusedParty.json.code, 'AUTH-00000')
    } finally {
      await f.emu.close()
    }
  })

  it('the CLI serves the systems of its --config file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emulator-config-'))
    const key = await generateSigningKey()
    const client = { clientId: 'cli-vendor', orgNummer: VENDOR_ORG, jwks: { keys: [key.publicJwk] }, scopes: ADMIN_SCOPES }
    const file = join(dir, 'config.json')
    await writeFile(file, JSON.stringify({ clients: [client], systems: [systemBody(['cli-vendor'])], parties: [CUSTOMER_ORG] }))
    const child = spawn(process.execPath, ['dist/cli/bin.cjs', 'emulator', '--config', file], { cwd: ROOT })
    try {
      const line = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve)
        child.once('exit', (code) => reject(new Error(`exited ${code}`)))
      })
      const url = /listening on (\S+)$/.exec(line)![1]!
      const iat = Math.floor(Date.now() / 1000)
      const claims = { aud: `${url}/`, iss: 'cli-vendor', scope: ADMIN_SCOPES.join(' '), iat, exp: iat + 100, jti: randomUUID() }
      const answer = await requestToken({ issuer: `${url}/` }, signGrant(key.privateKey, { alg: 'RS256', kid: key.kid }, claims))
      assert.equal(answer.status, 200, answer.text)
      const res = await fetch(`${url}/authentication/api/v1/systemregister/vendor/${SYSTEM_ID}`, { headers: { authorization: `Bearer ${answer.body.access_token}` } })
      assert.equal(res.status, 200)
      assert.deepEqual(((await res.json()) as { clientId: string[] }).clientId, ['cli-vendor'])
    } finally {
      child.kill('SIGTERM')
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('the CLI refuses an unknown field in --config, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'emulator-config-'))
    try {
      const file = join(dir, 'config.json')
      await writeFile(file, JSON.stringify({ clients: [], system: [] }))
      const child = spawn(process.execPath, ['dist/cli/bin.cjs', 'emulator', '--config', file], { cwd: ROOT })
      let stderr = ''
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
      assert.notEqual(code, 0)
      assert.match(stderr, /system is not a known field; did you mean `systems`\?/)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
