/**
 * One HTTP call to the emulator and the state it is served from: reading a bounded body, answering with the
 * emulator's clock in the `Date` header.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FaultQueue } from './fault-queue.js'
import type { ClientRegistry } from './registry.js'
import type { ConsentRegistry } from './maskinporten/consent.js'
import type { ReplayMemory } from './maskinporten/replay.js'
import type { TrustAnchors } from './maskinporten/certificates.js'
import type { SigningKey } from './tokens.js'
import type { EmulatorStats } from './types.js'

/** Largest request body accepted, bytes; more is refused with 413. */
export const MAX_BODY_BYTES = 64 * 1024

/** What every handler shares. */
export interface EmulatorState {
  url: string
  issuer: string
  altinnUrl: string
  /** The emulator's clock, epoch milliseconds. */
  now(): number
  clients: ClientRegistry
  replay: ReplayMemory
  /** Trust anchors for business certificate grants (`certificateAuthorities`). */
  anchors: TrustAnchors
  /** Consents given in Altinn (samtykke). */
  consents: ConsentRegistry
  /** Service owners' org codes by org number, for `urn:altinn:org`. */
  serviceOwners: Readonly<Record<string, string>>
  faults: FaultQueue
  stats: EmulatorStats
  /** Signs Maskinporten tokens (published at `/jwk`). */
  maskinportenKey: SigningKey
  /** Signs Altinn tokens (published at Altinn's `jwks_uri`). */
  altinnKey: SigningKey
  /** Resolves true after `ms` milliseconds, or false as soon as the emulator closes. */
  later(ms: number): Promise<boolean>
}

/** One request being served. */
export interface Call {
  req: IncomingMessage
  res: ServerResponse
  /** The path without the query string. */
  path: string
  query: URLSearchParams
  state: EmulatorState
}

/** Answers `status` with `body`; the `Date` header follows the emulator's clock. */
export function send(call: Call, status: number, body: string, headers: Record<string, string> = {}): void {
  const { res } = call
  if (res.headersSent || res.destroyed) return
  res.writeHead(status, {
    Date: new Date(call.state.now()).toUTCString(),
    'Content-Length': String(Buffer.byteLength(body)),
    ...headers,
  })
  res.end(body)
}

/** Answers JSON. */
export function sendJson(
  call: Call,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json;charset=UTF-8',
): void {
  send(call, status, JSON.stringify(value), { 'Content-Type': contentType, ...headers })
}

/** 405 with `Allow`. */
export function methodNotAllowed(call: Call, allow: string[]): void {
  sendJson(call, 405, { error: 'method_not_allowed', allow }, { Allow: allow.join(', ') })
}

/**
 * The request body, or `undefined` after answering 413 when it is over {@link MAX_BODY_BYTES}. The rest of an
 * oversized body is drained, not kept, and the connection closed after the answer.
 */
export function readBody(call: Call): Promise<Buffer | undefined> {
  const { req } = call
  const tooLarge = () =>
    sendJson(call, 413, { error: 'invalid_request', error_description: 'Request body too large' }, { Connection: 'close' })
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    tooLarge()
    req.resume()
    return Promise.resolve(undefined)
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk)
        return
      }
      req.off('data', onData)
      req.resume()
      tooLarge()
      resolve(undefined)
    }
    req.on('data', onData)
    req.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : undefined))
    // The client went away mid-body: nobody to answer.
    req.on('error', () => resolve(undefined))
    req.on('aborted', () => resolve(undefined))
    req.on('close', () => resolve(undefined)) // after 'end' this is a no-op: a promise resolves once
  })
}

/** The media type of a request's `Content-Type`, lower-case, without parameters. */
export function mediaType(call: Call): string {
  return (call.req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
}
