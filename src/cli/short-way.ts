/**
 * The short way's CommonJS modules (bin.cts, run-cache.cts, cache-files.cts, dotenv-text.cts) as the ES modules of
 * the command line use them: through `require`, not `import`. The bin has loaded them already, so `require` hands
 * back the same modules at no cost, where an `import` would have Node scan each one's source for its exports first
 * (a few milliseconds of a cold run, BENCHMARKS.md).
 */
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

/** cache-files.cts: the token cache's files, as the file store and the run cache read them. */
export const cacheFiles = require('./cache-files.cjs') as typeof import('./cache-files.cjs')

/** run-cache.cts: the notes a `token` run leaves for the next run with the same inputs. */
export const runCache = require('./run-cache.cjs') as typeof import('./run-cache.cjs')

/** dotenv-text.cts: `.env` read and scanned. */
export const dotenvText = require('./dotenv-text.cjs') as typeof import('./dotenv-text.cjs')
