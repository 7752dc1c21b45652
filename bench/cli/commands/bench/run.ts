// `mman bench [suite ...] [options]`: runs the benchmark suites and reports.
import { machineLine, thisMachine } from '../../../report/machine.js'
import type { SuiteResult } from '../../../report/rows.js'
import { resultsFile } from '../../../report/results-file.js'
import { unitsOf } from '../../../report/units.js'
import { mmanVersion } from '../../../package.js'
import { SUITES } from '../../../suites/index.js'
import { parseArgs, UsageError } from '../../args.js'
import { checkOutputs, writeOutputs } from '../../outputs.js'
import { compareCommand, compareUsage } from './compare.js'
import { renderCommand } from './render.js'
import { seedCommand } from './seed.js'

export const benchUsage = `Usage: mman bench [suite ...] [options]
       mman bench seed [MB] [--explain]
       mman bench compare A.json B.json [--json]
       mman bench render RUN.json [--svg DIR] [--report DIR]

Suites (default: all five):
${Object.entries(SUITES)
  .map(([name, suite]) => `  ${name.padEnd(10)}  ${suite.summary}`)
  .join('\n')}

Options:
  --quick          small sizes and few repetitions (a smoke run, under 30 s)
  --reps N         repetitions per mode (default 15)
  --sizes 1,16     zeroing sizes in MiB (default 1,16,100,1024)
  --in-process     run trials in this process instead of a fresh one each
  --json FILE      write the results file (rows, units, machine, versions) to FILE
  --svg DIR        write each suite's chart to DIR/bench-<suite>.svg
  --report DIR     write DIR/report.html (one self-contained page: machine, tables,
                   charts, conclusions) and DIR/results.json
  --help           this text
Output paths are checked before anything runs; each file written is named on stderr.

Other forms:
  seed [MB]        the blog program's own output for MB megabytes (default 100;
                   --explain adds the fault counts)
  compare A B      per row, B's time over A's and whether it is faster, slower or
                   within noise: two machines, kernels or versions (mman bench compare --help)
  render RUN.json  print the report of a saved run again, and write its charts
                   (--svg DIR) and page (--report DIR), without running anything
`

export async function bench(argv: string[]): Promise<number> {
  try {
    return await runBench(argv)
  } catch (error) {
    // Every usage complaint from here down shows the bench usage.
    if (error instanceof UsageError && error.usage === undefined) throw new UsageError(error.message, benchUsage)
    throw error
  }
}

async function runBench(argv: string[]): Promise<number> {
  if (argv[0] === 'compare') {
    if (argv.includes('--help') || argv.includes('-h')) return print(compareUsage)
    return compareCommand(argv.slice(1))
  }
  if (argv.includes('--help') || argv.includes('-h')) return print(benchUsage)
  if (argv[0] === 'seed') {
    const rest = argv.slice(1)
    const unknown = rest.find((arg) => arg.startsWith('-') && arg !== '--explain')
    if (unknown !== undefined) throw new UsageError(`seed takes [MB] [--explain], not '${unknown}'`)
    const words = rest.filter((arg) => arg !== '--explain')
    if (words.length > 1) throw new UsageError(`seed takes one size in MB, not '${words.join(' ')}'`)
    return seedCommand(words, rest.includes('--explain'))
  }
  if (argv[0] === 'render') return renderCommand(argv.slice(1))
  const parsed = parseArgs(argv)
  const unknown = parsed.words.find((word) => !Object.hasOwn(SUITES, word))
  if (unknown !== undefined) throw new UsageError(`unknown suite '${unknown}'`)
  checkOutputs(parsed.options)
  const names = parsed.words.length > 0 ? [...new Set(parsed.words)] : Object.keys(SUITES)
  const machine = thisMachine()
  const mman = mmanVersion
  process.stdout.write(`# mman benchmarks\n\n${machineLine(machine, process.version, mman)}${parsed.options.quick ? ' — quick smoke run: sizes and repetitions too small for conclusions' : ''}\n\n`)
  const results: SuiteResult[] = []
  for (const name of names) {
    const result = await SUITES[name]!.run(parsed.options)
    process.stdout.write(`${result.markdown}\n`)
    results.push(result)
  }
  const file = resultsFile(results, {
    command: ['mman bench', ...argv].join(' '),
    options: parsed.options,
    machine,
    mman,
    node: process.version,
    createdAt: new Date(),
  })
  for (const line of writeOutputs(file, new Map(results.map((r) => [r.suite, r])), parsed.options)) process.stderr.write(`${line}\n`)
  const unnamed = [...new Set(results.flatMap((r) => unitsOf(r.rows).unknown))]
  if (unnamed.length > 0) process.stderr.write(`mman bench: row fields with no unit in bench/report/units.ts (the results file leaves them out of "units"): ${unnamed.join(', ')}\n`)
  return 0
}

function print(text: string): number {
  process.stdout.write(text)
  return 0
}


