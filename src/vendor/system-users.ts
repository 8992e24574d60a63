/**
 * System users of a vendor's system (docs/vendor-api.md §4): every page of them, and the one of a customer. Note
 * the scopes: the list takes the system register scope, the query the request write scope (although a GET).
 */
import { unexpectedAnswer } from './problem.js'
import { SYSTEM_REGISTER_WRITE, SYSTEM_USER_REQUEST_WRITE } from './scopes.js'
import { readSystemUser } from './shapes.js'
import type { Transport } from './transport.js'
import type { SystemUser } from './types.js'
import { checkOptions, checkOrgNo, checkText } from './validate.js'

/** Every system user of the system, following `next` across pages of 50. */
export async function* listSystemUsers(t: Transport, systemId: string): AsyncGenerator<SystemUser> {
  const call = { method: 'GET', path: `/systemuser/vendor/bysystem/${encodeURIComponent(systemId)}`, scope: SYSTEM_REGISTER_WRITE, expect: [200], retry: true } as const
  for await (const { item, label } of t.pages(call)) {
    const read = readSystemUser(item)
    if (read === undefined) throw unexpectedAnswer(label, 200, 'a page of system users', '')
    yield read
  }
}

/** `GET /systemuser/vendor/byquery`: the customer's system user, `undefined` when there is none (404). */
export async function findSystemUser(t: Transport, systemId: string, query: { orgNo: string; externalRef?: string }): Promise<SystemUser | undefined> {
  const given = checkOptions(query, 'query')
  const orgno = checkOrgNo(given.orgNo, 'orgNo')
  const params: Record<string, string> = { 'system-id': systemId, orgno }
  // Absent, Altinn takes the org number (docs/vendor-api.md §4); sent only when given.
  if (given.externalRef !== undefined) params['external-ref'] = checkText(given.externalRef, 'externalRef')
  const answer = await t.call({ method: 'GET', path: '/systemuser/vendor/byquery', query: params, scope: SYSTEM_USER_REQUEST_WRITE, expect: [200, 404], retry: true })
  if (answer.status === 404) return undefined
  const read = readSystemUser(answer.json)
  if (read === undefined) throw unexpectedAnswer(answer.label, answer.status, 'a system user', answer.text)
  return read
}
