/** Key sizes: 2048 is what Digdir documents; larger keys can be made, with a warning, in the library and the CLI. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateSigningKey, DOCUMENTED_RSA_BITS } from '../../src/signing/keys.js'
import { KEYGEN_HELP } from '../../src/cli/keygen.js'
import { runCli, tempDir } from '../cli/run-cli.js'

test('generateSigningKey: 2048 bits without a warning; 3072 with one; a bad size refused without String(value)', async () => {
  assert.equal(DOCUMENTED_RSA_BITS, 2048)
  assert.equal((await generateSigningKey()).warning, undefined)
  const big = await generateSigningKey({ bits: 3072 })
  assert.match(String(big.warning), /3072-bit key: Digdir documents 2048-bit RSA keys.*not confirmed/)
  await assert.rejects(generateSigningKey({ bits: 1024 }), { code: 'invalid_config', message: /2048 is the size Digdir documents/ })
})

test('keygen: the help no longer says 3072/4096 are accepted; --bits 3072 prints the warning', async () => {
  assert.ok(!/accepted by Maskinporten/.test(KEYGEN_HELP.replace(/not confirmed to be accepted by Maskinporten/, '')))
  assert.match(KEYGEN_HELP, /2048 \(default; the size Digdir documents\)/)
  const { dir, cleanup } = tempDir()
  try {
    const run = await runCli(['keygen', '--out', 'keys', '--bits', '3072'], { cwd: dir })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stderr, /Warning: a 3072-bit key/)
  } finally {
    cleanup()
  }
})
