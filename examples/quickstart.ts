// The README's examples (which import 'wenche-maskinporten'), type-checked by `npm run typecheck` so they keep compiling.
import { readFileSync } from 'node:fs'
import {
  configFromEnv,
  decodeToken,
  getAltinnToken,
  getSystemuserToken,
  isMaskinportenError,
  type MaskinportenConfig,
} from '../src/index.js'

export async function quickstart(): Promise<void> {
  const config: MaskinportenConfig = {
    clientId: 'a1b2c3d4-0000-4000-8000-000000000000',
    kid: 'my-key-2026',
    privateKeyPem: readFileSync('maskinporten_privat.pem', 'utf8'),
    env: 'test',
  }
  try {
    const altinnToken = await getAltinnToken(config)
    const customerToken = await getSystemuserToken(config, '310702641')
    console.log(decodeToken(altinnToken).expiresAt, decodeToken(customerToken).claims['urn:altinn:orgNumber'])
    console.log((await getAltinnToken(configFromEnv())).length)
  } catch (err) {
    if (isMaskinportenError(err)) console.error(err.code, err.message)
    else throw err
  }
}
