// `maskinporten token` and `grant`, the built bin against the emulator.
import assert from 'node:assert/strict'
import { chmodSync, chownSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { adminScopes, defaultScopes } from '../../src/config/scopes.ts'
import { decodeToken } from '../../src/exchange/token.ts'
import { assertNoSecrets } from '../support/fixtures.ts'
import { CLIENT_ID, CUSTOMER_ORG, KID, emulatorFixture } from './emulator-setup.ts'
import { closedPort, runCli, tempDir, type CliResult } from './run-cli.ts'

const fx = emulatorFixture()
const printed: CliResult[] = []

async function run(args: string[], env: Record<string, string>, cwd = fx.dir): Promise<CliResult> {
  const result = await runCli(args, { cwd, env })
  printed.push(result)
  return result
}

/** stdout is exactly one line holding a JWT; stderr does not hold it. */
function theToken(result: CliResult): string {
  assert.equal(result.code, 0, result.stderr)
  assert.match(result.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/, 'exactly one line: the token')
  const token = result.stdout.trim()
  assert.ok(!result.stderr.includes(token.split('.')[2]!), 'the token is not on stderr')
  return token
}

test('token from each configuration source: environment, .env, NAIS JWK, inline PEM', async () => {
  const fromEnv = decodeToken(theToken(await run(['token', '--no-cache'], fx.setup.env(fx.keyFile))))
  assert.equal(fromEnv.claims.client_id, CLIENT_ID)
  assert.equal(fromEnv.claims.scope, defaultScopes())

  const { dir: project, cleanup: done } = tempDir()
  try {
    fx.setup.writeKey(project)
    const lines = Object.entries(fx.setup.env('maskinporten_privat.pem')).map(([k, v]) => `${k}=${v}`)
    writeFileSync(join(project, '.env'), `${lines.join('\n')}\n`)
    theToken(await run(['token', '--no-cache'], {}, project))
  } finally {
    done()
  }

  const nais = { MASKINPORTEN_CLIENT_JWK: fx.setup.privateJwk, MASKINPORTEN_KID: '' }
  theToken(await run(['token', '--no-cache'], { ...fx.setup.env('absent.pem'), ...nais }))

  // Secret stores often hold the PEM with literal \n.
  const inline = { MASKINPORTEN_PRIVATE_KEY: fx.setup.pem.replace(/\n/g, '\\n') }
  theToken(await run(['token', '--no-cache', '--scope', 'altinn:instances.read'], { ...fx.setup.env('absent.pem'), ...inline }))
})

test('the file cache: two runs make one request; 0700/0600; --no-cache bypasses it; logout empties it', async () => {
  const cache = join(fx.dir, 'cache-a')
  const env = fx.setup.env(fx.keyFile, { XDG_CACHE_HOME: cache })
  const before = fx.setup.emu.stats().token.requests
  const first = theToken(await run(['token', '--admin'], env))
  const second = await run(['token', '--admin'], env)
  assert.equal(theToken(second), first)
  assert.match(second.stderr, /Cached: a Maskinporten token/)
  assert.equal(fx.setup.emu.stats().token.requests, before + 1)

  const cacheDir = join(cache, 'wenche-maskinporten')
  assert.equal(statSync(cacheDir).mode & 0o777, 0o700)
  const tokens = (): string[] => readdirSync(cacheDir).filter((name) => name.startsWith('token-'))
  const files = readdirSync(cacheDir)
  assert.equal(tokens().length, 1)
  assert.match(tokens()[0]!, /^token-[0-9a-f]{64}\.json$/)
  // And the run cache's note for these arguments (test/cli/run-cache.test.ts).
  assert.equal(files.filter((name) => /^run-[0-9a-f]{64}\.json$/.test(name)).length, 1)
  for (const name of files) assert.equal(statSync(join(cacheDir, name)).mode & 0o777, 0o600)

  // A different request is a different entry.
  assert.notEqual(theToken(await run(['token'], env)), first)
  assert.equal(tokens().length, 2)
  theToken(await run(['token', '--admin', '--no-cache'], env))
  assert.equal(fx.setup.emu.stats().token.requests, before + 3)

  const logout = await run(['logout'], env)
  assert.equal(logout.code, 0)
  assert.match(logout.stderr, /Removed 2 cached tokens/)
  assert.deepEqual(readdirSync(cacheDir), [])
  theToken(await run(['token', '--admin'], env))
  assert.equal(fx.setup.emu.stats().token.requests, before + 4)
})

test('a cache directory another user owns, open to all, with a token planted under the right name: not used', {
  skip: process.getuid?.() === 0 ? false : 'needs root, to chown to another user',
}, async () => {
  const cache = join(fx.dir, 'cache-planted')
  const env = fx.setup.env(fx.keyFile, { XDG_CACHE_HOME: cache })
  theToken(await run(['token', '--admin'], env)) // the name of the file is predictable: here, learnt from a run
  const dir = join(cache, 'wenche-maskinporten')
  const file = join(dir, readdirSync(dir).find((name) => name.startsWith('token-'))!)
  const left = readdirSync(dir).sort()
  const planted = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"planted":true}').toString('base64url')}.cGxhbnRlZA`
  writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), accessToken: planted }))
  // What another user can do to a cache directory they made first: theirs, open to all, files theirs.
  chmodSync(dir, 0o777)
  chownSync(dir, 1, 1)
  chmodSync(file, 0o644)
  chownSync(file, 1, 1)
  const before = fx.setup.emu.stats().token.requests
  const r = await run(['token', '--admin'], env)
  assert.notEqual(theToken(r), planted)
  assert.equal(fx.setup.emu.stats().token.requests, before + 1, 'a real token was fetched')
  assert.match(r.stderr, /^Warning: not using the token cache: .*wenche-maskinporten is owned by another user \(uid 1\)/m)
  assert.equal(r.stderr.match(/Warning/g)?.length, 1, 'one warning')
  assert.deepEqual(readdirSync(dir).sort(), left, 'nothing written into their directory')
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).accessToken, planted)
  const logout = await run(['logout'], env)
  assert.match(logout.stderr, /not using the token cache[\s\S]*Removed 0 cached tokens/)
  assert.deepEqual(readdirSync(dir).sort(), left, 'logout leaves their directory alone')
})

