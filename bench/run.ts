/**
 * `npm run bench`: runs every `bench/*.bench.ts` (compiled to build/bench/) in turn (each default-exports an async function that prints its
 * figures), or only those named on the command line (`npm run bench -- grant`).
 */
import { readdirSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { cpus } from 'node:os'

const dir = fileURLToPath(new URL('.', import.meta.url))
const only = process.argv.slice(2)
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.js'))
  // A whole name first (`cli` is not `client`), else a prefix.
  .filter((f, _, all) => only.length === 0 || only.some((name) => (all.includes(`${name}.bench.js`) ? f === `${name}.bench.js` : f.startsWith(name))))
  .sort()

console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown cpu'}, ${new Date().toISOString()}`)
for (const file of files) {
  console.log(`\n## ${file.replace('.bench.js', '')}`)
  const mod = (await import(pathToFileURL(`${dir}${file}`).href)) as { default: () => Promise<void> }
  await mod.default()
}
