// An emulator with one client whose key is made at run time (written 0600 for child processes), for the tests
// and the bench that share tokens between clients and processes.
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmulator, type Emulator } from '../../src/emulator/index.ts'
import { publicJwk } from '../../src/signing/keys.ts'
import type { MaskinportenConfig } from '../../src/config/config.ts'

export const FLEET_CLIENT_ID = 'fleet-test-client'
export const FLEET_KID = 'fleet-test-kid'
export const FLEET_SCOPE = 'altinn:instances.read'

export interface FleetSetup {
  emu: Emulator
  /** A temporary directory (the key file is in it). */
  dir: string
  keyFile: string
  config: MaskinportenConfig
  /** What a child process needs, as JSON for its environment (no key text: the key file's path). */
  childConfig: { clientId: string; kid: string; keyFile: string; issuer: string }
  /** The private key's PEM, to assert it never shows. */
  pem: string
  close(): Promise<void>
}

/** Starts the emulator; its tokens live `tokenLifetimeSeconds`. */
export async function startFleetSetup(tokenLifetimeSeconds = 120): Promise<FleetSetup> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  const emu = await startEmulator({
    clients: [
      {
        clientId: FLEET_CLIENT_ID,
        orgNummer: '991825827',
        jwks: { keys: [{ ...publicJwk(privateKey, FLEET_KID) }] },
        scopes: [FLEET_SCOPE],
        tokenLifetimeSeconds,
      },
    ],
  })
  const dir = mkdtempSync(join(tmpdir(), 'mp-fleet-'))
  const keyFile = join(dir, 'key.pem')
  writeFileSync(keyFile, pem, { mode: 0o600 })
  return {
    emu,
    dir,
    keyFile,
    pem,
    config: { clientId: FLEET_CLIENT_ID, kid: FLEET_KID, privateKey, issuer: emu.issuer },
    childConfig: { clientId: FLEET_CLIENT_ID, kid: FLEET_KID, keyFile, issuer: emu.issuer },
    async close() {
      await emu.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
