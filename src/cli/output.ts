/**
 * How results read: times as ISO dates with the seconds left, check lines with ✓ and ✗, scopes quoted.
 */
import { describeValue } from '../errors/errors.js'
import { cacheFiles } from './short-way.js'

/** One scope as Maskinporten names them (`prefix:name`, `altinn:authentication/systemuser.request.read`). */
const SCOPE = /^[\w.-]+:[\w.:/-]+$/

/**
 * A scope list as a message quotes it, through {@link describeValue}, so that key text given as a scope is described,
 * not printed; a list too long to quote whole is still shown when it is made of scopes only (the admin scopes are).
 */
export function describeScopes(scope: string): string {
  const whole = describeValue(scope)
  if (whole.startsWith('"')) return whole
  const items = scope.split(' ')
  return items.every((item) => SCOPE.test(item) && describeValue(item).startsWith('"')) ? JSON.stringify(scope) : whole
}

/** `2026-03-01T12:00:00.000Z (in 119 s)`, or `(61 s ago)` for a time past: kept with the run cache's files. */
export const describeTime = cacheFiles.describeTime

/** The outcome of one check: passed, failed (with the fix), or not run. */
export type CheckStatus = 'ok' | 'fail' | 'skip'

const MARKS: Record<CheckStatus, string> = { ok: '✓', fail: '✗', skip: '-' }

/** One report line: `✓ label: detail`. */
export function checkLine(status: CheckStatus, label: string, detail: string): string {
  return `${MARKS[status]} ${label}: ${detail}\n`
}
