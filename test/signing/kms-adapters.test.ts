// The README's vault adapters (examples/signers.ts) against fake vault clients that sign a SHA-256 digest the way the
// vaults do (RSASSA-PKCS1-v1_5 over a DigestInfo), and the grants they sign accepted by the emulator.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { constants, generateKeyPairSync, privateEncrypt, type KeyObject } from 'node:crypto'
import { startEmulator, type Emulator } from '../../src/emulator/index.js'
import { publicJwk } from '../../src/signing/keys.js'
import { getMaskinportenToken } from '../../src/flows.js'
import { awsKmsSigner, azureKeyVaultSigner, googleKmsSigner, type AwsSignInput } from '../../examples/signers.js'

const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex')
const CLIENT = 'kms-client'
const KID = 'kms-key'
const SCOPE = 'altinn:instances.read'

let key: KeyObject
let emu: Emulator

/** What a vault does with a digest: PKCS#1 v1.5 over DigestInfo(SHA-256, digest). */
function vaultSign(digest: Uint8Array): Uint8Array {
  assert.equal(digest.length, 32)
  return privateEncrypt({ key, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([SHA256_DIGEST_INFO, digest]))
}

before(async () => {
  ;({ privateKey: key } = generateKeyPairSync('rsa', { modulusLength: 2048 }))
  emu = await startEmulator({ clients: [{ clientId: CLIENT, orgNummer: '991825827', jwks: { keys: [publicJwk(key, KID)] }, scopes: [SCOPE] }] })
})
after(() => emu?.close())

const token = async (signer: Parameters<typeof getMaskinportenToken>[0]['signer']) =>
  getMaskinportenToken({ clientId: CLIENT, signer, issuer: emu.issuer, publicKey: publicJwk(key, KID) }, SCOPE)

describe('vault adapters', () => {
  it('Azure Key Vault: sign("RS256", digest) with the abort signal passed on', async () => {
    let signal: AbortSignal | undefined
    const client = { sign: async (alg: 'RS256', digest: Uint8Array, options?: { abortSignal?: AbortSignal }) => ((signal = options?.abortSignal), assert.equal(alg, 'RS256'), { result: vaultSign(digest) }) }
    assert.equal((await token(azureKeyVaultSigner(client, { kid: KID }))).scope, SCOPE)
    assert.ok(signal instanceof AbortSignal)
  })

  it('AWS KMS: a SignCommand with MessageType DIGEST and RSASSA_PKCS1_V1_5_SHA_256', async () => {
    const inputs: AwsSignInput[] = []
    const client = { send: async (command: object) => ({ Signature: vaultSign((command as { input: AwsSignInput }).input.Message) }) }
    const signer = awsKmsSigner(client, (input) => (inputs.push(input), { input }), 'alias/maskinporten', { kid: KID })
    assert.equal((await token(signer)).scope, SCOPE)
    assert.equal(inputs[0]?.SigningAlgorithm, 'RSASSA_PKCS1_V1_5_SHA_256')
    assert.equal(inputs[0]?.KeyId, 'alias/maskinporten')
  })

  it('Google Cloud KMS: asymmetricSign with a sha256 digest; a base64 answer decoded', async () => {
    const names: string[] = []
    const client = { asymmetricSign: async (req: { name: string; digest: { sha256: Uint8Array } }) => (names.push(req.name), [{ signature: Buffer.from(vaultSign(req.digest.sha256)).toString('base64') }] as [{ signature: string }]) }
    assert.equal((await token(googleKmsSigner(client, 'projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1', { kid: KID }))).scope, SCOPE)
    assert.deepEqual(names, ['projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1'])
  })

  it('a vault answering without a signature: jwt_sign_failed, nothing sent', async () => {
    const before = emu.stats().token.requests
    const client = { send: async () => ({}) }
    await assert.rejects(token(awsKmsSigner(client, (input) => ({ input }), 'k', { kid: KID })), { code: 'jwt_sign_failed', message: /threw or rejected/ })
    assert.equal(emu.stats().token.requests, before)
  })
})
