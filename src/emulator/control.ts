/**
 * The test hooks over HTTP, for test suites in other languages: `POST /__emulator/clients`,
 * `POST /__emulator/consents`, `POST /__emulator/faults`, `DELETE /__emulator/faults`, `GET /__emulator/stats`
 * (docs/architecture.md, the contract).
 */
import { isMaskinportenError } from '../errors/errors.js'
import { mediaType, methodNotAllowed, readBody, sendJson, type Call } from './call.js'
import type { EmulatorClient, EmulatorConsent } from './types.js'

/** Path prefix of the control endpoints. */
export const CONTROL_PREFIX = '/__emulator/'

async function jsonBody(call: Call): Promise<unknown> {
  const body = await readBody(call)
  if (body === undefined) return undefined
  if (mediaType(call) !== 'application/json') {
    sendJson(call, 415, { error: 'invalid_request', error_description: 'Send JSON (Content-Type: application/json)' })
    return undefined
  }
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    sendJson(call, 400, { error: 'invalid_request', error_description: 'The body is not JSON' })
    return undefined
  }
}

/** Runs a hook with the parsed body; a malformed client or fault answers 400 with the reason. */
async function withBody(call: Call, hook: (body: unknown) => void, status: number): Promise<void> {
  const body = await jsonBody(call)
  if (body === undefined) return
  try {
    hook(body)
    sendJson(call, status, { ok: true })
  } catch (err) {
    if (!isMaskinportenError(err)) throw err
    sendJson(call, 400, { error: 'invalid_request', error_description: err.message })
  }
}

/** Serves `/__emulator/*`; false when the path is not one of them. */
export async function control(call: Call, hooks: {
  registerClient(client: EmulatorClient): void
  registerConsent(consent: EmulatorConsent): void
  injectFault(fault: unknown): void
  clearFaults(): void
}): Promise<boolean> {
  const { req } = call
  switch (call.path.slice(CONTROL_PREFIX.length)) {
    case 'clients':
      if (req.method !== 'POST') methodNotAllowed(call, ['POST'])
      else await withBody(call, (body) => hooks.registerClient(body as EmulatorClient), 201)
      return true
    case 'consents':
      if (req.method !== 'POST') methodNotAllowed(call, ['POST'])
      else await withBody(call, (body) => hooks.registerConsent(body as EmulatorConsent), 201)
      return true
    case 'faults':
      if (req.method === 'POST') await withBody(call, (body) => hooks.injectFault(body), 201)
      else if (req.method === 'DELETE') {
        req.resume()
        hooks.clearFaults()
        sendJson(call, 200, { ok: true })
      } else methodNotAllowed(call, ['POST', 'DELETE'])
      return true
    case 'stats':
      req.resume()
      if (req.method !== 'GET') methodNotAllowed(call, ['GET'])
      else sendJson(call, 200, call.state.stats)
      return true
    default:
      return false
  }
}
