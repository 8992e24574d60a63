// What the signer and certificate fuzzing (fuzz-signer.test.ts) found, one case each: a TypeError or a plain Error
// where a MaskinportenError belongs, a clock that let a certificate through unchecked, and values built from secrets
// quoted back in messages and causes.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import * as api from '../../src/index.js'
import { checkCertificateTime } from '../../src/signing/certificate.js'
import { describeValue, isMaskinportenError } from '../../src/errors/errors.js'
import { testKey } from '../support/fixtures.js'
import { makeTestPki } from '../support/certificates.js'
import { echoingFetch, pemFragments, throwingProxy } from './fuzz-kit.js'

const ORG = '991825827'
const pki = makeTestPki()
const leaf = pki.leaf({ serialNumber: ORG })
const CHAIN = pki.chain(leaf, pki.intermediate)
const vault = testKey()
const LINE = pemFragments(vault.pkcs8)[1]!
const cwd = mkdtempSync(join(tmpdir(), 'maskinporten-found-'))
after(() => {
  pki.cleanup()
  rmSync(cwd, { recursive: true, force: true })
})

/** Runs `fn`, expecting a MaskinportenError of `code` in none of whose faces any of `secrets` shows. */
async function refused(fn: () => unknown, code: string, secrets: string[], message?: RegExp): Promise<Error> {
  let err: unknown
  try {
    await fn()
  } catch (e) {
    err = e
  }
  assert.ok(isMaskinportenError(err), `not a MaskinportenError: ${String(err).slice(0, 200)}`)
  assert.equal(err.code, code, err.message)
  if (message) assert.match(err.message, message)
  const faces = [err.message, err.stack ?? '', JSON.stringify(err), inspect(err, { depth: 8, showHidden: true })]
  for (const face of faces) for (const secret of secrets) assert.ok(!face.includes(secret), `leaked into: ${face.slice(0, 200).split(secret).join('[SECRET]')}`)
  return err
}

const signerConfig = (signer: unknown, extra: Partial<api.MaskinportenConfig> = {}): api.MaskinportenConfig =>
  ({ clientId: 'found-client', kid: 'vault-kid', signer: signer as api.GrantSigner, env: 'test', fetch: echoingFetch, timeoutMs: 200, ...extra })

describe('helpers given what is not theirs', () => {
  it('inspectCertificate of a number, an object or a function: invalid_config, not a TypeError', async () => {
    for (const v of [1.5, {}, () => CHAIN, true, Number.NaN]) await refused(() => api.inspectCertificate(v as never), 'invalid_config', [], /PEM text/)
  })

  it('daysLeft of nothing, a Proxy that throws with key text, or a BigInt time: invalid_config', async () => {
    const info = api.inspectCertificate(CHAIN)
    await refused(() => api.daysLeft(undefined as never, Date.now()), 'invalid_config', [], /CertificateInfo/)
    await refused(() => api.daysLeft(throwingProxy(vault.pkcs8) as never, Date.now()), 'invalid_config', pemFragments(vault.pkcs8))
    await refused(() => api.daysLeft(info, 10n as never), 'invalid_config', [], /epoch milliseconds/)
    assert.equal(api.daysLeft(info, info.notAfter - 86_400_000 * 3.5), 3)
  })
})

describe('a clock that is not a number', () => {
  it('buildJwtGrant with a certificate and now() giving NaN or text: invalid_config, no grant made', async () => {
    const config = { clientId: 'c', certificate: CHAIN, privateKeyPem: leaf.keyPem, env: 'test' as const }
    for (const v of [Number.NaN, 'now', undefined, {}]) await refused(() => api.buildJwtGrant(config, 'a:b', { now: () => v as number }), 'invalid_config', pemFragments(leaf.keyPem), /now must return epoch milliseconds/)
    await refused(() => api.buildJwtGrant(config, 'a:b', { now: () => { throw new Error(leaf.keyPem) } }), 'invalid_config', pemFragments(leaf.keyPem), /now threw/)
    assert.match(await api.buildJwtGrant(config, 'a:b'), /^eyJ/)
  })

  it('checkCertificateTime at NaN refuses the certificate instead of passing both comparisons', async () => {
    await refused(() => checkCertificateTime(api.inspectCertificate(CHAIN), Number.NaN), 'jwt_sign_failed', [], /validity cannot be checked/)
  })
})

