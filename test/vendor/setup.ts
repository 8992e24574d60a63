// The emulator for tokens, the fake Altinn for the vendor routes, and a vendor client between them.
import { after, before } from 'node:test'
import { MaskinportenClient } from '../../src/client/client.ts'
import { adminScopes } from '../../src/config/scopes.ts'
import { startEmulator, type Emulator } from '../../src/emulator/index.ts'
import { publicJwk } from '../../src/signing/keys.ts'
import { AltinnVendorClient } from '../../src/vendor/client.ts'
import type { AltinnVendorClientOptions } from '../../src/vendor/options.ts'
import { testKey } from '../support/fixtures.ts'
import { startFakeAltinn, type FakeAltinn } from './fake-altinn.ts'

export const VENDOR_ORG = '991825827'
export const CUSTOMER = '310702641'
export const OTHER_CUSTOMER = '974760223'
export const SYSTEM_ID = `${VENDOR_ORG}_wenche2`
export const CLIENT_ID = 'vendor-test-client'

export interface VendorFixture {
  emu: Emulator
  altinn: FakeAltinn
  mp: MaskinportenClient
  vendor: AltinnVendorClient
  /** A vendor client with other options, on the same Maskinporten client. */
  make(options?: AltinnVendorClientOptions): AltinnVendorClient
}

/** Starts both servers before the file's tests and stops them after; `scopes` narrows the client's scopes. */
export function vendorFixture(scopes: string[] = adminScopes().split(' ')): VendorFixture {
  const fixture = {} as VendorFixture
  before(async () => {
    const key = testKey()
    fixture.emu = await startEmulator({
      clients: [{ clientId: CLIENT_ID, orgNummer: VENDOR_ORG, jwks: { keys: [publicJwk(key.privateKey, 'k1')] }, scopes }],
    })
    fixture.altinn = await startFakeAltinn()
    fixture.mp = new MaskinportenClient(
      { clientId: CLIENT_ID, kid: 'k1', privateKeyPem: key.pkcs8, issuer: fixture.emu.issuer, altinnUrl: fixture.altinn.url },
      { retry: { baseDelayMs: 1, maxDelayMs: 5, deadlineMs: 5_000 } },
    )
    fixture.make = (options = {}) => new AltinnVendorClient(fixture.mp, { systemId: SYSTEM_ID, retry: { baseDelayMs: 1, maxDelayMs: 5, deadlineMs: 5_000 }, ...options })
    fixture.vendor = fixture.make()
  })
  after(async () => {
    fixture.mp?.close()
    await fixture.altinn?.close()
    await fixture.emu?.close()
  })
  return fixture
}

/** Collects an async iterable. */
export async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

/** The rejection of `promise` (fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}