test('--altinn --org: an Altinn token for the customer\'s system user; --json gives the response', async () => {
  const env = fx.setup.env(fx.keyFile, { XDG_CACHE_HOME: join(fx.dir, 'cache-b') })
  const exchanges = fx.setup.emu.stats().exchange.issued
  const altinnToken = theToken(await run(['token', '--altinn', '--org', CUSTOMER_ORG], env))
  const altinn = decodeToken(altinnToken)
  assert.equal(fx.setup.emu.stats().exchange.issued, exchanges + 1)
  assert.match(String(altinn.claims.iss), /\/authentication\/api\/v1\/openid\/$/)
  assert.match(JSON.stringify(altinn.claims.authorization_details), new RegExp(`0192:${CUSTOMER_ORG}`))
  assert.ok(altinn.expiresAt! - Date.now() > 1700_000, 'Altinn tokens live 30 minutes')
  const again = await run(['token', '--altinn', '--org', CUSTOMER_ORG], env)
  assert.equal(theToken(again), altinnToken)
  assert.match(again.stderr, /Cached: an Altinn token as the system user of 310702641, expires .*\(in 1[78]\d\d s\)/)
  assert.equal(fx.setup.emu.stats().exchange.issued, exchanges + 1, 'the Altinn token is reused from the file cache')

  const json = await run(['token', '--json', '--admin', '--no-cache'], env)
  assert.equal(json.code, 0, json.stderr)
  assert.equal(json.stdout.split('\n').length, 2, 'one line')
  const response = JSON.parse(json.stdout) as Record<string, unknown>
  assert.deepEqual(Object.keys(response).sort(), ['access_token', 'expires_at', 'expires_in', 'scope', 'token_type'])
  assert.equal(response.token_type, 'Bearer')
  assert.equal(response.scope, adminScopes())
  assert.ok((response.expires_in as number) > 100 && (response.expires_in as number) <= 119)
  assert.ok(Math.abs((response.expires_at as number) - (Date.now() / 1000 + 119)) < 5)
  // expires_in is the lifetime less one second, so expires_at may come a second before the token's exp.
  const exp = decodeToken(response.access_token as string).expiresAt! / 1000
  assert.ok(exp - (response.expires_at as number) >= 0 && exp - (response.expires_at as number) <= 2)
})