describe('values built from secrets are not quoted back', () => {
  it('describeValue hides a PEM body line, alone or inside other text, and still quotes a thumbprint kid', () => {
    for (const v of [LINE, `x${LINE}`, `https://x/${LINE}`, `310702641${LINE}`]) assert.match(describeValue(v), /not shown: looks like key material/)
    const thumbprint = api.jwkThumbprint(api.publicJwk(vault.privateKey))
    assert.equal(describeValue(thumbprint), JSON.stringify(thumbprint))
  })

  it('signer.alg, signer.kid and a signer given as a string holding a PEM line: invalid_config without it', async () => {
    await refused(() => api.getMaskinportenToken(signerConfig({ ...api.keyObjectSigner(vault.privateKey), alg: `${LINE}-1` }), 'a:b'), 'invalid_config', [LINE], /signer\.alg/)
    await refused(() => api.getMaskinportenToken(signerConfig({ ...api.keyObjectSigner(vault.privateKey), kid: ` ${LINE}` }), 'a:b'), 'invalid_config', [LINE], /differs from signer\.kid/)
    await refused(() => api.buildJwtGrant(signerConfig(`x${LINE}`), 'a:b'), 'invalid_config', [LINE], /signer must be an object/)
  })

  it('a signer that throws or rejects with key text, a PEM line or a JWK member: jwt_sign_failed, its cause masked', async () => {
    const d = (vault.privateKey.export({ format: 'jwk' }) as { d: string }).d
    const thrown: unknown[] = [LINE, `vault said ${LINE}`, new Error(vault.pkcs8), `bad key ${d.slice(0, 60)}`, { then: (_: unknown, fail: (e: unknown) => void) => fail(new Error(`x ${vault.pkcs8}`)) }]
    for (const v of thrown) {
      await refused(() => api.getMaskinportenToken(signerConfig({ sign: () => { throw v } }), 'a:b'), 'jwt_sign_failed', [LINE, ...pemFragments(vault.pkcs8), d.slice(0, 60)], /sign\(\) threw or rejected/)
      await refused(() => api.getMaskinportenToken(signerConfig({ sign: async () => v }), 'a:b'), 'jwt_sign_failed', [LINE, ...pemFragments(vault.pkcs8), d.slice(0, 60)])
    }
  })

  it('MASKINPORTEN_CERTIFICATE naming a missing file made of a PEM line or the passphrase: neither in the message nor the cause', async () => {
    const passphrase = 'tr0ubadour-found-passphrase-1177'
    for (const name of [LINE, `x${passphrase}`]) {
      const env = { MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_PRIVATE_KEY: leaf.keyPem, MASKINPORTEN_PASSPHRASE: passphrase, MASKINPORTEN_CERTIFICATE: name }
      const err = await refused(() => api.configFromEnv(env, { cwd }), 'invalid_config', [LINE, passphrase], /MASKINPORTEN_CERTIFICATE names .*does not exist/)
      assert.equal((err.cause as { code?: string } | undefined)?.code, 'ENOENT')
    }
  })
})

describe('a Proxy whose traps throw with key text, where an object is read', () => {
  const proxy = () => throwingProxy(vault.pkcs8)
  it('as publicKey: invalid_config', async () => {
    await refused(() => api.getMaskinportenToken(signerConfig(api.keyObjectSigner(vault.privateKey), { publicKey: proxy() as never }), 'a:b'), 'invalid_config', pemFragments(vault.pkcs8), /publicKey could not be read/)
  })
  it('as privateKeyPem beside a certificate: invalid_config', async () => {
    await refused(() => api.getMaskinportenToken({ clientId: 'c', certificate: CHAIN, privateKeyPem: proxy() as never, env: 'test' }, 'a:b'), 'invalid_config', pemFragments(vault.pkcs8), /privateKeyPem must be PEM text/)
  })
  it('as the certificate: invalid_config', async () => {
    await refused(() => api.getMaskinportenToken({ clientId: 'c', certificate: proxy() as never, privateKeyPem: leaf.keyPem, env: 'test' }, 'a:b'), 'invalid_config', pemFragments(vault.pkcs8), /certificate must be the chain/)
  })
  // Resolving a promise with it reads its then: the trap throws, so the promise rejects.
  it('as what sign() resolves to: jwt_sign_failed', async () => {
    await refused(() => api.getMaskinportenToken(signerConfig({ sign: async () => proxy() }), 'a:b'), 'jwt_sign_failed', pemFragments(vault.pkcs8), /sign\(\) threw or rejected/)
  })
})

describe('a signer that never settles', () => {
  it('is bounded by timeoutMs in the flows and buildJwtGrant, and by the retry deadline in the client', async () => {
    const never = { sign: () => new Promise<Uint8Array>(() => {}) }
    const bounded = async (fn: () => Promise<unknown>): Promise<void> => {
      let timer: NodeJS.Timeout | undefined
      const hang = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('still waiting after 10 s')), 10_000)))
      try {
        await Promise.race([refused(fn, 'jwt_sign_failed', [], /did not answer within \d+ ms/), hang])
      } finally {
        clearTimeout(timer)
      }
    }
    await bounded(() => api.getAltinnToken(signerConfig(never, { timeoutMs: 100 })))
    await bounded(() => api.buildJwtGrant(signerConfig(never, { timeoutMs: 100 }), 'a:b'))
    const client = new api.MaskinportenClient(signerConfig(never, { timeoutMs: 2_000_000_000 }), { retry: { deadlineMs: 100 } })
    try {
      await bounded(() => client.getToken())
    } finally {
      client.close()
    }
  })
})

