/**
 * What a command runs in: the environment, the working directory, the clock and the three streams. Commands take it
 * as an argument instead of reaching for `process`, so that the rules about what goes where (the token alone on
 * stdout, notes on stderr) are in one visible place.
 */

/** The surroundings of one command run. */
export interface CliContext {
  /** Environment variables (`process.env`). */
  env: Record<string, string | undefined>
  /** Working directory: where `.env` and a relative key path are looked for. */
  cwd: string
  /** Writes text to stdout: results only (the token, the grant, the JWK, a report). */
  out(text: string): void
  /** Writes text to stderr: notes, progress, errors. Never a secret. */
  err(text: string): void
  /** Standard input, for `decode -`. */
  stdin: NodeJS.ReadableStream & { isTTY?: boolean }
  /** The clock, epoch milliseconds. */
  now(): number
}

/** The context of the running process. */
export function processContext(): CliContext {
  return {
    env: process.env,
    cwd: process.cwd(),
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    stdin: process.stdin,
    now: Date.now,
  }
}

/** Reads all of standard input as text. */
export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
  return Buffer.concat(chunks).toString('utf8')
}
