/**
 * Altinn's pages (docs/vendor-api.md §0): at most 50 entries as `{links: {next}, data}`. `next` names an internal
 * host, never the one asked; only its `token` query value is meant to be reused, sent to the public host.
 */
import { sendJson, type Call } from '../call.js'
import { sendBindingProblem } from './problem.js'
import { NEXT_LINK_HOST, PAGE_SIZE } from '../unconfirmed.js'

interface Cursor {
  /** The route (path, lower case) the token belongs to. */
  p: string
  /** Where the next page starts. */
  o: number
}

function encode(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url')
}

function decode(token: string): Cursor | undefined {
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<Cursor>
    return typeof c.p === 'string' && Number.isInteger(c.o) && (c.o as number) >= 0 ? (c as Cursor) : undefined
  } catch {
    return undefined
  }
}

/**
 * Answers the page of `items` the call's `token` asks for (the first without one), each entry through `json`.
 * A token that does not read, or belongs to another route, is a 400 binding problem.
 */
export function sendPage<T>(call: Call, items: T[], json: (item: T) => unknown): void {
  const route = call.path.toLowerCase()
  const token = call.query.get('token')
  let start = 0
  if (token !== null && token !== '') {
    const cursor = decode(token)
    if (!cursor || cursor.p !== route) return sendBindingProblem(call, 'token')
    start = cursor.o
  }
  const end = start + PAGE_SIZE
  const links: Record<string, string> =
    end < items.length ? { next: `${NEXT_LINK_HOST}${call.path}?token=${encode({ p: route, o: end })}` } : {}
  sendJson(call, 200, { links, data: items.slice(start, end).map(json) })
}
