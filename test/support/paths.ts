// Where the repository is, for tests that run from their compiled copies under build/test/ as well as from test/.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'wenche-maskinporten') {
      return dir
    }
    if (dirname(dir) === dir) throw new Error(`no wenche-maskinporten package.json above ${from}`)
  }
}

/** The repository's root folder (where package.json is). */
export const ROOT = findRoot(import.meta.dirname)

/** The compiled tests, sources, examples and benchmarks (`tsc -p tsconfig.test.json`). */
export const BUILD = join(ROOT, 'build')
