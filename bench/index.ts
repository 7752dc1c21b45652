// `mman bench [suite] [options]`: runs the benchmark suites and reports.
import { fileSuite } from './file.js'
import { ipcSuite } from './ipc.js'
import { loopSuite } from './loop.js'
import { machineLine, parseArgs, UsageError, type BenchOptions } from './options.js'
import { overheadSuite } from './overhead.js'
import { writeOutputs, type SuiteResult } from './report.js'
import { seedCommand } from './seed.js'
import { zeroingSuite } from './zeroing.js'

const SUITES: Record<string, (options: BenchOptions) => Promise<SuiteResult>> = {
  zeroing: zeroingSuite,
  file: fileSuite,
  overhead: overheadSuite,
  ipc: ipcSuite,
  loop: loopSuite,
}

export const benchUsage = `Usage: mman bench [suite ...] [options]

Suites (default: all five):
  zeroing     the seed blog's malloc-vs-mmap experiment, modes A-G plus JS, with page-fault counts
  file        one sequential scan of a cached file, random reads of a sparse file, vs fs and mmap-io
  overhead    ns per mmap + munmap pair: C loop, both mman layers, mmap-io, koffi
  loop        event-loop delay while syncAsync / populateAsync / futexWaitAsync run, vs blocking forms
  ipc         parent/child round trips and throughput: mman Channel vs process.send, postMessage, shm-typed-array
  seed [MB]   the blog program's own output (add --explain for the fault counts)

Options:
  --quick          small sizes and few repetitions (a smoke run, under 30 s)
  --reps N         repetitions per mode (default 15)
  --sizes 1,16     zeroing sizes in MiB (default 1,16,100,1024)
  --in-process     run trials in this process instead of a fresh one each
  --json FILE      write the rows as JSON
  --svg FILE       write charts (FILE-<suite>.svg when several suites run)
`

export async function bench(argv: string[]): Promise<number> {
  let parsed
  try {
    parsed = parseArgs(argv.filter((a) => a !== '--explain'))
    if (parsed.words[0] === 'seed') return seedCommand(parsed.words.slice(1), argv.includes('--explain'))
    const unknown = parsed.words.find((word) => !Object.hasOwn(SUITES, word))
    if (unknown !== undefined) throw new UsageError(`unknown suite '${unknown}'`)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`mman bench: ${error.message}\n\n${benchUsage}`)
    return 2
  }
  const names = parsed.words.length > 0 ? parsed.words : Object.keys(SUITES)
  process.stdout.write(`# mman benchmarks\n\n${machineLine()}${parsed.options.quick ? ' — quick smoke run: sizes and repetitions too small for conclusions' : ''}\n\n`)
  const results: SuiteResult[] = []
  for (const name of names) {
    const result = await SUITES[name]!(parsed.options)
    process.stdout.write(`${result.markdown}\n`)
    results.push(result)
  }
  writeOutputs(results, parsed.options.json, parsed.options.svg)
  return 0
}