describe('values equal to a secret of the config in play are not quoted back', () => {
  const PASSPHRASE = 'correct-horse-battery-staple-7531'
  const encrypted = vault.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }) as string
  const jwk = vault.privateKey.export({ format: 'jwk' }) as Record<string, string>
  const D = jwk.d!.slice(10, 40)
  const P = jwk.p!.slice(10, 40)
  const config: api.MaskinportenConfig = { clientId: 'c', kid: 'k', privateKeyPem: encrypted, passphrase: PASSPHRASE, env: 'test', fetch: echoingFetch, timeoutMs: 200 }
  const secrets = [PASSPHRASE, D, P]

  it('the passphrase as the org number of getToken, systemuserToken and the flows: invalid_config, the passphrase masked', async () => {
    const client = new api.MaskinportenClient(config, { retry: { maxAttempts: 1 } })
    try {
      await refused(() => client.getToken({ orgNummer: PASSPHRASE }), 'invalid_config', secrets, /orgNummer \S*\[secret masked\]\S* is not nine digits/)
      await refused(() => client.systemuserToken(` ${PASSPHRASE}`), 'invalid_config', secrets, /secret masked/)
      await refused(() => client.altinnTokenResult({ consumerOrg: `310702641${PASSPHRASE}` }), 'invalid_config', secrets, /consumerOrg/)
    } finally {
      client.close()
    }
    await refused(() => api.getSkdAksjonaerToken(config, PASSPHRASE), 'invalid_config', secrets, /secret masked/)
    await refused(() => api.buildJwtGrant(config, 'a:b', { orgNummer: PASSPHRASE }), 'invalid_config', secrets, /secret masked/)
  })

  it('a piece of the config key’s JWK (30 characters, too short to look like a key) as an org number or a setting: masked', async () => {
    await refused(() => api.getSkdSkattemeldingToken(config, `${D}-1`), 'invalid_config', secrets, /orgNummer "\[secret masked\]-1"/)
    await refused(() => api.getAltinnToken({ ...config, env: ` ${P}` as never }), 'invalid_config', secrets, /env must be/)
    const env = { MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_KID: 'k', MASKINPORTEN_PRIVATE_KEY: encrypted, MASKINPORTEN_PASSPHRASE: PASSPHRASE, WENCHE_ENV: D }
    await refused(() => api.configFromEnv(env), 'invalid_config', secrets, /WENCHE_ENV must be/)
    await refused(() => api.getAltinnToken(api.configFromEnv({ ...env, WENCHE_ENV: 'test', ALTINN_URL: `310702641${D}` })), 'invalid_config', secrets, /altinnUrl is not an absolute URL/)
  })

  it('an issuer or Altinn URL holding a PEM line: refused before anything is sent, not printed by a failed request', async () => {
    await refused(() => api.getMaskinportenToken({ ...config, issuer: `https://x/${LINE}` }, 'a:b'), 'invalid_config', [LINE], /issuer looks like key material/)
    await refused(() => api.getAltinnToken({ ...config, altinnUrl: `https://x/${LINE}` }), 'invalid_config', [LINE], /altinnUrl looks like key material/)
  })
})

describe('Proxies where a key or a signer header is read', () => {
  it('keyObjectSigner with a header whose traps throw: invalid_config at once', async () => {
    await refused(() => api.keyObjectSigner(vault.privateKey, throwingProxy(vault.pkcs8) as never), 'invalid_config', pemFragments(vault.pkcs8), /keyObjectSigner header/)
    assert.deepEqual(Object.keys(api.keyObjectSigner(vault.privateKey, { kid: 'k' })).sort(), ['kid', 'sign'])
  })

  it('privateKey given as a Proxy, alone or beside a certificate: jwt_sign_failed, its trap’s text not kept', async () => {
    await refused(() => api.getAltinnToken({ clientId: 'c', kid: 'k', privateKey: throwingProxy(vault.pkcs8) as never, env: 'test' }), 'jwt_sign_failed', pemFragments(vault.pkcs8), /could not be read/)
    await refused(() => api.getAltinnToken({ clientId: 'c', certificate: CHAIN, privateKey: throwingProxy(vault.pkcs8) as never, env: 'test' }), 'jwt_sign_failed', pemFragments(vault.pkcs8), /could not be read/)
  })
})
