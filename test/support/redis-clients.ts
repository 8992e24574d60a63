// The two Redis clients users have, connected to a test server's socket as a service would connect them (errors
// listened to, reconnects left to the client), and closed after.
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import type { RedisClientLike } from '../../src/stores/redis/index.ts'

export type RedisKind = 'node-redis' | 'ioredis'
export const REDIS_KINDS: readonly RedisKind[] = ['node-redis', 'ioredis']

export interface ConnectedRedis {
  client: RedisClientLike
  /** Raw command, for a test to look into or tamper with the keyspace. */
  raw(args: string[]): Promise<unknown>
  close(): Promise<void>
}

/** A connected client of `kind` on `socket`. */
export async function connectRedis(kind: RedisKind, socket: string): Promise<ConnectedRedis> {
  if (kind === 'node-redis') {
    const client = createClient({ socket: { path: socket, reconnectStrategy: (retries: number) => Math.min(50 * (retries + 1), 500) } })
    client.on('error', () => {}) // a server gone is the test's doing: the client reconnects by itself
    await client.connect()
    return {
      client,
      raw: (args) => client.sendCommand(args),
      close: async () => {
        client.destroy()
      },
    }
  }
  const client = new Redis({ path: socket, maxRetriesPerRequest: 1, retryStrategy: (times: number) => Math.min(50 * times, 500) })
  client.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve)
    client.once('end', () => reject(new Error('ioredis could not connect')))
  })
  return {
    client,
    raw: (args) => client.call(args[0]!, args.slice(1)),
    close: async () => {
      client.disconnect()
    },
  }
}
