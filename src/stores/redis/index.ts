/// <reference types="node" preserve="true" />
// Node's types for the published declarations: see src/index.ts.
/**
 * `wenche-maskinporten/redis`: a `TokenStore` in Redis or Valkey, shared by every process of a service, with a
 * lease so that the fleet fetches each token once. Not imported by the package root: only those who use it load it.
 */
export { RedisTokenStore, DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_FALLBACK_ENTRIES, DEFAULT_KEY_PREFIX, DEFAULT_LEASE_MS, DEFAULT_POLL_MS } from './store.js'
export type { RedisLease, RedisStoreError, RedisTokenStoreOptions } from './store.js'
export type { IoRedisLike, NodeRedisLike, RedisClientLike } from './commands.js'
export type { EncryptionKey } from './codec.js'
export type { TokenLease, TokenLeaseHandle } from '../../client/lease.js'
