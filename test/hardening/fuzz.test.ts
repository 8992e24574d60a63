// Property-based: hostile values in every config field, option and argument of the public API. Each call ends in a
// MaskinportenError with a known code (or, for a pure helper given a value it may take, a plain answer), and no
// key, passphrase or token fragment shows in its message, stack, cause, JSON.stringify or util.inspect.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import fc from 'fast-check'
import * as api from '../../src/index.js'
import { testKey } from '../support/fixtures.js'
import { boxing, echoingFetch, fromFragments, fuzz, pemFragments, PROXY, refusingFetch, RUNS, SEED, type Target } from './fuzz-kit.js'

const key = testKey()
const PEM = key.pkcs8
const PASSPHRASE = 'correct-horse-battery-staple-7531'
const ENCRYPTED = key.privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: PASSPHRASE }) as string
const JWK = key.privateKey.export({ format: 'jwk' }) as Record<string, string>
const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url')
const TOKEN = `${part({ alg: 'RS256' })}.${part({ scope: 'fuzz', secret: 'token-body-fuzz' })}.c2lnLWZ1eno`

/** Distinctive pieces of every secret in play: none may show in any face of an error. */
const FRAGMENTS = [
  ...[PEM, ENCRYPTED].flatMap(pemFragments),
  JWK.d!.slice(10, 40),
  JWK.p!.slice(10, 40),
  PASSPHRASE,
  TOKEN.split('.')[1]!,
]

