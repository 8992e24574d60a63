/**
 * Every rejection rule of docs/protocol.md §3–§4, one bad grant (or request) each: status, `error`, MP code, the start of
 * `error_description` and its trace id.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { constants, createHmac, createPublicKey, randomBytes, randomUUID, sign } from 'node:crypto'
import { generateSigningKey } from '../../src/signing/keys.js'
import {
  CUSTOMER_ORG,
  DELEGATING_ORG,
  OTHER_ORG,
  TEST_CERT_B64,
  VENDOR_ORG,
  grant,
  postToken,
  requestToken,
  signGrant,
  startFixture,
  wencheClaims,
  assertRejected,
  type Fixture,
  type RejectionExpected,
} from './fixtures.js'

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const AUTH = 'Invalid assertion. Client authentication failed.'

/** A bad request: either a grant (sent as Maskinporten expects) or a whole form / raw body. */
interface Case extends RejectionExpected {
  name: string
  make: (f: Fixture) => string | { form: Record<string, string> | string; contentType?: string }
}

const now = () => Math.floor(Date.now() / 1000)
/** `iat` and `exp` from one reading of the clock, so that a second boundary cannot fall between them. */
const lifetime = (seconds: number) => {
  const iat = now()
  return { iat, exp: iat + seconds }
}
const su = (entry: Record<string, unknown>) => [{ type: 'urn:altinn:systemuser', ...entry }]
const org = (id: string) => ({ authority: 'iso6523-actorid-upis', ID: id })
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

