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
    if (spec === undefined) return unknownOption(token.rawName, argv[token.index] ?? token.rawName, options)
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
 * What to say about an unknown option: "did you mean" for a near miss of a flag name (`--altin`, `--orgnr`); the
 * advice about values that start with a dash only when the argument looks like such a value (`-eyJ...`, `-5`),
 * not for a mistyped `--flag`, where it would only confuse.
 */
function unknownOption(rawName: string, arg: string, options: FlagSpec): string {
  const what = `unknown option ${describeValue(rawName)}`
  if (rawName.startsWith('--')) {
    const near = suggest(rawName.slice(2), Object.keys(options))
    return near === undefined ? what : `${what}; did you mean --${near}?`
  }
  const shorts = Object.entries(options).filter(([, spec]) => spec.short !== undefined)
  const short = shorts.find(([, spec]) => spec.short!.toLowerCase() === rawName.slice(1).toLowerCase())
  // A lone `-x` is a flag typo; `-eyJ...` or `-5` (a cluster, or not a letter) is a value given where a flag was read.
  const valueShaped = arg.length > 2 || !/^-[A-Za-z]$/.test(arg)
  if (valueShaped) {
    return `unknown option ${describeValue(rawName)} (in ${describeValue(arg)}). A value that starts with a dash goes after --, as in -- -x`
  }
  return short ? `${what}; did you mean -${short[1].short} (--${short[0]})?` : what
}

/**
 * The candidate closest to `input`, if one is close enough to be what was meant: at most one edit (insertion,
 * deletion, substitution or swap of neighbours) for short words, two from five letters on, or `input` as the start
 * of exactly one candidate. Case is ignored.
 *
 * @example
 * ```ts
 * suggest('altin', ['altinn', 'json']) // 'altinn'
 * suggest('tokn', ['token', 'grant'])  // 'token'
 * ```
 */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  const word = input.toLowerCase()
  if (word.length === 0 || word.length > 64) return undefined
  let best: string | undefined
  let bestDistance = Infinity
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate.toLowerCase())
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance]
  }
  const allowed = word.length >= 5 ? 2 : 1
  if (best !== undefined && bestDistance <= allowed) return best
  const starts = candidates.filter((candidate) => word.length >= 3 && candidate.toLowerCase().startsWith(word))
  return starts.length === 1 ? starts[0] : undefined
}

/** Optimal string alignment distance: Levenshtein plus the swap of two neighbouring letters (`tokne`). */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1)
      rows[i]![j] = d
    }
  }
  return rows[a.length]![b.length]!
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
