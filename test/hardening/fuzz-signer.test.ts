// Property-based, as fuzz.test.ts, over what the async signer and the business certificate add: the signer and each
// of its members (sign and what it returns, throws or never settles with, kid, alg, x5c), the public key it is
// checked with, the certificate chain (as config, with a key, a signer or its own key block, and through
// configFromEnv), the clock a certificate is checked against, the exported helpers (inspectCertificate, daysLeft,
// keyObjectSigner) and the README's vault adapters. Keys and certificates are made at run time.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import fc from 'fast-check'
import * as api from '../../src/index.js'
import { awsKmsSigner, azureKeyVaultSigner, googleKmsSigner } from '../../examples/signers.js'
import { testKey } from '../support/fixtures.js'
import { makeTestPki } from '../support/certificates.js'
import { boxing, echoingFetch, fromFragments, fuzz, pemFragments, PROXY, RUNS, SEED, type Target } from './fuzz-kit.js'

const ORG = '991825827'
const KID = 'vault-kid-1'
const PASSPHRASE = 'tr0ubadour-signer-passphrase-9042'

const pki = makeTestPki()
const cwd = mkdtempSync(join(tmpdir(), 'maskinporten-fuzz-'))
after(() => {
  pki.cleanup()
  rmSync(cwd, { recursive: true, force: true })
})
const leaf = pki.leaf({ serialNumber: ORG })
const expired = pki.leaf({ serialNumber: ORG, days: -1 })
const nameless = pki.leaf({})
const vault = testKey()
const CHAIN = pki.chain(leaf, pki.intermediate)
const X5C = pki.x5c(leaf, pki.intermediate)
const ENCRYPTED_LEAF_KEY = leaf.key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }) as string
const VAULT_JWK = vault.privateKey.export({ format: 'jwk' }) as Record<string, string>

/** Distinctive pieces of every secret in play. */
const FRAGMENTS = [
  ...[vault.pkcs8, leaf.keyPem, expired.keyPem, nameless.keyPem, pki.intermediate.keyPem, ENCRYPTED_LEAF_KEY].flatMap(pemFragments),
  VAULT_JWK.d!.slice(10, 70),
  PASSPHRASE,
]

/** Certificates out of place, in the wrong order, too many, broken; answers of the wrong shape and length. */
const certificateValues: unknown[] = [
  CHAIN,
  CHAIN + leaf.keyPem,
  CHAIN + ENCRYPTED_LEAF_KEY,
  CHAIN + expired.keyPem,
  Buffer.from(CHAIN),
  CHAIN.replace(/\n/g, '\\n'),
  leaf.keyPem,
  ENCRYPTED_LEAF_KEY,
  leaf.keyPem + CHAIN,
  pki.chain(expired, pki.intermediate),
  pki.chain(pki.intermediate, leaf),
  pki.chain(pki.intermediate),
  pki.chain(nameless, pki.intermediate),
  pki.chain(leaf, pki.strangerIntermediate),
  pki.chain(...Array.from({ length: 11 }, () => leaf)),
  CHAIN.repeat(200),
  leaf.pem.replace(/(-----\n)(.{40})/, (_m, a: string, b: string) => `${a}${b.split('').reverse().join('')}`),
  `-----BEGIN CERTIFICATE-----\n${leaf.keyPem.split('\n').slice(1, -2).join('\n')}\n-----END CERTIFICATE-----\n`,
  new X509Certificate(leaf.pem).raw,
  X5C,
  pki.x5c(pki.intermediate, leaf),
  pki.x5c(expired, pki.intermediate),
  X5C.map((c) => Buffer.from(c, 'base64').toString('base64url')),
  [leaf.pem],
  [leaf.keyPem],
  Array.from({ length: 11 }, () => X5C[0]!),
  [X5C[0], 42],
  new Uint8Array(256),
  new Uint8Array(255),
  new Uint8Array(512),
  new Uint8Array(1024 * 1024),
  new Uint16Array(128),
  new Uint8Array(256).buffer,
  Buffer.alloc(256, 1).toString('base64url'),
  { then: () => { throw new Error(vault.pkcs8) } },
  { then: (_ok: unknown, fail: (e: unknown) => void) => fail(new Error(`vault said ${leaf.keyPem}`)) },
  Object.assign(new Error(`sign failed: ${vault.pkcs8} http://user:${PASSPHRASE}@vault/`), { code: 'EVAULT' }),
  'RS512',
  'rs256',
  'none',
  vault.publicKey,
  vault.privateKey,
  leaf.key,
  pki.strangerRoot.key,
  api.publicJwk(vault.privateKey, KID),
  VAULT_JWK,
  JSON.stringify(VAULT_JWK),
  vault.publicKey.export({ format: 'pem', type: 'spki' }),
  vault.publicKey.export({ format: 'pem', type: 'pkcs1' }),
]