function hs256(f: Fixture): string {
  // The classic alg confusion: HMAC keyed with the client's public key.
  const secret = createPublicKey(f.key).export({ format: 'pem', type: 'spki' })
  const input = `${b64({ alg: 'HS256', kid: f.kid })}.${b64(wencheClaims(f))}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

function ps256(f: Fixture): string {
  const input = `${b64({ alg: 'PS256', kid: f.kid })}.${b64(wencheClaims(f))}`
  const sig = sign('sha256', Buffer.from(input), { key: f.key, padding: constants.RSA_PKCS1_PSS_PADDING })
  return `${input}.${sig.toString('base64url')}`
}

function tampered(f: Fixture): string {
  const [h, , s] = grant(f).split('.')
  return `${h}.${b64(wencheClaims(f, { scope: 'altinn:instances.write' }))}.${s}`
}

const invalidRequest = (mp = '011') => ({ error: 'invalid_request', mp })

const CASES: Case[] = [
  // The request itself.
  { name: 'wrong grant_type', make: (f) => ({ form: { grant_type: 'client_credentials', assertion: grant(f) } }), ...invalidRequest(), starts: 'Invalid request. Unsupported grant_type' },
  { name: 'no grant_type', make: (f) => ({ form: { assertion: grant(f) } }), ...invalidRequest(), starts: 'Invalid request. Unsupported grant_type' },
  { name: 'missing assertion', make: () => ({ form: { grant_type: JWT_BEARER } }), ...invalidRequest(), starts: 'Invalid request. Missing assertion' },
  { name: 'empty assertion', make: () => ({ form: { grant_type: JWT_BEARER, assertion: '' } }), ...invalidRequest(), starts: 'Invalid request. Missing assertion' },
  { name: 'JSON body', make: (f) => ({ form: JSON.stringify({ grant_type: JWT_BEARER, assertion: grant(f) }), contentType: 'application/json' }), ...invalidRequest(), starts: 'Invalid request. Content-Type must be' },
  { name: 'no content type', make: (f) => ({ form: `grant_type=${JWT_BEARER}&assertion=${grant(f)}`, contentType: '' }), ...invalidRequest(), starts: 'Invalid request. Content-Type must be' },
  { name: 'repeated assertion', make: (f) => ({ form: `grant_type=${JWT_BEARER}&assertion=${grant(f)}&assertion=${grant(f)}` }), ...invalidRequest(), starts: 'Invalid request. Repeated parameter' },
  // Format.
  { name: 'not a JWT', make: () => 'not-a-jwt', error: 'invalid_grant', mp: '124', starts: `${AUTH} Invalid JWT` },
  { name: 'two parts', make: (f) => grant(f).split('.').slice(0, 2).join('.'), error: 'invalid_grant', mp: '124', starts: `${AUTH} Invalid JWT` },
  { name: 'header not JSON', make: (f) => `${Buffer.from('{alg:').toString('base64url')}.${grant(f).split('.').slice(1).join('.')}`, error: 'invalid_grant', mp: '124', starts: `${AUTH} Invalid JWT` },
  { name: 'payload a JSON array', make: (f) => signGrant(f.key, { alg: 'RS256', kid: f.kid }, [1, 2] as never), error: 'invalid_grant', mp: '124', starts: `${AUTH} Invalid JWT` },
  { name: 'crit header', make: (f) => grant(f, {}, { crit: ['exp'] }), error: 'invalid_grant', mp: '124', starts: `${AUTH} Invalid JWT` },
  { name: 'typ not JWT', make: (f) => grant(f, {}, { typ: 'at+jwt' }), error: 'invalid_grant', mp: '124', starts: `${AUTH} Invalid JWT` },
  // Header alg.
  { name: 'alg none', make: (f) => `${b64({ alg: 'none', kid: f.kid })}.${b64(wencheClaims(f))}.`, error: 'invalid_grant', mp: '124', starts: `${AUTH} Invalid JWT signature` },
  { name: 'alg HS256 keyed with the public key', make: hs256, error: 'invalid_grant', mp: '124', starts: `${AUTH} Invalid JWT signature` },
  { name: 'alg PS256 (a real signature by the registered key)', make: ps256, error: 'invalid_grant', mp: '124', starts: `${AUTH} Invalid JWT signature` },
  { name: 'alg ES256', make: (f) => signGrant(f.key, { alg: 'ES256', kid: f.kid }, wencheClaims(f), 'RS256'), error: 'invalid_grant', mp: '124', starts: `${AUTH} Invalid JWT signature` },
  { name: 'alg missing', make: (f) => signGrant(f.key, { kid: f.kid }, wencheClaims(f), 'RS256'), error: 'invalid_grant', mp: '124', starts: `${AUTH} Invalid JWT signature` },
  // Client.
  { name: 'unknown iss', make: (f) => grant(f, { iss: randomUUID(), sub: undefined }), error: 'invalid_grant', mp: '100', starts: AUTH },
  { name: 'missing iss', make: (f) => grant(f, { iss: undefined, sub: undefined }), error: 'invalid_grant', mp: '100', starts: AUTH },
  // Key.
  { name: 'unknown kid', make: (f) => grant(f, {}, { kid: 'not-registered' }), error: 'invalid_grant', mp: '120', starts: `${AUTH} Unknown key identifier (kid) for client` },
  { name: 'kid of another type', make: (f) => grant(f, {}, { kid: 42 }), error: 'invalid_grant', mp: '120', starts: `${AUTH} Unknown key identifier (kid) for client` },
  { name: 'neither kid nor x5c', make: (f) => signGrant(f.key, { alg: 'RS256' }, wencheClaims(f)), error: 'invalid_grant', mp: '120', starts: `${AUTH} Invalid JWT. The client requires pre-registered jwk and no key identifier (kid) provided` },
  { name: 'x5c only, well-formed', make: (f) => signGrant(f.key, { alg: 'RS256', x5c: [TEST_CERT_B64] }, wencheClaims(f)), error: 'invalid_grant', mp: '120', starts: `${AUTH} The JWT is signed with an invalid certificate.` },
  { name: 'x5c a bare string', make: (f) => signGrant(f.key, { alg: 'RS256', x5c: TEST_CERT_B64 }, wencheClaims(f)), error: 'invalid_grant', mp: '123', starts: `${AUTH} Invalid JWT header x5c` },
  { name: 'x5c not a certificate', make: (f) => signGrant(f.key, { alg: 'RS256', x5c: [randomBytes(64).toString('base64')] }, wencheClaims(f)), error: 'invalid_grant', mp: '123', starts: `${AUTH} Invalid JWT header x5c` },
  { name: 'x5c base64url instead of base64', make: (f) => signGrant(f.key, { alg: 'RS256', x5c: ['-_-_'] }, wencheClaims(f)), error: 'invalid_grant', mp: '123', starts: `${AUTH} Invalid JWT header x5c` },
  { name: 'x5c empty array, with kid', make: (f) => grant(f, {}, { x5c: [] }), error: 'invalid_grant', mp: '123', starts: `${AUTH} Invalid JWT header x5c` },
  { name: 'expired key', make: (f) => expiredKeyGrant(f), error: 'invalid_grant', mp: '121', starts: `${AUTH} Expired key` },
  // Signature.
  { name: 'signed by another key', make: (f) => grant(f, {}, {}, f.strangerKey), error: 'invalid_grant', mp: '124', starts: `${AUTH} Invalid JWT signature` },
  { name: 'claims changed after signing', make: tampered, error: 'invalid_grant', mp: '124', starts: `${AUTH} Invalid JWT signature` },
  { name: 'RS384 header, RS256 signature', make: (f) => signGrant(f.key, { alg: 'RS384', kid: f.kid }, wencheClaims(f), 'RS256'), error: 'invalid_grant', mp: '124', starts: `${AUTH} Invalid JWT signature` },
  // Audience.
  { name: 'aud is the token endpoint', make: (f) => grant(f, { aud: `${f.emu.issuer}token` }), error: 'invalid_grant', mp: '110', starts: `${AUTH} Invalid JWT claim aud` },
  { name: 'aud without the trailing slash', make: (f) => grant(f, { aud: f.emu.url }), error: 'invalid_grant', mp: '110', starts: `${AUTH} Invalid JWT claim aud` },
  { name: 'aud an array', make: (f) => grant(f, { aud: [f.emu.issuer] }), error: 'invalid_grant', mp: '110', starts: `${AUTH} Invalid JWT claim aud` },
  { name: 'aud missing', make: (f) => grant(f, { aud: undefined }), error: 'invalid_grant', mp: '110', starts: `${AUTH} Invalid JWT claim aud` },
  { name: 'aud of production', make: (f) => grant(f, { aud: 'https://maskinporten.no/' }), error: 'invalid_grant', mp: '110', starts: `${AUTH} Invalid JWT claim aud` },
  // Time.
  { name: 'exp - iat = 121', make: (f) => grant(f, lifetime(121)), error: 'invalid_grant', mp: '130', starts: `${AUTH} JWT is expired` },
  { name: 'expired', make: (f) => grant(f, { iat: now() - 5, exp: now() - 1 }), error: 'invalid_grant', mp: '130', starts: `${AUTH} JWT is expired` },
  { name: 'iat a minute ahead', make: (f) => grant(f, { iat: now() + 60, exp: now() + 120 }), error: 'invalid_grant', mp: '130', starts: `${AUTH} Issue time is after now` },
  { name: 'iat 30 s old, exp ahead', make: (f) => grant(f, { iat: now() - 30, exp: now() + 60 }), error: 'invalid_grant', mp: '130', starts: `${AUTH} JWT is expired` },
  { name: 'exp missing', make: (f) => grant(f, { exp: undefined }), error: 'invalid_grant', mp: '130', starts: `${AUTH} JWT is expired` },
  { name: 'iat missing', make: (f) => grant(f, { iat: undefined }), error: 'invalid_grant', mp: '130', starts: `${AUTH} JWT is expired` },
  { name: 'exp a string', make: (f) => grant(f, { exp: String(now() + 100) }), error: 'invalid_grant', mp: '130', starts: `${AUTH} JWT is expired` },
  { name: 'nbf a minute ahead', make: (f) => grant(f, { nbf: now() + 60 }), error: 'invalid_grant', mp: '130', starts: `${AUTH} JWT is not yet valid` },
  // Claim set and values.
  { name: 'undocumented claim', make: (f) => grant(f, { foo: 'bar' }), error: 'invalid_grant', mp: '011', starts: 'Invalid assertion. Invalid parameter value' },
  { name: 'iss_onbehalfof not a string', make: (f) => grant(f, { iss_onbehalfof: 42 }), error: 'invalid_grant', mp: '011', starts: 'Invalid assertion. Invalid parameter value' },
  { name: 'sub not the client id', make: (f) => grant(f, { sub: 'someone-else' }), error: 'invalid_grant', mp: '011', starts: 'Invalid assertion. Invalid parameter value' },
  { name: 'jti a number', make: (f) => grant(f, { jti: 7 }), error: 'invalid_grant', mp: '011', starts: 'Invalid assertion. Invalid parameter value' },
  { name: 'scope an array', make: (f) => grant(f, { scope: ['altinn:instances.read'] }), error: 'invalid_grant', mp: '011', starts: 'Invalid assertion. Invalid parameter value' },
  { name: 'pid of ten digits', make: (f) => grant(f, { pid: '0101901234' }), error: 'invalid_grant', mp: '011', starts: 'Invalid assertion. Invalid parameter value' },
  { name: 'resource not a URI', make: (f) => grant(f, { resource: ['not a uri'] }), error: 'invalid_target', mp: '011', starts: 'Invalid resource. It must be an absolute URI without a fragment.' },
  { name: 'resource an empty array', make: (f) => grant(f, { resource: [] }), error: 'invalid_grant', mp: '011', starts: 'Invalid assertion. Invalid parameter value' },
  { name: 'consumer_org with the 0192: prefix', make: (f) => grant(f, { consumer_org: `0192:${DELEGATING_ORG}` }), error: 'invalid_grant', mp: '011', starts: 'Invalid assertion. Invalid parameter value' },
  { name: 'consumer_org failing mod 11', make: (f) => grant(f, { consumer_org: '999888777' }), error: 'invalid_grant', mp: '011', starts: 'Invalid assertion. Invalid parameter value' },
  { name: 'consumer_org with a system user', make: (f) => grant(f, { consumer_org: DELEGATING_ORG, authorization_details: su({ systemuser_org: org(`0192:${CUSTOMER_ORG}`) }) }), error: 'invalid_grant', mp: '011', starts: 'Invalid assertion. Invalid parameter value' },
  // Scopes.
  { name: 'scope empty', make: (f) => grant(f, { scope: ' ' }), error: 'invalid_scope', mp: '200', starts: 'Token request contains no scopes' },
  { name: 'scope missing', make: (f) => grant(f, { scope: undefined }), error: 'invalid_scope', mp: '200', starts: 'Token request contains no scopes' },
  { name: 'scope not registered', make: (f) => grant(f, { scope: 'altinn:instances.read altinn:serviceowner' }), error: 'invalid_scope', mp: '200', starts: 'Token request contains invalid scopes for client, altinn:serviceowner' },
  { name: 'scope for user login only', make: (f) => grant(f, { scope: 'openid altinn:instances.read' }), error: 'invalid_scope', mp: '201', starts: 'Token request contains scopes not allowed for maskinporten' },
  // authorization_details.
  { name: 'details an object, not an array', make: (f) => grant(f, { authorization_details: su({ systemuser_org: org(`0192:${CUSTOMER_ORG}`) })[0] }), error: 'invalid_request', mp: '302', starts: 'Invalid authorization details' },
  { name: 'details empty', make: (f) => grant(f, { authorization_details: [] }), error: 'invalid_request', mp: '302', starts: 'Invalid authorization details' },
  { name: 'details of two customers', make: (f) => grant(f, { authorization_details: [...su({ systemuser_org: org(`0192:${CUSTOMER_ORG}`) }), ...su({ systemuser_org: org(`0192:${OTHER_ORG}`) })] }), error: 'invalid_request', mp: '302', starts: 'Invalid authorization details' },
  { name: 'details type unknown', make: (f) => grant(f, { authorization_details: [{ type: 'urn:altinn:other', systemuser_org: org(`0192:${CUSTOMER_ORG}`) }] }), error: 'invalid_request', mp: '301', starts: 'Unknown authorization details type' },
  { name: 'consent entry without id and from', make: (f) => grant(f, { authorization_details: [{ type: 'urn:altinn:consent' }] }), error: 'invalid_request', mp: '302', starts: 'Invalid authorization details' },
  { name: 'details with an unknown field', make: (f) => grant(f, { authorization_details: su({ systemuser_org: org(`0192:${CUSTOMER_ORG}`), reportee: 'x' }) }), error: 'invalid_request', mp: '302', starts: 'Unknown fields in the authorization details' },
  { name: 'systemuser_org with lower-case id', make: (f) => grant(f, { authorization_details: su({ systemuser_org: { authority: 'iso6523-actorid-upis', id: `0192:${CUSTOMER_ORG}` } }) }), error: 'invalid_request', mp: '302', starts: 'Unknown fields in the authorization details' },
  { name: 'systemuser_org without 0192:', make: (f) => grant(f, { authorization_details: su({ systemuser_org: org(CUSTOMER_ORG) }) }), error: 'invalid_request', mp: '302', starts: 'Invalid authorization details' },
  { name: 'systemuser_org failing mod 11', make: (f) => grant(f, { authorization_details: su({ systemuser_org: org('0192:123456789') }) }), error: 'invalid_request', mp: '302', starts: 'Invalid authorization details' },
  { name: 'systemuser_org of another authority', make: (f) => grant(f, { authorization_details: su({ systemuser_org: { authority: 'x', ID: `0192:${CUSTOMER_ORG}` } }) }), error: 'invalid_request', mp: '302', starts: 'Invalid authorization details' },
  { name: 'no system user for the org', make: (f) => grant(f, { authorization_details: su({ systemuser_org: org(`0192:${DELEGATING_ORG}`) }) }), error: 'invalid_altinn_customer_configuration', mp: '303', starts: 'Invalid authorization details values' },
  { name: 'externalRef missing for a system user made with one', make: (f) => grant(f, { authorization_details: su({ systemuser_org: org(`0192:${OTHER_ORG}`) }) }), error: 'invalid_altinn_customer_configuration', mp: '303', starts: 'Invalid authorization details values' },
  { name: 'externalRef wrong', make: (f) => grant(f, { authorization_details: su({ systemuser_org: org(`0192:${OTHER_ORG}`), externalRef: 'kunde-43' }) }), error: 'invalid_altinn_customer_configuration', mp: '303', starts: 'Invalid authorization details values' },
  { name: 'externalRef for a system user made without one', make: (f) => grant(f, { authorization_details: su({ systemuser_org: org(`0192:${CUSTOMER_ORG}`), externalRef: 'x' }) }), error: 'invalid_altinn_customer_configuration', mp: '303', starts: 'Invalid authorization details values' },
  // Delegation.
  { name: 'consumer_org that delegated nothing', make: (f) => grant(f, { consumer_org: CUSTOMER_ORG, scope: 'altinn:instances.read' }), error: 'forbidden', mp: '251', starts: `Consumer ${CUSTOMER_ORG} has not delegated access to the scope altinn:instances.read to supplier ${VENDOR_ORG}` },
  { name: 'consumer_org that delegated only some scopes', make: (f) => grant(f, { consumer_org: DELEGATING_ORG }), error: 'forbidden', mp: '251', starts: `Consumer ${DELEGATING_ORG} has not delegated access to the scope altinn:instances.write to supplier ${VENDOR_ORG}` },
]

let expiredKeyGrant: (f: Fixture) => string

describe('emulator: invalid grants', () => {
  let f: Fixture
  before(async () => {
    f = await startFixture()
    const old = await generateSigningKey()
    const clientId = randomUUID()
    // A key registered 13 months ago: Maskinporten keys live one year.
    f.emu.registerClient({
      clientId,
      orgNummer: VENDOR_ORG,
      jwks: { keys: [{ ...old.publicJwk, exp: now() - 30 * 86_400 }] },
      scopes: ['altinn:instances.read'],
    })
    expiredKeyGrant = (fx) =>
      signGrant(old.privateKey, { alg: 'RS256', kid: old.kid }, wencheClaims(fx, { iss: clientId, sub: clientId, scope: 'altinn:instances.read' }))
  })
  after(() => f.emu.close())

  it('has at least 30 cases, each a distinct name', () => {
    assert.ok(CASES.length >= 30)
    assert.equal(new Set(CASES.map((c) => c.name)).size, CASES.length)
  })

  for (const c of CASES) {
    it(`refuses: ${c.name}`, async () => {
      const made = c.make(f)
      const answer =
        typeof made === 'string'
          ? await requestToken(f.emu, made)
          : await postToken(f.emu, made.form, made.contentType ?? 'application/x-www-form-urlencoded')
      assertRejected(answer, f.emu.issuer, c)
      assert.equal(answer.headers.get('cache-control'), 'no-store')
    })
  }

  it('refuses a grant used before (MP-012), by jti', async () => {
    const once = grant(f)
    assert.equal((await requestToken(f.emu, once)).status, 200)
    assertRejected(await requestToken(f.emu, once), f.emu.issuer, { error: 'invalid_grant', mp: '012', starts: 'Grant is used before' })
  })

  it('refuses a grant used before (MP-012), without jti', async () => {
    const once = grant(f, { jti: undefined })
    assert.equal((await requestToken(f.emu, once)).status, 200)
    assertRejected(await requestToken(f.emu, once), f.emu.issuer, { error: 'invalid_grant', mp: '012', starts: 'Grant is used before' })
  })

  it('refuses a reused jti in a fresh grant', async () => {
    const jti = randomUUID()
    assert.equal((await requestToken(f.emu, grant(f, { jti }))).status, 200)
    assertRejected(await requestToken(f.emu, grant(f, { jti, scope: 'altinn:instances.read' })), f.emu.issuer, {
      error: 'invalid_grant',
      mp: '012',
      starts: 'Grant is used before',
    })
  })

  it('never echoes the grant in its answer', async () => {
    const bad = grant(f, { aud: 'https://maskinporten.no/' })
    const answer = await requestToken(f.emu, bad)
    assert.ok(!answer.text.includes(bad.split('.')[1]!))
    assert.ok(!answer.text.includes('eyJ'))
  })
})