/** Values a careless user or a hostile caller may pass anywhere. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    PEM,
    ENCRYPTED,
    PEM.replace(/\n/g, '\\n'),
    JSON.stringify(JWK),
    JWK,
    { ...JWK, kty: PEM },
    PASSPHRASE,
    TOKEN,
    `Bearer ${TOKEN}`,
    `http://user:${PASSPHRASE}@127.0.0.1:9/`,
    `https://x/${PEM}`,
    null,
    undefined,
    '',
    ' ',
    '\u0000',
    'a\nb',
    10n,
    -1n,
    Symbol('s'),
    Object.create(null),
    Object.assign(Object.create(null), { kty: PEM }),
    { toString: () => PEM, valueOf: () => PEM },
    { toJSON: () => PEM },
    [PEM],
    [1, 2, 3],
    [],
    true,
    false,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    -0,
    -1,
    0,
    1.5,
    2 ** 31,
    Number.MAX_VALUE,
    () => PEM,
    async () => {
      throw new Error(PEM)
    },
    new Date(Number.NaN),
    /x/,
    PROXY,
    'x'.repeat(1024 * 1024),
    new Uint8Array([1, 2, 3]),
    Buffer.from(PEM),
  ),
  // Values built from the secrets in play: none may be quoted back, whatever field they land in.
  fc.constantFrom(...fromFragments(FRAGMENTS)),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.double(),
  fc.bigInt(),
  fc.integer(),
  fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 8 }), fc.constant(PEM)), { maxKeys: 3 }),
)

const boxed = boxing(hostile, FRAGMENTS, PEM)

// An encrypted key and its passphrase in every config, so that the passphrase is always in play.
const base = (fetch = echoingFetch): api.MaskinportenConfig => ({ clientId: 'fuzz-client', kid: 'fuzz-kid', privateKeyPem: ENCRYPTED, passphrase: PASSPHRASE, env: 'test', fetch, timeoutMs: 1000 })
const quick = { retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 } } as const

async function withClient<T>(config: api.MaskinportenConfig, options: api.MaskinportenClientOptions, use: (c: api.MaskinportenClient) => Promise<T>): Promise<T> {
  const client = new api.MaskinportenClient(config, options)
  try {
    return await use(client)
  } finally {
    client.close()
  }
}

const V = (v: unknown): never => v as never

const CONFIG_FIELDS = ['clientId', 'kid', 'env', 'issuer', 'altinnUrl', 'fetch', 'timeoutMs', 'privateKeyPem', 'privateKey', 'passphrase'] as const
const CLIENT_OPTIONS = ['store', 'maxEntries', 'marginMs', 'refreshAhead', 'retry', 'now', 'clockOffsetMs', 'onEvent', 'storeTimeoutMs'] as const
const RETRY_FIELDS = ['deadlineMs', 'baseDelayMs', 'maxDelayMs', 'maxRetryAfterMs', 'maxAttempts'] as const
const REQUEST_FIELDS = ['scope', 'orgNummer', 'externalRef', 'resource', 'consumerOrg', 'forceRefresh'] as const
const ENV_VARS = ['MASKINPORTEN_CLIENT_ID', 'MASKINPORTEN_KID', 'MASKINPORTEN_PRIVATE_KEY', 'MASKINPORTEN_CLIENT_JWK', 'MASKINPORTEN_PRIVAT_NOKKEL', 'MASKINPORTEN_PASSPHRASE', 'WENCHE_ENV', 'MASKINPORTEN_ISSUER', 'ALTINN_URL']

const targets: Target[] = [
  ...CONFIG_FIELDS.map((f): Target => [`config.${f}`, (v) => withClient({ ...base(), ...(f === 'privateKey' ? { privateKeyPem: undefined } : {}), [f]: v }, quick, (c) => c.getToken())]),
  ...CONFIG_FIELDS.map((f): Target => [`flow config.${f}`, (v) => api.getAltinnToken({ ...base(), ...(f === 'privateKey' ? { privateKeyPem: undefined } : {}), [f]: v })]),
  ['config', (v) => withClient(V(v), quick, (c) => c.getToken())],
  // Options that may be valid leave the retry policy at its default: the server refuses, so nothing is retried.
  ['client options', (v) => withClient(base(refusingFetch), V(v), (c) => c.getToken())],
  ...CLIENT_OPTIONS.map((f): Target => [`options.${f}`, (v) => withClient(base(refusingFetch), { ...quick, [f]: v }, (c) => c.altinnToken())]),
  ...RETRY_FIELDS.map((f): Target => [`retry.${f}`, (v) => withClient(base(f === 'maxAttempts' ? refusingFetch : echoingFetch), { retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, deadlineMs: 200, [f]: v } }, (c) => c.getToken())]),
  ...REQUEST_FIELDS.map((f): Target => [`getToken.${f}`, (v) => withClient(base(), quick, (c) => c.getToken({ [f]: v }))]),
  ...REQUEST_FIELDS.map((f): Target => [`altinnTokenResult.${f}`, (v) => withClient(base(), quick, (c) => c.altinnTokenResult({ [f]: v }))]),
  ['getToken(options)', (v) => withClient(base(), quick, (c) => c.getToken(V(v)))],
  ['altinnToken(options)', (v) => withClient(base(), quick, (c) => c.altinnToken(V(v)))],
  ['systemuserToken(org)', (v) => withClient(base(), quick, (c) => c.systemuserToken(V(v)))],
  ['systemuserToken(org, options)', (v) => withClient(base(), quick, (c) => c.systemuserToken('310702641', V(v)))],
  ['skdAksjonaerToken', (v) => withClient(base(), quick, (c) => c.skdAksjonaerToken(V(v)))],
  ['skdSkattemeldingToken', (v) => withClient(base(), quick, (c) => c.skdSkattemeldingToken(V(v)))],
  ['getMaskinportenToken(scope)', (v) => api.getMaskinportenToken(base(), V(v))],
  ['getMaskinportenToken(opts)', (v) => api.getMaskinportenToken(base(), 'a:b', V(v))],
  ...['orgNummer', 'externalRef', 'resource', 'consumerOrg', 'signal'].map((f): Target => [`getMaskinportenToken opts.${f}`, (v) => api.getMaskinportenToken(base(), 'a:b', { [f]: v })]),
  ['getAltinnToken(scope)', (v) => api.getAltinnToken(base(), V(v))],
  ['getSystemuserToken(org)', (v) => api.getSystemuserToken(base(), V(v))],
  ['getSystemuserToken(opts)', (v) => api.getSystemuserToken(base(), '310702641', V(v))],
  ['getAdminToken(config)', (v) => api.getAdminToken(V(v))],
  ['getSkdAksjonaerToken(org)', (v) => api.getSkdAksjonaerToken(base(), V(v))],
  ['getSkdSkattemeldingToken(org)', (v) => api.getSkdSkattemeldingToken(base(), V(v))],
  ['buildJwtGrant(config)', (v) => api.buildJwtGrant(V(v), 'a:b'), true],
  ['buildJwtGrant(scope)', (v) => api.buildJwtGrant(base(), V(v)), true],
  ['configFromEnv(env)', (v) => api.configFromEnv(V(v)), true],
  ...ENV_VARS.map((name): Target => [`configFromEnv ${name}`, (v) => withClient(api.configFromEnv({ MASKINPORTEN_CLIENT_ID: 'c', MASKINPORTEN_KID: 'k', MASKINPORTEN_PRIVATE_KEY: ENCRYPTED, MASKINPORTEN_PASSPHRASE: PASSPHRASE, [name]: V(v) }), quick, (c) => c.getToken())]),
  ['decodeToken', (v) => api.decodeToken(V(v)), true],
  ['MemoryTokenStore', (v) => new api.MemoryTokenStore(V(v)), true],
  // Never a valid size: making an RSA key is the one slow thing here, and not what is tested.
  ['generateSigningKey(options)', (v) => api.generateSigningKey(v === undefined || (typeof v === 'object' && v !== null) ? { bits: 1 } : V(v)), true],
  ['generateSigningKey bits', (v) => api.generateSigningKey({ bits: v === undefined || (typeof v === 'number' && v >= 2048 && v <= 8192) ? 1 : V(v) }), true],
  ['generateSigningKey kid', (v) => api.generateSigningKey({ bits: 1, kid: V(v) }), true],
  ['publicJwk(key)', (v) => api.publicJwk(V(v)), true],
  ['publicJwk(kid)', (v) => api.publicJwk(key.privateKey, V(v)), true],
  ['jwkThumbprint', (v) => api.jwkThumbprint(V(v)), true],
  ['isValidOrgNummer', (v) => api.isValidOrgNummer(V(v)), true],
]

test(`fuzz: ${RUNS} hostile values across ${targets.length} entry points end in a MaskinportenError that leaks nothing (seed ${SEED})`, async () => {
  const { errors, codes } = await fuzz(targets, boxed, FRAGMENTS, RUNS)
  assert.ok(errors >= 2000 * (RUNS / 2400), `only ${errors} of ${RUNS} ended in a MaskinportenError`)
  assert.ok((codes.get('invalid_config') ?? 0) > 500 * (RUNS / 2400), inspect(codes))
})
