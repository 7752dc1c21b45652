// A command's command line: one table of its options and operands, read by
// node:util's parseArgs (strict: an unknown option, a missing value or an
// operand too many is a UsageError, which the command prints with its usage
// and exit status 2). The usage text is made from the same table (usage.ts).
import { parseArgs } from 'node:util'

export interface Option {
  type: 'boolean' | 'string'
  short?: string
  /** What a string option's value is, as the usage names it: FILE, DIR, N. */
  value?: string
  /** What it does, for the usage (more lines after a newline). */
  help: string
}

export type Options = Record<string, Option>

export interface Operands {
  /** As the usage shows them: 'FILE OFFSET [LENGTH]', '[suite ...]'. */
  names: string
  min: number
  max: number
  /**
   * The places (from 0) of operands that are numbers and may be negative:
   * there "-5" is the number; anywhere else it is an unknown option.
   */
  numbers?: number[]
}

export const NO_OPERANDS: Operands = { names: '', min: 0, max: 0 }

export interface CommandLine<O extends Options = Options> {
  /** One line (or more) for the list of commands it belongs to. */
  summary: string
  options: O
  operands: Operands
  /** Its forms after "mman <command>", where the table's own would not say it (default: operands and options). */
  synopsis?: string[]
  /** Text after the synopsis. */
  about?: string
  /** Text after the options. */
  notes?: string
}

/** Every command takes --help. */
export const HELP_OPTION: Option = { type: 'boolean', short: 'h', help: 'this text' }

/** The values a table's options take (either kind, where the table is not known). */
type Values<O extends Options> = {
  [K in keyof O]?: O[K]['type'] extends 'boolean' ? boolean : O[K]['type'] extends 'string' ? string : string | boolean
} & { help?: boolean }

export interface Args<O extends Options = Options> {
  values: Values<O>
  operands: string[]
  /** The arguments as given. */
  argv: string[]
}

/** A command line the command cannot run: the message, then the command's usage. */
export class UsageError extends Error {}

// parseArgs reads "-5" as an option: before parsing, an argument that looks
// like a negative number is marked so that it parses as a value, and the mark
// is taken off again after.
const NEGATIVE_NUMBER = /^-\d/
const MARK = '\u0000'
const unmark = (text: string) => (text.startsWith(MARK) ? text.slice(MARK.length) : text)

/** parseArgs's complaint in the house's words ("unknown option --nope", "--json needs a value"). */
function complaint(error: Error): string {
  const message = error.message
  const unknown = /^Unknown option '([^']+)'/.exec(message)
  if (unknown) return `unknown option ${unknown[1]}`
  const option = /^Option '(?:-\w, )?(--[^ ']+)/.exec(message)?.[1]
  if (option !== undefined && /argument missing|argument is ambiguous/.test(message)) return `${option} needs a value`
  if (option !== undefined && /does not take an argument/.test(message)) return `${option} takes no value`
  return message.split('\n')[0]!
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

/** The command line read by `line`'s table; throws a UsageError for anything it does not take. */
export function readArgs<O extends Options>(line: CommandLine<O>, argv: string[]): Args<O> {
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length
  const args = argv.map((arg, i) => (i < end && NEGATIVE_NUMBER.test(arg) ? MARK + arg : arg))
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({ args, options: { ...line.options, help: HELP_OPTION }, allowPositionals: true, strict: true })
  } catch (error) {
    if (
      typeof (error as { code?: unknown }).code === 'string' &&
      (error as { code: string }).code.startsWith('ERR_PARSE_ARGS_')
    ) {
      throw new UsageError(complaint(error as Error))
    }
    throw error
  }
  const { operands: spec } = line
  parsed.positionals.forEach((operand, place) => {
    if (operand.startsWith(MARK) && !spec.numbers?.includes(place))
      throw new UsageError(`unknown option ${unmark(operand)}`)
  })
  const operands = parsed.positionals.map(unmark)
  const values = Object.fromEntries(
    Object.entries(parsed.values).map(([name, value]) => [name, typeof value === 'string' ? unmark(value) : value]),
  )
  const empty = Object.keys(values).find((name) => values[name] === '')
  if (empty !== undefined) throw new UsageError(`--${empty} needs a value`)
  if (values.help !== true && (operands.length < spec.min || operands.length > spec.max)) {
    throw new UsageError(
      spec.max === 0
        ? `takes no arguments, not '${operands.join(' ')}'`
        : `takes ${spec.names}, not ${plural(operands.length, 'argument')}`,
    )
  }
  return { values: values as Values<O>, operands, argv }
}