/** Values a careless user or a hostile caller may pass anywhere. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...certificateValues) },
  { weight: 2, arbitrary: fc.constantFrom(...fromFragments(FRAGMENTS)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(
      vault.pkcs8,
      PASSPHRASE,
      null,
      undefined,
      '',
      ' ',
      'a\nb',
      10n,
      Symbol('s'),
      Object.create(null),
      { toString: () => vault.pkcs8, valueOf: () => vault.pkcs8 },
      { toJSON: () => vault.pkcs8 },
      [vault.pkcs8],
      [],
      true,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      -1,
      0,
      1.5,
      2 ** 31,
      () => vault.pkcs8,
      async () => {
        throw new Error(vault.pkcs8)
      },
      () => new Promise(() => {}),
      new Date(Number.NaN),
      PROXY,
      'x'.repeat(1024 * 1024),
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
)
const boxed = boxing(hostile, FRAGMENTS, vault.pkcs8)

const good = (): api.GrantSigner => api.keyObjectSigner(vault.privateKey)
const leafSigner = (): api.GrantSigner => api.keyObjectSigner(leaf.key)
/** A signer config: the passphrase set too (a leftover), so that it is always in play. */
const signed = (signer: unknown, extra: Partial<api.MaskinportenConfig> = {}): api.MaskinportenConfig =>
  ({ clientId: 'fuzz-client', kid: KID, signer: signer as api.GrantSigner, passphrase: PASSPHRASE, env: 'test', fetch: echoingFetch, timeoutMs: 200, ...extra })
const certified = (extra: Partial<api.MaskinportenConfig>): api.MaskinportenConfig =>
  ({ clientId: 'fuzz-client', certificate: CHAIN, privateKeyPem: ENCRYPTED_LEAF_KEY, passphrase: PASSPHRASE, env: 'test', fetch: echoingFetch, timeoutMs: 200, ...extra })
const quick = { retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, deadlineMs: 300 } } as const

async function token(config: api.MaskinportenConfig, options: api.MaskinportenClientOptions = quick): Promise<unknown> {
  const client = new api.MaskinportenClient(config, options)
  try {
    return await client.getToken({ orgNummer: '310702641' })
  } finally {
    client.close()
  }
}
const V = (v: unknown): never => v as never
const answering = (v: unknown): api.GrantSigner => ({ kid: KID, sign: async () => V(v) })

