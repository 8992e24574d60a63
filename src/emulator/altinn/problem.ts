/**
 * The answers of Altinn's authentication API when something is wrong: problem+json with Altinn's `AUTH-000xx`
 * codes and titles, validation problems (`STD-00000` with `validationErrors`), and the bare texts and empty bodies
 * some branches give instead (docs/vendor-api.md §0).
 */
import { randomBytes } from 'node:crypto'
import { send, sendJson, type Call } from '../call.js'

/** The content type of Altinn's problem answers. */
export const PROBLEM_JSON = 'application/problem+json; charset=utf-8'

/** Altinn's problem descriptors used by the vendor routes: status and title, by code number. */
export const AUTH_PROBLEMS = {
  '00000': [400, "Can't resolve the Organisation Number from the logged in Reportee PartyId."],
  '00001': [400, 'One or more Right not found or not delegable.'],
  '00004': [400, 'Failed to create new SystemUser, existing SystemUser tied to the given System-Id.'],
  '00010': [404, 'The Id does not refer to a Request in our system.'],
  '00011': [404, 'The Id does not refer to a Registered System.'],
  '00013': [409, 'The Status of the Request is not New.'],
  '00015': [404, 'The SystemUser was not found.'],
  '00021': [400, 'The RedirectUri was not found or not valid.'],
  '00023': [401, "Can't resolve the Organisation Number for the Vendor from the Token."],
  '00026': [400, 'No redirect uris are set for the system'],
  '00058': [400, 'No AccessPackages found, an Agent SystemUser must have at least one'],
  '00059': [400, 'No AccessPackages or Single Rights found, a SystemUser must have at least one'],
  '00065': [400, 'One or more access packages cannot be delegated because they are not intended for client relationships'],
} as const satisfies Record<string, readonly [number, string]>

/** One of the codes in {@link AUTH_PROBLEMS}, without its `AUTH-` prefix. */
export type AuthCode = keyof typeof AUTH_PROBLEMS

/** Altinn's validation error descriptors of the system register (`AUTH.VLD-000xx`), by number. */
export const VALIDATION_ERRORS = {
  '00': 'the org number identifier is not valid ISO6523 identifier',
  '01': 'The system id does not match the format orgnumber_xxxx...',
  '02': 'The system id already exists',
  '03': "One or all the resources in rights is not found in altinn's resource register",
  '04': 'One of the client id is already tagged with an existing system',
  '05': 'One or more of the redirect urls format is not valid. The valid format is https://xxx.xx',
  '06': 'One or more duplicate rights found',
  '07': 'One or more duplicate access package(s) found',
  '08': "One or all the accesspackage(s) is not found in altinn's access packages or is not delegable",
  '09': 'One or more resource id is in wrong format. The valid format is urn:altinn:resource',
  '11': 'Request contains duplicate client ids',
  '12': 'The system ID in the request body does not match the system ID in the URL',
  '13': 'System ID cannot have spaces in id (leading, trailing or in between the id)',
} as const

/** One of the numbers in {@link VALIDATION_ERRORS}. */
export type ValidationCode = keyof typeof VALIDATION_ERRORS

/** One entry of a validation problem's `validationErrors`. */
export interface ValidationError {
  code: string
  title: string
  paths: string[]
}

/** A validation error of the system register, with the body paths it is about. */
export function validationError(code: ValidationCode, ...paths: string[]): ValidationError {
  return { code: `AUTH.VLD-000${code}`, title: VALIDATION_ERRORS[code], paths }
}

/** A W3C trace id, as ASP.NET puts in problem answers. */
export function traceId(): string {
  return `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-00`
}

/** Answers one of Altinn's problems. */
export function sendProblem(call: Call, code: AuthCode): void {
  const [status, title] = AUTH_PROBLEMS[code]
  sendJson(call, status, { type: `urn:altinn:error:AUTH-${code}`, title, status, code: `AUTH-${code}`, traceId: traceId() }, {}, PROBLEM_JSON)
}

/** Answers a validation problem (400, `STD-00000`) with its errors in the order found. */
export function sendValidation(call: Call, errors: ValidationError[]): void {
  sendJson(
    call,
    400,
    {
      type: 'urn:altinn:error:STD-00000',
      title: 'One or more validation errors occurred.',
      status: 400,
      code: 'STD-00000',
      traceId: traceId(),
      validationErrors: errors,
    },
    {},
    PROBLEM_JSON,
  )
}

/**
 * ASP.NET's own model-binding problem (a route or query value that is not a GUID): RFC 9110 type, an `errors` map.
 */
export function sendBindingProblem(call: Call, field: string, message = 'The value is not valid.'): void {
  sendJson(
    call,
    400,
    {
      type: 'https://tools.ietf.org/html/rfc9110#section-15.5.1',
      title: 'One or more validation errors occurred.',
      status: 400,
      errors: { [field]: [message] },
      traceId: traceId(),
    },
    {},
    PROBLEM_JSON,
  )
}

/** Answers a bare text (the `BadRequest("…")` branches). */
export function sendText(call: Call, status: number, text: string): void {
  send(call, status, text, { 'Content-Type': 'text/plain; charset=utf-8' })
}

/** Answers a status with an empty body (`Forbid()`, `NotFound()`, `Accepted()`). */
export function sendEmpty(call: Call, status: number, headers: Record<string, string> = {}): void {
  send(call, status, '', headers)
}
