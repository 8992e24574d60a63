/**
 * `maskinporten logout`: forgets every cached token (Wenche's `logout`). Keys and configuration are left alone.
 */
import type { CliContext } from './context.js'
import { cacheDir, FileTokenStore } from './file-store.js'
import { parseFlags } from './usage.js'

/** `maskinporten logout --help`. */
export const LOGOUT_HELP = `Usage: maskinporten logout

Removes the tokens cached by \`maskinporten token\` from $XDG_CACHE_HOME/wenche-maskinporten
(or ~/.cache/wenche-maskinporten). The key and the configuration stay.
`

/** Runs `maskinporten logout`. Returns the exit code. */
export async function logoutCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values } = parseFlags('logout', argv, { help: { type: 'boolean', short: 'h' }, debug: { type: 'boolean' } })
  if (values.help) {
    ctx.out(LOGOUT_HELP)
    return 0
  }
  const dir = cacheDir(ctx.env)
  const removed = new FileTokenStore(dir, { warn: ctx.err }).removeAll()
  ctx.err(`Removed ${removed} cached token${removed === 1 ? '' : 's'} from ${dir}\n`)
  return 0
}
