// `token` answers a cache hit without loading MaskinportenClient, so it must look under the client's own keys.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MaskinportenClient } from '../../src/client/client.ts'
import type { StoredToken, TokenStore } from '../../src/client/store.ts'
import { resolveConfig } from '../../src/config/config.ts'
import { startEmulator } from '../../src/emulator/index.ts'
import { generateSigningKey } from '../../src/signing/keys.ts'
import { cacheKeys } from '../../src/cli/token.ts'

test("cacheKeys: the keys MaskinportenClient stores a request's Maskinporten and Altinn tokens under", async () => {
  const key = await generateSigningKey()
  const emu = await startEmulator({
    clients: [{
      clientId: 'keys-client',
      orgNummer: '991825827',
      jwks: { keys: [key.publicJwk] },
      scopes: ['altinn:instances.read', 'altinn:instances.write'],
      systemUsers: [{ orgNummer: '310702641', externalRef: 'ref-1' }],
    }],
  })
  const written: string[] = []
  const store: TokenStore = {
    get: () => undefined,
    set: (k: string, _token: StoredToken) => void written.push(k),
    delete: () => undefined,
  }
  const config = { clientId: 'keys-client', kid: key.kid, privateKeyPem: key.privateKeyPem, issuer: emu.issuer, altinnUrl: emu.altinnUrl }
  const client = new MaskinportenClient(config, { store })
  try {
    const requests = [
      { scope: 'altinn:instances.write altinn:instances.read', grant: {} },
      { scope: 'altinn:instances.read', grant: { orgNummer: '310702641', externalRef: 'ref-1' } },
      { scope: 'altinn:instances.read', grant: { resource: ['https://api.example.test/'] } },
    ]
    for (const request of requests) {
      written.length = 0
      await client.altinnTokenResult({ scope: request.scope, ...request.grant })
      const expected = cacheKeys(resolveConfig(config), request)
      assert.deepEqual([...written].sort(), [expected.altinnKey, expected.key].sort(), JSON.stringify(request))
    }
  } finally {
    client.close()
    await emu.close()
  }
})
