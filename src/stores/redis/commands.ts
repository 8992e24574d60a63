/**
 * Redis commands through the user's own client, whichever it is: node-redis (4 and later: `sendCommand([...])`) or
 * ioredis (5 and later: `call(name, args)`), told apart by shape, so that this package depends on neither. Every
 * command is bounded in time: a client that queues commands while it reconnects must not hold a caller up.
 */
import { invalidConfig, MaskinportenError } from '../../errors/errors.js'

/** The part of an ioredis client (`new Redis(...)`, also `Cluster`) used here. */
export interface IoRedisLike {
  call(command: string, args: string[]): Promise<unknown>
}

/** The part of a node-redis client (`createClient(...)`, 4 and later) used here. */
export interface NodeRedisLike {
  sendCommand(args: string[]): Promise<unknown>
}

/** Either client. */
export type RedisClientLike = IoRedisLike | NodeRedisLike

/** One command (its name first), answered with the raw reply. */
export type SendCommand = (args: string[]) => Promise<unknown>

/** Which client a value is, by its methods: ioredis has `call` (and a `sendCommand` of its own kind), node-redis has not. */
export function clientKind(client: unknown): 'ioredis' | 'node-redis' | undefined {
  const c = client as { call?: unknown; sendCommand?: unknown } | null | undefined
  if (typeof c?.call === 'function') return 'ioredis'
  if (typeof c?.sendCommand === 'function') return 'node-redis'
  return undefined
}

/** A store failure as the cache sees it (it reports and works around it; callers never get it). */
export function storeFailed(what: string, cause?: unknown): MaskinportenError {
  return new MaskinportenError('token_store_failed', `Token store: ${what}; the client fetches tokens itself meanwhile`, { cause: scrubCause(cause) })
}

/** Only the class and a short message of a client's error: a reply may quote what was sent (a token). */
function scrubCause(cause: unknown): Error | undefined {
  if (!(cause instanceof Error)) return undefined
  const error = new Error(cause.message.slice(0, 200).replace(/eyJ[\w-]*\.[\w-]*\.?[\w-]*/g, '[jwt masked]'))
  error.name = cause.name
  return error
}

/** A sender for `client`, each command failing after `timeoutMs` (its answer, if one comes later, is dropped). */
export function commandSender(client: unknown, timeoutMs: number): SendCommand {
  const kind = clientKind(client)
  if (kind === undefined) {
    throw invalidConfig('redis client', 'is neither a node-redis client (createClient from "redis", 4 or later) nor an ioredis client (new Redis() from "ioredis")')
  }
  const raw: SendCommand =
    kind === 'ioredis'
      ? (args) => (client as IoRedisLike).call(args[0]!, args.slice(1))
      : (args) => (client as NodeRedisLike).sendCommand(args)
  return (args) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(storeFailed(`Redis did not answer ${args[0]} within ${timeoutMs} ms`)), timeoutMs)
      timer.unref()
      let sent: Promise<unknown>
      try {
        sent = Promise.resolve(raw(args))
      } catch (err) {
        clearTimeout(timer)
        reject(storeFailed(`Redis refused ${args[0]}`, err))
        return
      }
      sent.then(
        (reply) => {
          clearTimeout(timer)
          resolve(reply)
        },
        (err: unknown) => {
          clearTimeout(timer)
          reject(storeFailed(`Redis failed ${args[0]}`, err))
        },
      )
    })
}

/** A reply that should be a bulk string (or nil): the text, `undefined` for nil; anything else throws. */
export function bulkText(reply: unknown, maxBytes: number): string | undefined {
  if (reply === null || reply === undefined) return undefined
  const length = typeof reply === 'string' ? Buffer.byteLength(reply) : Buffer.isBuffer(reply) ? reply.length : -1
  if (length < 0) throw storeFailed(`Redis answered with a ${typeof reply} where a string or nothing was expected`)
  if (length > maxBytes) throw storeFailed(`Redis answered with ${length} bytes, more than the ${maxBytes} a token entry can be`)
  return typeof reply === 'string' ? reply : (reply as Buffer).toString('utf8')
}

/** A reply that should be an integer. */
export function integer(reply: unknown): number {
  const n = typeof reply === 'number' ? reply : typeof reply === 'bigint' ? Number(reply) : Number.NaN
  if (!Number.isSafeInteger(n)) throw storeFailed(`Redis answered with a ${typeof reply} where an integer was expected`)
  return n
}

/** A reply to `SET ... NX`: true for OK, false for nil; anything else throws. */
export function setReply(reply: unknown): boolean {
  if (reply === null || reply === undefined) return false
  const text = Buffer.isBuffer(reply) ? reply.toString('utf8') : reply
  if (text === 'OK') return true
  throw storeFailed(`Redis answered SET with a ${typeof reply} that is not OK`)
}
