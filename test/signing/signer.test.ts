/**
 * The async signer: the same grant bytes as a key in the process, one sign per fetch through the client's cache and
 * single flight, and each way a signer can fail (hang, throw, garbage, another key) a clear jwt_sign_failed with
 * nothing sent (counted at the emulator).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { startEmulator, type Emulator } from '../../src/emulator/index.js'
import { resolveConfig, type MaskinportenConfig } from '../../src/config/config.js'
import { buildJwtGrant, createGrant, grantParams } from '../../src/signing/grant.js'
import { keyObjectSigner, type GrantSigner } from '../../src/signing/signer.js'
import { publicJwk } from '../../src/signing/keys.js'
import { getMaskinportenToken } from '../../src/flows.js'
import { MaskinportenClient } from '../../src/client/client.js'
import { isMaskinportenError } from '../../src/errors/errors.js'
import { assertNoSecrets, keyFragments } from '../support/fixtures.js'

const CLIENT = 'signer-client'
const KID = 'vault-key-1'
const SCOPE = 'altinn:instances.read'

let emu: Emulator
let key: KeyObject
let other: KeyObject
let pem: string

before(async () => {
  ;({ privateKey: key } = generateKeyPairSync('rsa', { modulusLength: 2048 }))
  ;({ privateKey: other } = generateKeyPairSync('rsa', { modulusLength: 2048 }))
  pem = key.export({ format: 'pem', type: 'pkcs8' }) as string
  emu = await startEmulator({
    clients: [{ clientId: CLIENT, orgNummer: '991825827', jwks: { keys: [publicJwk(key, KID)] }, scopes: [SCOPE] }],
  })
})

after(() => emu?.close())

function config(signer: GrantSigner, extra: Partial<MaskinportenConfig> = {}): MaskinportenConfig {
  return { clientId: CLIENT, kid: KID, signer, issuer: emu.issuer, ...extra }
}

/** A signer over `signingKey` that counts its calls. */
function counting(signingKey: KeyObject = key): GrantSigner & { calls: number } {
  const inner = keyObjectSigner(signingKey)
  const signer = { calls: 0, sign: (data: Uint8Array) => (signer.calls++, inner.sign(data)) }
  return signer
}

const requests = () => emu.stats().token.requests

/** Asserts a local jwt_sign_failed matching `message`, and that nothing reached the emulator. */
async function refusedLocally(run: () => Promise<unknown>, message: RegExp): Promise<void> {
  const before = requests()
  await assert.rejects(run(), (err: unknown) => {
    assert.ok(isMaskinportenError(err), String(err))
    assert.equal(err.code, 'jwt_sign_failed')
    assert.match(err.message, message)
    assertNoSecrets([err.message, JSON.stringify(err), String(err.cause)], keyFragments(pem))
    return true
  })
  assert.equal(requests(), before, 'nothing may be sent')
}