test('a 503 is retried, with a note on stderr; the progress names what is asked where', async () => {
  const env = fx.setup.env(fx.keyFile)
  const before = fx.setup.emu.stats().token.requests
  fx.setup.emu.injectFault({ endpoint: 'token', kind: 'status', status: 503, times: 1 })
  const r = await run(['token', '--no-cache', '--altinn'], env)
  theToken(r)
  assert.equal(fx.setup.emu.stats().token.requests, before + 2)
  assert.match(r.stderr, /^Asking http:\/\/\S+ for a Maskinporten token \(scope: "altinn:instances.read altinn:instances.write"\)$/m)
  assert.match(r.stderr, /^Maskinporten answered 503 on attempt 1; trying again in \d\.\d s$/m)
  assert.match(r.stderr, /^Exchanging it at http:\/\/\S+ for an Altinn token$/m)
  assert.match(r.stderr, /^Got an Altinn token, expires /m)
})

test('a 200 that is not a token: the note names what came instead ("200 without a token (text/html)")', async () => {
  const env = fx.setup.env(fx.keyFile)
  fx.setup.emu.injectFault({ endpoint: 'token', kind: 'garbage', times: 1 })
  const r = await run(['token', '--no-cache'], env)
  theToken(r)
  assert.match(r.stderr, /^Maskinporten answered 200 without a token \(text\/html\) on attempt 1; trying again in \d\.\d s$/m)
})

test('4 resets on the token endpoint with --altinn: at most 4 Maskinporten requests in all, each note naming Maskinporten', async () => {
  const env = fx.setup.env(fx.keyFile)
  const tokenBefore = fx.setup.emu.stats().token.requests
  const exchangeBefore = fx.setup.emu.stats().exchange.requests
  fx.setup.emu.injectFault({ endpoint: 'token', kind: 'reset', times: 4 })
  const r = await run(['token', '--no-cache', '--altinn'], env)
  assert.equal(r.code, 1, r.stderr)
  assert.ok(fx.setup.emu.stats().token.requests - tokenBefore <= 4, `${fx.setup.emu.stats().token.requests - tokenBefore} Maskinporten requests`)
  assert.equal(fx.setup.emu.stats().exchange.requests, exchangeBefore, 'Altinn was never asked')
  assert.doesNotMatch(r.stderr, /Altinn could not be reached/)
  assert.equal(r.stderr.match(/^Maskinporten could not be reached on attempt \d; trying again/gm)?.length, 3)
})

test('an unreachable issuer: a few quick attempts, then the error, within seconds', async () => {
  const started = Date.now()
  const r = await run(['token', '--no-cache'], fx.setup.env(fx.keyFile, { MASKINPORTEN_ISSUER: `http://127.0.0.1:${await closedPort()}/` }))
  assert.equal(r.code, 1)
  assert.equal(r.stderr.match(/^Maskinporten could not be reached on attempt \d; trying again/gm)?.length, 3)
  assert.match(r.stderr, /Could not reach Maskinporten at .*connection refused/)
  assert.ok(Date.now() - started < 8000, `took ${Date.now() - started} ms`)
})