const targets: Target[] = [
  ['config.signer', (v) => token(signed(v))],
  ['signer.sign', (v) => token(signed({ sign: v }))],
  ['sign() resolves to', (v) => token(signed(answering(v)))],
  ['sign() returns', (v) => token(signed({ sign: () => v }))],
  ['sign() throws', (v) => token(signed({ sign: () => { throw v } }))],
  ['sign() rejects with', (v) => token(signed({ sign: () => Promise.reject(v) }))],
  ['signer.kid', (v) => token(signed({ ...good(), kid: v }, { kid: undefined }))],
  ['signer.kid and config.kid', (v) => token(signed({ ...good(), kid: v }))],
  ['signer.alg', (v) => token(signed({ ...good(), alg: v }))],
  ['signer.x5c', (v) => token(signed({ ...leafSigner(), x5c: v }, { kid: undefined }))],
  ['config.publicKey', (v) => token(signed(good(), { publicKey: V(v) }))],
  ['config.kid with a signer', (v) => token(signed(good(), { kid: V(v) }))],
  ['config.timeoutMs with a signer that never answers', (v) => token(signed({ sign: () => new Promise(() => {}) }, { timeoutMs: V(v) }), { retry: { maxAttempts: 1, deadlineMs: 50 } })],
  ['flow signer', (v) => api.getMaskinportenToken(signed(v), 'a:b')],
  ['flow sign() resolves to', (v) => api.getAltinnToken(signed(answering(v)))],
  ['buildJwtGrant signer', (v) => api.buildJwtGrant(signed(v), 'a:b')],
  // Without a publicKey any 256 bytes pass here (Maskinporten is the one to refuse them): pure for those.
  ['buildJwtGrant sign() resolves to', (v) => api.buildJwtGrant(signed(answering(v)), 'a:b'), true],
  ['config.certificate with a key', (v) => token(certified({ certificate: V(v) }))],
  ['config.certificate with its own key block', (v) => token(certified({ certificate: V(v), privateKeyPem: undefined }))],
  ['config.certificate with a signer', (v) => token(signed(leafSigner(), { kid: undefined, certificate: V(v) }))],
  ['config.certificate with a signer answering', (v) => token(signed(answering(v), { kid: undefined, certificate: CHAIN }))],
  ['config.privateKeyPem with a certificate', (v) => token(certified({ privateKeyPem: V(v) }))],
  ['config.privateKey with a certificate', (v) => token(certified({ privateKeyPem: undefined, privateKey: V(v) }))],
  ['config.passphrase with a certificate', (v) => token(certified({ passphrase: V(v) }))],
  ['config.kid with a certificate', (v) => token(certified({ kid: V(v) }))],
  ['flow certificate', (v) => api.getSystemuserToken(certified({ certificate: V(v) }), '310702641')],
  // A chain that is good may give a grant: pure for that.
  ['buildJwtGrant certificate', (v) => api.buildJwtGrant(certified({ certificate: V(v) }), 'a:b'), true],
  ['buildJwtGrant now with a certificate', (v) => api.buildJwtGrant(certified({}), 'a:b', { now: () => V(v) })],
  ['options.now with a certificate', (v) => token(certified({}), { ...quick, now: () => V(v) })],
  ['configFromEnv MASKINPORTEN_CERTIFICATE', (v) => token(api.configFromEnv({ MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_PRIVATE_KEY: ENCRYPTED_LEAF_KEY, MASKINPORTEN_PASSPHRASE: PASSPHRASE, MASKINPORTEN_CERTIFICATE: V(v) }, { cwd }))],
  ['configFromEnv MASKINPORTEN_CERTIFICATE holding the key', (v) => token(api.configFromEnv({ MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_PASSPHRASE: PASSPHRASE, MASKINPORTEN_CERTIFICATE: V(v) }, { cwd }))],
  ['inspectCertificate', (v) => api.inspectCertificate(V(v)), true],
  ['daysLeft(info)', (v) => api.daysLeft(V(v), Date.now()), true],
  ['daysLeft(now)', (v) => api.daysLeft(api.inspectCertificate(CHAIN), V(v)), true],
  ['keyObjectSigner(key)', (v) => token(signed(api.keyObjectSigner(V(v))))],
  ['keyObjectSigner(key, header)', (v) => token(signed(api.keyObjectSigner(vault.privateKey, V(v)), { kid: undefined }))],
  ['Azure Key Vault answer', (v) => token(signed(azureKeyVaultSigner({ sign: async () => V(v) }, { kid: KID })))],
  ['Azure Key Vault result', (v) => token(signed(azureKeyVaultSigner({ sign: async () => ({ result: V(v) }) }, { kid: KID })))],
  ['AWS KMS Signature', (v) => token(signed(awsKmsSigner({ send: async () => ({ Signature: V(v) }) }, (input) => input, 'alias/k', { kid: KID })))],
  ['Google Cloud KMS signature', (v) => token(signed(googleKmsSigner({ asymmetricSign: async () => [{ signature: V(v) }] }, 'projects/p/k/1', { kid: KID })))],
]

test(`fuzz: ${RUNS} hostile values across ${targets.length} signer and certificate entry points end in a MaskinportenError that leaks nothing (seed ${SEED})`, async () => {
  const { errors, codes } = await fuzz(targets, boxed, FRAGMENTS, RUNS)
  assert.ok(errors >= 0.8 * RUNS, `only ${errors} of ${RUNS} ended in a MaskinportenError`)
  assert.ok((codes.get('jwt_sign_failed') ?? 0) > 0.1 * RUNS, inspect(codes))
  assert.ok((codes.get('invalid_config') ?? 0) > 0.1 * RUNS, inspect(codes))
})
