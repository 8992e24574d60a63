/**
 * The doctor's report: lines written as the checks run (the online ones take a moment), and the failures counted
 * for the exit code.
 */
import type { CliContext } from './context.js'
import { checkLine } from './output.js'

/** Collects check results and writes them to stdout one by one. */
export class Report {
  private failed = 0
  private passes = 0

  constructor(private readonly ctx: Pick<CliContext, 'out'>) {}

  /** How many checks have failed so far. */
  get failures(): number {
    return this.failed
  }

  /** A check that passed. */
  ok(label: string, detail: string): void {
    this.passes++
    this.ctx.out(checkLine('ok', label, detail))
  }

  /** A check that failed; `detail` says what to do. */
  fail(label: string, detail: string): void {
    this.failed++
    this.ctx.out(checkLine('fail', label, detail))
  }

  /** A check that was not run, and why. */
  skip(label: string, detail: string): void {
    this.ctx.out(checkLine('skip', label, detail))
  }

  /** Writes the summary; returns the exit code (1 when any check failed). */
  finish(): number {
    this.ctx.out(
      this.failed === 0
        ? `\nAll ${this.passes} checks passed.\n`
        : `\n${this.failed} check${this.failed === 1 ? '' : 's'} failed, ${this.passes} passed.\n`,
    )
    return this.failed === 0 ? 0 : 1
  }
}

/** An error's message, which for a MaskinportenError already holds the fix. */
export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
