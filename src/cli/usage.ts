/**
 * Usage errors (exit code 2) and flag parsing: `node:util` `parseArgs` in strict mode, with its errors turned into
 * {@link UsageError}s that name the command, so that `main` can point at `maskinporten <cmd> --help`.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { describeValue, maskTokens } from '../errors/errors.js'

/** The flags of one command, in `parseArgs`' form. */
export type FlagSpec = NonNullable<ParseArgsConfig['options']>

/** What {@link parseFlags} returns for the flags `O`: `values` typed after them, and the bare arguments. */
export type ParsedFlags<O extends FlagSpec> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
>

/** The user called a command wrongly: unknown command or flag, a missing or malformed value. Exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
  /** The command whose `--help` explains the right use, if any. */
  readonly command: string | undefined

  constructor(message: string, command?: string) {
    // Arguments are echoed back in usage messages; a token pasted in the wrong place must not reach the terminal log.
    super(maskTokens(message))
    this.command = command
  }
}

/** True for an error of `parseArgs` (unknown option, missing value, positional not allowed). */
function isParseArgsError(err: unknown): err is Error {
  const code = (err as { code?: unknown } | null)?.code
  return err instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')
}

/**
 * What is wrong with `argv`, said without its values. `parseArgs`' own messages quote the offending argument, and
 * that argument may be a key pasted in the wrong place (`maskinporten decode "$PEM"` is an unknown option
 * `-----BEGIN...`): the arguments are parsed again leniently, and the first bad one is named by its flag, or, for an
 * unknown flag, described by {@link describeValue}.
 */
function parseProblem(argv: string[], options: FlagSpec): string {
  let tokens
  try {
    tokens = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true }).tokens
  } catch {
    return 'the arguments cannot be parsed'
  }
  for (const token of tokens) {
    if (token.kind !== 'option') continue
    const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined
    if (spec === undefined) {
      return `unknown option ${describeValue(token.rawName)}. A value that starts with a dash goes after --, as in -- -x`
    }
    const flag = `--${token.name}`
    if (spec.type === 'boolean' && token.value !== undefined) return `${flag} takes no value`
    const value = token.value
    if (spec.type === 'string' && value === undefined) return `${flag} needs a value`
    if (spec.type === 'string' && !token.inlineValue && value !== undefined && value.length > 1 && value.startsWith('-')) {
      return `${flag}'s value starts with a dash; if that is meant, write ${flag}=VALUE`
    }
  }
  return 'the arguments cannot be parsed'
}

/**
 * Parses a command's arguments strictly. At most `maxPositionals` bare arguments are allowed.
 *
 * @example
 * ```ts
 * const { values } = parseFlags('logout', argv, { help: { type: 'boolean' } })
 * ```
 */
export function parseFlags<const O extends FlagSpec>(
  command: string,
  argv: string[],
  options: O,
  maxPositionals = 0,
): ParsedFlags<O> {
  let parsed: ParsedFlags<O>
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true })
  } catch (err) {
    if (isParseArgsError(err)) throw new UsageError(parseProblem(argv, options), command)
    throw err
  }
  if (parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals.slice(maxPositionals).map((arg) => describeValue(arg))
    throw new UsageError(`unexpected argument${extra.length === 1 ? '' : 's'} ${extra.join(' ')}`, command)
  }
  return parsed
}

/** One of the allowed values of a flag, or a usage error naming the flag and the choices. */
export function oneOf<T extends string>(command: string, flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T
  throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}; got ${describeValue(value)}`, command)
}