test('a cache that cannot be written: a warning on stderr, and the token all the same', async () => {
  const notADir = join(fx.dir, 'not-a-dir')
  writeFileSync(notADir, '')
  const r = await run(['token'], fx.setup.env(fx.keyFile, { XDG_CACHE_HOME: notADir }))
  theToken(r)
  assert.match(r.stderr, /Warning: could not update the token cache in .*not-a-dir\/wenche-maskinporten/)
})

test('grant: a signed grant on stdout that the token endpoint takes once; the note on stderr', async () => {
  const r = await run(['grant', '--org', CUSTOMER_ORG], fx.setup.env(fx.keyFile))
  assert.equal(r.code, 0, r.stderr)
  const grant = r.stdout.trim()
  const { header, claims } = decodeToken(grant)
  assert.deepEqual(header, { alg: 'RS256', kid: KID })
  assert.equal(claims.aud, fx.setup.emu.issuer)
  assert.equal((claims.exp as number) - (claims.iat as number), 119)
  assert.match(r.stderr, /Single-use; lives 119 s/)
  assert.ok(!r.stderr.includes(grant.split('.')[2]!))
  const post = (assertion: string) =>
    fetch(`${fx.setup.emu.issuer}token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }),
    })
  assert.equal((await post(grant)).status, 200)
  assert.equal((await post(grant)).status, 400, 'used before (MP-012)')
})

test('each failure: exit 1 and the message with its fix, no stack', async () => {
  const env = { ...fx.setup.env(fx.keyFile), XDG_CACHE_HOME: join(fx.dir, 'cache-c') }
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['missing variable', ['token'], { ...env, MASKINPORTEN_CLIENT_ID: '' }, /MASKINPORTEN_CLIENT_ID is not set.*--client-id/],
    ['bad org number', ['token', '--org', '123456789'], env, /--org "123456789" has a wrong check digit/],
    ['bad ORG_NUMMER', ['token'], { ...env, ORG_NUMMER: '99988877' }, /ORG_NUMMER "99988877" is not nine digits/],
    ['wrong kid', ['token'], { ...env, MASKINPORTEN_KID: 'not-registered' }, /Unknown key identifier \(kid\).*upload the public JWK printed by `maskinporten keygen`/],
    ['scope not on the client', ['token', '--scope', 'skatteetaten:other'], env, /invalid_scope.*add it to the client/],
    ['no system user', ['token', '--org', '974760223'], env, /MP-303.*approve the system user/],
    ['unreachable issuer', ['token'], { ...env, MASKINPORTEN_ISSUER: `http://127.0.0.1:${await closedPort()}/` }, /Could not reach Maskinporten at .*connection refused/],
  ]
  for (const [name, args, caseEnv, message] of cases) {
    const r = await run(args, caseEnv)
    assert.equal(r.code, 1, `${name}: ${r.stderr}`)
    assert.equal(r.stdout, '', name)
    assert.match(r.stderr, message, name)
    assert.doesNotMatch(r.stderr, /\n\s+at /, `${name}: no stack`)
  }
  const debug = await run(['token', '--debug'], { ...env, MASKINPORTEN_KID: 'not-registered' })
  assert.equal(debug.code, 1)
  assert.match(debug.stderr, /"mpCode"|"oauthError": "invalid_grant"/)
  assert.match(debug.stderr, /\n\s+at /, 'a stack with --debug')
})

test('no private key, grant or token ever reaches stderr', () => {
  const tokens = printed.flatMap((r) => (r.code === 0 && /^[\w-]+\.[\w-]+\.[\w-]+\n$/.test(r.stdout) ? [r.stdout.trim()] : []))
  assert.ok(tokens.length > 5)
  assertNoSecrets(
    printed.map((r) => r.stderr),
    [...fx.setup.secrets, ...tokens.map((t) => t.split('.')[2]!)],
  )
})
