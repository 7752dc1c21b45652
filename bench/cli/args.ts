// Command-line options shared by the benchmark suites.
import type { RunOptions } from '../report/results-file.js'

export interface BenchOptions extends RunOptions {
  json?: string
  /** A directory: charts go to DIR/bench-<suite>.svg. */
  svg?: string
  /** A directory: the HTML page and the results file go there. */
  report?: string
}

export interface ParsedArgs {
  /** The words that are not options: suite names, or `seed` and its size. */
  words: string[]
  options: BenchOptions
}

/** A command line the command cannot run: the message, and the usage text to print after it. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message)
  }
}

function positiveNumbers(text: string, flag: string): number[] {
  const values = text.split(',').map((part) => Number(part.trim()))
  if (values.length === 0 || values.some((value) => !Number.isFinite(value) || value <= 0)) {
    throw new UsageError(`${flag} takes a comma-separated list of positive numbers, not '${text}'`)
  }
  return values
}

export function parseArgs(argv: string[]): ParsedArgs {
  const options: BenchOptions = { quick: false, inProcess: false }
  const words: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    const value = () => {
      const next = argv[++i]
      if (next === undefined) throw new UsageError(`${arg} needs a value`)
      return next
    }
    switch (arg) {
      case '--quick':
        options.quick = true
        break
      case '--in-process':
        options.inProcess = true
        break
      case '--json':
        options.json = value()
        break
      case '--svg':
        options.svg = value()
        break
      case '--report':
        options.report = value()
        break
      case '--reps': {
        const reps = Number(value())
        if (!Number.isInteger(reps) || reps < 1) throw new UsageError('--reps takes a positive integer')
        options.reps = reps
        break
      }
      case '--sizes':
        options.sizesMiB = positiveNumbers(value(), '--sizes')
        break
      default:
        if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}`)
        words.push(arg)
    }
  }
  return { words, options }
}