describe('a signer instead of a key', () => {
  it('signs exactly the grant a key in the process signs (same header, claims and signature bytes)', async () => {
    const params = grantParams(SCOPE, { orgNummer: '310702641' })
    const now = Date.now()
    const withKey = createGrant(resolveConfig({ clientId: CLIENT, kid: KID, privateKeyPem: pem, issuer: emu.issuer }), params, now, 'jti-1')
    const withSigner = await createGrant(resolveConfig(config(keyObjectSigner(key))), params, now, 'jti-1')
    assert.equal(typeof withKey, 'string')
    assert.equal(withSigner, withKey)
    assert.deepEqual(JSON.parse(Buffer.from(withSigner.split('.')[0]!, 'base64url').toString()), { alg: 'RS256', kid: KID })
  })

  it('gets a token through the functional API and buildJwtGrant, the signer’s own kid used', async () => {
    const signer = { ...keyObjectSigner(key), kid: KID }
    const token = await getMaskinportenToken({ clientId: CLIENT, signer, issuer: emu.issuer, publicKey: publicJwk(key, KID) }, SCOPE)
    assert.equal(token.scope, SCOPE)
    assert.match(await buildJwtGrant({ clientId: CLIENT, signer, issuer: emu.issuer }, SCOPE), /^eyJ/)
  })

  it('one sign per fetch: ten concurrent callers share one grant, cached calls sign nothing', async () => {
    const signer = counting()
    const client = new MaskinportenClient(config(signer))
    try {
      const before = requests()
      const tokens = await Promise.all(Array.from({ length: 10 }, () => client.getToken({ scope: SCOPE })))
      assert.equal(new Set(tokens.map((t) => t.accessToken)).size, 1)
      await client.getToken({ scope: SCOPE })
      assert.equal(signer.calls, 1)
      assert.equal(requests() - before, 1)
      await client.getToken({ scope: SCOPE, forceRefresh: true })
      assert.equal(signer.calls, 2)
    } finally {
      client.close()
    }
  })

  it('a hanging signer: jwt_sign_failed after timeoutMs, its signal aborted, nothing sent', async () => {
    let signal: AbortSignal | undefined
    const signer: GrantSigner = { sign: (_data, options) => ((signal = options?.signal), new Promise(() => {})) }
    await refusedLocally(() => getMaskinportenToken(config(signer, { timeoutMs: 150 }), SCOPE), /did not answer within 150 ms/)
    assert.equal(signal?.aborted, true)
  })

  it('in the client, a hanging signer is bounded by what is left of the retry deadline, not timeoutMs', async () => {
    const signer: GrantSigner = { sign: () => new Promise(() => {}) }
    const client = new MaskinportenClient(config(signer, { timeoutMs: 600_000 }), { retry: { deadlineMs: 200 } })
    try {
      const err = await client.getToken({ scope: SCOPE }).catch((e: unknown) => e)
      assert.ok(isMaskinportenError(err))
      assert.equal(err.code, 'jwt_sign_failed')
      const ms = Number(/within (\d+) ms/.exec(err.message)?.[1])
      assert.ok(ms > 0 && ms <= 200, err.message)
    } finally {
      client.close()
    }
  })

  it('close() stops the wait for a hanging signer at once, aborting its signal, nothing sent', async () => {
    let signal: AbortSignal | undefined
    let started!: () => void
    const signing = new Promise<void>((resolve) => (started = resolve))
    const signer: GrantSigner = { sign: (_data, options) => ((signal = options?.signal), started(), new Promise(() => {})) }
    const client = new MaskinportenClient(config(signer, { timeoutMs: 600_000 }))
    const before = requests()
    const pending = client.getToken({ scope: SCOPE }).catch((e: unknown) => e)
    await signing
    client.close()
    const err = await pending
    assert.ok(isMaskinportenError(err), String(err))
    assert.equal(signal?.aborted, true)
    assert.equal(requests(), before)
  })

  it('a throwing signer: jwt_sign_failed whose cause is scrubbed of tokens, credentials and the signed bytes', async () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2lnbmF0dXJl'
    let input = ''
    const signer: GrantSigner = {
      async sign(data) {
        input = Buffer.from(data).toString()
        throw new Error(`vault said no: https://user:hunter2secret@vault.example/keys Bearer ${jwt} for ${input}`)
      },
    }
    const before = requests()
    const err = await getMaskinportenToken(config(signer), SCOPE).catch((e: unknown) => e)
    assert.ok(isMaskinportenError(err))
    assert.equal(err.code, 'jwt_sign_failed')
    assert.match(err.message, /sign\(\) threw or rejected/)
    const cause = err.cause as Error
    assert.match(cause.message, /vault said no/)
    assert.equal(cause.stack, undefined)
    assertNoSecrets([cause.message, err.message, JSON.stringify(err)], [jwt, 'hunter2secret', input])
    assert.equal(requests(), before)
    // A synchronous throw is caught alike.
    await refusedLocally(() => getMaskinportenToken(config({ sign: () => { throw new TypeError('boom') } }), SCOPE), /threw or rejected \(TypeError\)/)
  })

  it('garbage answers: a string, too few bytes, nothing', async () => {
    const base64 = { sign: async () => 'c2lnbmF0dXJl' as unknown as Uint8Array }
    await refusedLocally(() => getMaskinportenToken(config(base64), SCOPE), /resolved to string, not the signature's bytes/)
    const short = { sign: async () => new Uint8Array(32) }
    await refusedLocally(() => getMaskinportenToken(config(short), SCOPE), /returned 32 bytes, not an RS256 signature/)
    const nothing = { sign: async () => undefined as unknown as Uint8Array }
    await refusedLocally(() => getMaskinportenToken(config(nothing), SCOPE), /resolved to undefined/)
    // Known key: the length must be that key's.
    const wrongLength = { sign: async () => new Uint8Array(512) }
    await refusedLocally(() => getMaskinportenToken(config(wrongLength, { publicKey: createPublicKey(key) }), SCOPE), /returned 512 bytes, not an RS256 signature of 256 bytes/)
  })

  it('a signer using another key than the registered one: refused before sending when the public key is known', async () => {
    for (const publicKey of [createPublicKey(key), publicJwk(key, KID), JSON.stringify(publicJwk(key, KID)), createPublicKey(key).export({ format: 'pem', type: 'spki' }) as string]) {
      await refusedLocally(() => getMaskinportenToken(config(counting(other), { publicKey }), SCOPE), /does not verify with the public key of kid "vault-key-1"/)
    }
    // Through the client too, where the failure is not retried.
    const signer = counting(other)
    const client = new MaskinportenClient(config(signer, { publicKey: createPublicKey(key) }))
    try {
      await refusedLocally(() => client.getToken({ scope: SCOPE }), /does not verify/)
      assert.equal(signer.calls, 1)
    } finally {
      client.close()
    }
  })

  it('without a known public key, the emulator is the one to refuse another key (MP-124)', async () => {
    await assert.rejects(getMaskinportenToken(config(counting(other)), SCOPE), { code: 'maskinporten_error', mpCode: 'MP-124' })
  })

  it('checks the signer config: sign(), alg, one way to sign, a kid, a public key', () => {
    const make = (c: Partial<MaskinportenConfig>) => () => resolveConfig({ clientId: CLIENT, issuer: emu.issuer, ...c } as MaskinportenConfig)
    assert.throws(make({ kid: KID, signer: {} as GrantSigner }), { code: 'invalid_config', message: /signer must be an object with a sign/ })
    assert.throws(make({ kid: KID, signer: { alg: 'RS512' as 'RS256', sign: keyObjectSigner(key).sign } }), { code: 'invalid_config', message: /signer\.alg must be "RS256"/ })
    assert.throws(make({ kid: KID, signer: keyObjectSigner(key), privateKeyPem: pem }), { code: 'invalid_config', message: /both set/ })
    assert.throws(make({ signer: keyObjectSigner(key) }), { code: 'invalid_config', message: /kid is required/ })
    assert.throws(make({ kid: 'a', signer: { ...keyObjectSigner(key), kid: 'b' } }), { code: 'invalid_config', message: /differs from signer\.kid/ })
    assert.throws(make({ kid: KID, signer: keyObjectSigner(key), publicKey: pem }), (err: unknown) => {
      assert.ok(isMaskinportenError(err))
      assert.match(err.message, /publicKey holds a private key/)
      assertNoSecrets([err.message, JSON.stringify(err)], keyFragments(pem))
      return true
    })
    assert.throws(make({ kid: KID }), { code: 'invalid_config', message: /privateKeyPem or privateKey is required \(or a signer/ })
    // Members read once, through a guard: a throwing getter or a wrong type is invalid_config, not a TypeError.
    const hostile = { get sign(): never { throw new Error('getter') } } as unknown as GrantSigner
    assert.throws(make({ kid: KID, signer: hostile }), { code: 'invalid_config', message: /signer could not be read/ })
    assert.throws(make({ signer: { ...keyObjectSigner(key), kid: 42 as unknown as string } }), { code: 'invalid_config', message: /signer\.kid must be a string/ })
    assert.throws(make({ kid: KID, signer: null as unknown as GrantSigner }), { code: 'invalid_config', message: /signer must be an object/ })
  })
})
