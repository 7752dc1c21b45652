// `mman bench [suite ...] [options]`: runs the benchmark suites and reports;
// its subcommands read saved runs (compare, render) or run the seed's program (seed).
import { heading, paragraph } from '../../../report/blocks.js'
import { machineLine, thisMachine } from '../../../report/machine.js'
import type { SuiteResult } from '../../../report/rows.js'
import { resultsFile, type RunOptions } from '../../../report/results-file.js'
import { unitsOf } from '../../../report/units.js'
import { mmanVersion } from '../../../package.js'
import { SUITES } from '../../../suites/index.js'
import { UsageError, type Args } from '../../args.js'
import type { Command } from '../../command.js'
import { checkOutputs, printSection, writeOutputs } from '../../outputs.js'
import { compare } from './compare.js'
import { render } from './render.js'
import { seed } from './seed.js'

const OPTIONS = {
  quick: { type: 'boolean', help: 'small sizes and few repetitions (a smoke run, under 30 s)' },
  reps: { type: 'string', value: 'N', help: 'repetitions per mode (default 15)' },
  sizes: { type: 'string', value: 'LIST', help: 'zeroing sizes in MiB, comma-separated (default 1,16,100,1024)' },
  'in-process': { type: 'boolean', help: 'run trials in this process instead of a fresh one each' },
  json: { type: 'string', value: 'FILE', help: 'write the results file (rows, units, machine, versions) to FILE' },
  svg: { type: 'string', value: 'DIR', help: "write each suite's chart to DIR/bench-<suite>.svg" },
  report: {
    type: 'string',
    value: 'DIR',
    help: 'write DIR/report.html (one self-contained page: machine, tables,\ncharts, conclusions) and DIR/results.json',
  },
} as const

function positiveNumbers(text: string, flag: string): number[] {
  const values = text.split(',').map((part) => Number(part.trim()))
  if (values.some((value) => !Number.isFinite(value) || value <= 0)) {
    throw new UsageError(`${flag} takes a comma-separated list of positive numbers, not '${text}'`)
  }
  return values
}

function runOptions({ values }: Args<typeof OPTIONS>): RunOptions {
  const options: RunOptions = { quick: values.quick === true, inProcess: values['in-process'] === true }
  if (values.reps !== undefined) {
    const reps = Number(values.reps)
    if (!/^\d+$/.test(values.reps) || reps < 1)
      throw new UsageError(`--reps takes a positive integer, not '${values.reps}'`)
    options.reps = reps
  }
  if (values.sizes !== undefined) options.sizesMiB = positiveNumbers(values.sizes, '--sizes')
  return options
}

async function run(args: Args<typeof OPTIONS>): Promise<number> {
  const options = runOptions(args)
  const unknown = args.operands.find((word) => !Object.hasOwn(SUITES, word))
  if (unknown !== undefined) throw new UsageError(`unknown suite '${unknown}'`)
  const outputs = { json: args.values.json, svg: args.values.svg, report: args.values.report }
  checkOutputs(outputs)
  const names = args.operands.length > 0 ? [...new Set(args.operands)] : Object.keys(SUITES)
  const machine = thisMachine()
  const quick = options.quick ? ' — quick smoke run: sizes and repetitions too small for conclusions' : ''
  printSection([
    heading(1, 'mman benchmarks'),
    paragraph(`${machineLine(machine, process.version, mmanVersion)}${quick}`),
  ])
  const results: SuiteResult[] = []
  for (const name of names) {
    const result = await SUITES[name]!.run(options)
    printSection(result.blocks)
    results.push(result)
  }
  const file = resultsFile(results, {
    command: ['mman bench', ...args.argv].join(' '),
    options,
    machine,
    mman: mmanVersion,
    node: process.version,
    createdAt: new Date(),
  })
  for (const line of writeOutputs(file, new Map(results.map((r) => [r.suite, r])), outputs))
    process.stderr.write(`${line}\n`)
  const unnamed = [...new Set(results.flatMap((r) => unitsOf(r.rows).unknown))]
  if (unnamed.length > 0)
    process.stderr.write(
      `mman bench: row fields with no unit in bench/report/units.ts (the results file leaves them out of "units"): ${unnamed.join(', ')}\n`,
    )
  return 0
}

export const bench: Command<typeof OPTIONS> = {
  line: {
    summary: `run benchmark suites: ${Object.keys(SUITES).join(', ')} (default: all)`,
    options: OPTIONS,
    operands: { names: '[suite ...]', min: 0, max: Infinity },
    about: `Suites (default: all five):\n${Object.entries(SUITES)
      .map(([name, suite]) => `  ${name.padEnd(10)}  ${suite.summary}`)
      .join('\n')}`,
    notes: 'Output paths are checked before anything runs; each file written is named on stderr.',
  },
  run,
  subcommands: { title: 'Other forms', forms: true, commands: { seed, compare, render } },
}
