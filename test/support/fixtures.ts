// Shared test fixtures: keys are made at test time, once per test process.
import { generateKeyPairSync, type KeyObject } from 'node:crypto'
import type { MaskinportenConfig } from '../../src/config/config.js'

export interface TestKey {
  privateKey: KeyObject
  publicKey: KeyObject
  pkcs8: string
  pkcs1: string
}

let cached: TestKey | undefined

/** One RSA 2048 key for the whole test file (generating is the slow part of these tests). */
export function testKey(): TestKey {
  if (!cached) cached = makeKey(2048)
  return cached
}

export function makeKey(bits: number): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits })
  return {
    privateKey,
    publicKey,
    pkcs8: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    pkcs1: privateKey.export({ format: 'pem', type: 'pkcs1' }) as string,
  }
}

/** A valid config for the test environment, with the test key as PKCS#8 PEM. */
export function testConfig(overrides: Partial<MaskinportenConfig> = {}): MaskinportenConfig {
  return {
    clientId: 'test-client-0b3c',
    kid: 'test-kid-1',
    privateKeyPem: testKey().pkcs8,
    env: 'test',
    ...overrides,
  }
}

/** The distinctive middle of a PEM body, to look for in texts that must not hold the key. */
export function keyFragments(pem: string): string[] {
  const body = pem.split('\n').filter((l) => l && !l.startsWith('-----'))
  return [body[1]!, body[Math.floor(body.length / 2)]!]
}

/** Asserts that none of the secrets appears in any of the texts. */
export function assertNoSecrets(texts: Array<string | undefined>, secrets: string[]): void {
  for (const text of texts) {
    if (text === undefined) continue
    for (const secret of secrets) {
      if (secret.length >= 8 && text.includes(secret)) {
        throw new Error(`a secret leaked into: ${text.slice(0, 80)}…`)
      }
    }
  }
}
