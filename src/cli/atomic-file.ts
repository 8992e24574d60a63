/**
 * Files written whole or not at all: a temporary file beside the target, created with its final mode, then renamed
 * over it. A reader never sees half a key or half a token, and a secret file is never briefly world-readable.
 */
import { randomBytes } from 'node:crypto'
import { renameSync, rmSync, writeFileSync } from 'node:fs'

/** Writes `content` to `file` atomically; the file gets `mode` (less the umask) from the start. */
export function writeFileAtomically(file: string, content: string, mode: number): void {
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  try {
    writeFileSync(temp, content, { mode, flag: 'wx' })
    renameSync(temp, file)
  } catch (err) {
    rmSync(temp, { force: true })
    throw err
  }
}
