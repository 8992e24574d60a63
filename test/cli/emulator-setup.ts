// An emulator with one client whose key is made at test time, and the bin's environment for it.
import { generateKeyPairSync } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before } from 'node:test'
import { startEmulator, type Emulator } from '../../src/emulator/index.ts'
import { publicJwk } from '../../src/signing/keys.ts'
import { adminScopes, defaultScopes } from '../../src/config/scopes.ts'
import { keyFragments } from '../support/fixtures.ts'
import { requireBuiltBin, tempDir } from './run-cli.ts'

export const CLIENT_ID = 'cli-test-client'
export const KID = 'cli-test-kid'
/** Has approved a system user for the client's system. */
export const CUSTOMER_ORG = '310702641'
/** A valid org number with no system user: MP-303. */
export const STRANGER_ORG = '974760223'

export interface Setup {
  emu: Emulator
  pem: string
  /** The private key as a NAIS-style JWK (JSON) with the registered kid. */
  privateJwk: string
  /** Substrings of the key that must never be printed. */
  secrets: string[]
  /** Writes the PEM (0600) into `dir` and returns its path. */
  writeKey(dir: string): string
  /** The bin's environment: client, kid, key file, emulator URLs. */
  env(keyFile: string, extra?: Record<string, string>): Record<string, string>
}

/** Starts the emulator (call `setup.emu.close()` after). */
export async function startSetup(clockOffsetSeconds = 0): Promise<Setup> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  const jwk = privateKey.export({ format: 'jwk' }) as Record<string, string>
  const emu = await startEmulator({
    clockOffsetSeconds,
    clients: [
      {
        clientId: CLIENT_ID,
        orgNummer: '991825827',
        jwks: { keys: [{ ...publicJwk(privateKey, KID) }] },
        scopes: [...defaultScopes().split(' '), ...adminScopes().split(' ')],
        systemUsers: [{ orgNummer: CUSTOMER_ORG }],
      },
    ],
  })
  return {
    emu,
    pem,
    privateJwk: JSON.stringify({ ...jwk, kid: KID }),
    secrets: [...keyFragments(pem), jwk.d!.slice(20, 60)],
    writeKey(dir) {
      const file = join(dir, 'maskinporten_privat.pem')
      writeFileSync(file, pem, { mode: 0o600 })
      return file
    },
    env(keyFile, extra = {}) {
      return {
        MASKINPORTEN_CLIENT_ID: CLIENT_ID,
        MASKINPORTEN_KID: KID,
        MASKINPORTEN_PRIVAT_NOKKEL: keyFile,
        MASKINPORTEN_ISSUER: emu.issuer,
        ALTINN_URL: emu.altinnUrl,
        ...extra,
      }
    },
  }
}

/** A test file's emulator and temporary directory (with the key in it), started before its tests, gone after. */
export interface Fixture {
  dir: string
  setup: Setup
  keyFile: string
}

/** Registers `before`/`after` hooks that start and stop a {@link Setup}; read the fields inside tests. */
export function emulatorFixture(): Fixture {
  const { dir, cleanup } = tempDir()
  const fixture = { dir } as Fixture
  before(async () => {
    requireBuiltBin()
    fixture.setup = await startSetup()
    fixture.keyFile = fixture.setup.writeKey(dir)
  })
  after(async () => {
    await fixture.setup?.emu.close()
    cleanup()
  })
  return fixture
}
