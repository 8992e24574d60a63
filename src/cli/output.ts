/**
 * How results read: times as ISO dates with the seconds left, check lines with ✓ and ✗.
 */

/** `2026-03-01T12:00:00.000Z (in 119 s)`, or `(61 s ago)` for a time past. */
export function describeTime(epochMs: number, nowMs: number): string {
  const seconds = Math.round((epochMs - nowMs) / 1000)
  const relative = seconds >= 0 ? `in ${seconds} s` : `${-seconds} s ago`
  return `${new Date(epochMs).toISOString()} (${relative})`
}

/** The outcome of one check: passed, failed (with the fix), or not run. */
export type CheckStatus = 'ok' | 'fail' | 'skip'

const MARKS: Record<CheckStatus, string> = { ok: '✓', fail: '✗', skip: '-' }

/** One report line: `✓ label: detail`. */
export function checkLine(status: CheckStatus, label: string, detail: string): string {
  return `${MARKS[status]} ${label}: ${detail}\n`
}
