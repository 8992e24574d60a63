// Grant signers for three cloud key vaults: small adapters from a vault client to `GrantSigner`. They are examples,
// not dependencies: each declares the few members of the vault SDK it uses instead of importing the SDK, and is
// type-checked by `npm run typecheck`. Copy one into your code and pass your SDK's client. The vault key must be
// RSA 2048 for RSASSA-PKCS1-v1_5 with SHA-256 (RS256); register its public key (or the certificate) with Digdir.
import { createHash } from 'node:crypto'
import type { GrantSigner } from '../src/index.js'

const sha256 = (data: Uint8Array): Uint8Array => createHash('sha256').update(data).digest()

// --- Azure Key Vault (@azure/keyvault-keys) ---------------------------------------------------------------------

/** What the adapter uses of `@azure/keyvault-keys`' `CryptographyClient`. */
export interface AzureCryptographyClient {
  sign(algorithm: 'RS256', digest: Uint8Array, options?: { abortSignal?: AbortSignal }): Promise<{ result: Uint8Array }>
}

/**
 * A signer over an Azure Key Vault key: `new CryptographyClient(keyId, new DefaultAzureCredential())`. The digest is
 * made here; the key never leaves the vault. Needs the `keys/sign` permission (role "Key Vault Crypto User").
 */
export function azureKeyVaultSigner(client: AzureCryptographyClient, header: { kid?: string; x5c?: string[] }): GrantSigner {
  return {
    ...header,
    async sign(data, options) {
      const { result } = await client.sign('RS256', sha256(data), options ? { abortSignal: options.signal } : {})
      return result
    },
  }
}

// --- AWS KMS (@aws-sdk/client-kms) ----------------------------------------------------------------------------

/** The input of `@aws-sdk/client-kms`' `SignCommand`, as far as used. */
export interface AwsSignInput {
  KeyId: string
  Message: Uint8Array
  MessageType: 'DIGEST'
  SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256'
}

/** What the adapter uses of `KMSClient`: `send` of a `SignCommand`. */
export interface AwsKmsClient {
  send(command: object, options?: { abortSignal?: AbortSignal }): Promise<{ Signature?: Uint8Array }>
}

/**
 * A signer over an AWS KMS asymmetric key (key spec RSA_2048, usage SIGN_VERIFY):
 * `awsKmsSigner(new KMSClient({}), (input) => new SignCommand(input), 'alias/maskinporten', { kid })`. Needs
 * `kms:Sign` on the key.
 */
export function awsKmsSigner(
  client: AwsKmsClient,
  signCommand: (input: AwsSignInput) => object,
  keyId: string,
  header: { kid?: string; x5c?: string[] },
): GrantSigner {
  return {
    ...header,
    async sign(data, options) {
      const command = signCommand({ KeyId: keyId, Message: sha256(data), MessageType: 'DIGEST', SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' })
      const { Signature } = await client.send(command, options ? { abortSignal: options.signal } : {})
      if (!Signature) throw new Error('AWS KMS answered without a Signature')
      return Signature
    },
  }
}

// --- Google Cloud KMS (@google-cloud/kms) ---------------------------------------------------------------------

/** What the adapter uses of `@google-cloud/kms`' `KeyManagementServiceClient`. */
export interface GoogleKmsClient {
  asymmetricSign(request: { name: string; digest: { sha256: Uint8Array } }): Promise<[{ signature?: Uint8Array | string | null }, ...unknown[]]>
}

/**
 * A signer over a Google Cloud KMS key version of algorithm RSA_SIGN_PKCS1_2048_SHA256:
 * `googleKmsSigner(new KeyManagementServiceClient(), 'projects/p/locations/l/keyRings/r/cryptoKeys/k/cryptoKeyVersions/1', { kid })`.
 * Needs `cloudkms.cryptoKeyVersions.useToSign`. The client library has no abort signal: the library's timeout
 * still bounds the wait.
 */
export function googleKmsSigner(client: GoogleKmsClient, versionName: string, header: { kid?: string; x5c?: string[] }): GrantSigner {
  return {
    ...header,
    async sign(data) {
      const [response] = await client.asymmetricSign({ name: versionName, digest: { sha256: sha256(data) } })
      const { signature } = response
      if (signature === undefined || signature === null) throw new Error('Google Cloud KMS answered without a signature')
      return typeof signature === 'string' ? Buffer.from(signature, 'base64') : signature
    },
  }
}
