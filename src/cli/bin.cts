#!/usr/bin/env node
/**
 * The `maskinporten` bin. A repeated `maskinporten token` is answered by the run cache (run-cache.cts) before
 * anything else is loaded; every other run, and a token run the run cache cannot answer, loads the command line
 * (main.ts, bundled). CommonJS, and the short way writes with `fs.writeSync` rather than through `process.stdout`:
 * an ES module entry, or setting up the stdio streams, costs as much as the whole short way (BENCHMARKS.md).
 */
import fs = require('node:fs')
import runCache = require('./run-cache.cjs')

/**
 * Writes all of `text` to `fd` (1 or 2). A closed pipe on stdout (`maskinporten token | head -c 10`) is the
 * reader's choice, not a failure: the run ends quietly. A pipe that cannot take more just now is handed to the
 * stream, which waits for it. Any other failure of stdout (a full disk) ends the run with exit 1: once the answer
 * has begun, running the long way would print it twice.
 */
function write(fd: 1 | 2, text: string): void {
  const bytes = Buffer.from(text, 'utf8')
  let done = 0
  try {
    while (done < bytes.length) done += fs.writeSync(fd, bytes, done)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EAGAIN') {
      const stream = fd === 1 ? process.stdout : process.stderr
      stream.on('error', (later: NodeJS.ErrnoException) => failed(fd, later.code))
      stream.write(bytes.subarray(done))
    } else {
      failed(fd, code)
    }
  }
}

/**
 * After a failed write: stdout closed by its reader ends the run quietly; stdout failing otherwise ends it with a
 * line on stderr and exit 1. A failing stderr is passed over: the notes are not the answer, the token still goes out.
 */
function failed(fd: 1 | 2, code: string | undefined): void {
  if (fd === 2) return
  if (code === 'EPIPE') process.exit(0)
  try {
    fs.writeSync(2, `maskinporten: cannot write the token (${code ?? 'error'})\n`)
  } catch {
    // stderr is gone too: the exit code says it
  }
  process.exit(1)
}

const argv = process.argv.slice(2)
const args = argv[0] === '--debug' ? argv.slice(1) : argv
const io = {
  env: process.env,
  cwd: process.cwd(),
  now: Date.now,
  out: (text: string): void => write(1, text),
  err: (text: string): void => write(2, text),
}

if (!(args[0] === 'token' && runCache.answerFromRunCache(args.slice(1), io))) {
  // The command line, bundled from main.ts and its modules into CommonJS (rollup.config.mjs): one file and the
  // chunks of the command run, instead of some forty ES modules to resolve, link and compile one by one.
  try {
    require('./main.cjs')
  } catch (err) {
    // Only a broken installation gets here: main.cjs reports its own errors.
    process.stderr.write(`maskinporten: cannot load the command line: ${err instanceof Error ? err.message : 'unknown error'}\n`)
    process.exitCode = 1
  }
}
