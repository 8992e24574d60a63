// The README's certificate and signer examples (which import 'wenche-maskinporten'), type-checked by `npm run typecheck`.
import { readFileSync } from 'node:fs'
import { getMaskinportenToken, MaskinportenClient, type GrantSigner } from '../src/index.js'
import { azureKeyVaultSigner, type AzureCryptographyClient } from './signers.js'

export function vaultClient(cryptographyClient: AzureCryptographyClient, registeredJwk: Record<string, string>): MaskinportenClient {
  const signer: GrantSigner = azureKeyVaultSigner(cryptographyClient, { kid: 'vault-key-2026' })
  return new MaskinportenClient({
    clientId: 'a1b2c3d4-0000-4000-8000-000000000000',
    signer,
    publicKey: registeredJwk,
    env: 'test',
  })
}

export async function certificateToken(): Promise<string> {
  const config = {
    clientId: 'a1b2c3d4-0000-4000-8000-000000000000',
    certificate: readFileSync('virksomhet.pem', 'utf8'),
    privateKeyPem: readFileSync('virksomhet.key', 'utf8'),
    env: 'test' as const,
  }
  return (await getMaskinportenToken(config, 'altinn:instances.read')).access_token
}
