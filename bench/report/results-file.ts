// The results file `mman bench --json` writes and `compare` / `render` read:
// format "mman-bench-results", version 1. One JSON object:
//
//   format, version      "mman-bench-results", 1
//   createdAt            ISO 8601 time the run finished
//   command              the mman bench command line that produced it
//   mman, node           versions (package.json's, process.version)
//   machine              CPU, core count, memory, kernel, arch, page size, THP modes, glibc (machine.ts)
//   options              quick, reps, sizesMiB, inProcess as given
//   suites[]             suite, title, units (row field -> unit), rows, unmeasured, conclusions
//
// Each row (report.ts) names itself by suite, mode and its case fields
// (sizeMiB, messageBytes) and carries minMs/medianMs/maxMs over its `reps`
// repetitions, plus suite fields whose units `units` gives. `unmeasured` lists
// what could not be measured (a peer not installed, a case a method cannot do).
// Rows may gain fields within a version (the ipc rows' `conditions` did): a
// reader ignores fields it does not know, and a presenter says when a field is
// missing rather than assume it. A change to what an existing field means, or
// a field every reader must have, takes a new version.
import { readFileSync } from 'node:fs'
import type { Machine } from './machine.js'
import type { Row, SuiteResult, Unmeasured } from './rows.js'
import { unitsOf } from './units.js'

export const RESULTS_FORMAT = 'mman-bench-results'
const RESULTS_VERSION = 1

interface SuiteSection {
  suite: string
  title: string
  units: Record<string, string>
  rows: Row[]
  unmeasured: Unmeasured[]
  conclusions: string[]
}

/** How the suites were run, as given on the command line. */
export interface RunOptions {
  /** Small sizes and few repetitions: a smoke run, too small for conclusions. */
  quick: boolean
  /** Repetitions per mode (each suite has its default). */
  reps?: number
  /** The zeroing suite's sizes in MiB. */
  sizesMiB?: number[]
  /** Each trial in this process instead of a fresh one. */
  inProcess: boolean
}

export interface ResultsFile {
  format: typeof RESULTS_FORMAT
  version: typeof RESULTS_VERSION
  createdAt: string
  command: string
  mman: string
  node: string
  machine: Machine
  options: RunOptions
  suites: SuiteSection[]
}

export interface RunContext {
  command: string
  options: RunOptions
  machine: Machine
  mman: string
  node: string
  createdAt: Date
}

export function resultsFile(results: SuiteResult[], context: RunContext): ResultsFile {
  const { quick, reps, sizesMiB, inProcess } = context.options
  return {
    format: RESULTS_FORMAT,
    version: RESULTS_VERSION,
    createdAt: context.createdAt.toISOString(),
    command: context.command,
    mman: context.mman,
    node: context.node,
    machine: context.machine,
    options: { quick, reps, sizesMiB, inProcess },
    suites: results.map((r) => ({
      suite: r.suite,
      title: r.title,
      units: unitsOf(r.rows).units,
      rows: r.rows,
      unmeasured: r.unmeasured,
      conclusions: r.conclusions,
    })),
  }
}

/** The name of a row within its suite, the same in every run that measured the same case: "mmap-memset1 @ 100 MiB". */
export function rowKey(row: Row | Unmeasured): string {
  const cases = [
    row.sizeMiB === undefined ? '' : ` @ ${row.sizeMiB} MiB`,
    row.messageBytes === undefined ? '' : ` @ ${String(row.messageBytes)} B`,
  ]
  return `${row.mode}${cases.join('')}`
}

/** A results file that cannot be used, and why (its message names the file). */
export class ResultsFileError extends Error {}

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

function check(condition: boolean, source: string, where: string, what: string): asserts condition {
  if (!condition) throw new ResultsFileError(`${source}: ${where} ${what}`)
}

const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)
const isStringOrNull = (value: unknown) => value === null || typeof value === 'string'

function checkRow(row: unknown, suite: string, source: string, where: string): void {
  check(isObject(row), source, where, 'is not an object')
  check(row.suite === suite, source, `${where}.suite`, `is not '${suite}', the suite it is listed under`)
  check(typeof row.mode === 'string' && row.mode !== '', source, `${where}.mode`, 'is not a name')
  check(isFiniteNumber(row.reps) && row.reps >= 0, source, `${where}.reps`, 'is not a count')
  for (const field of ['minMs', 'medianMs', 'maxMs'])
    check(isFiniteNumber(row[field]), source, `${where}.${field}`, 'is not a number')
  const [min, median, max] = [row.minMs, row.medianMs, row.maxMs] as number[]
  check(
    min! <= median! && median! <= max!,
    source,
    where,
    `has minMs ${min} / medianMs ${median} / maxMs ${max} out of order`,
  )
}

function checkUnmeasured(entry: unknown, suite: string, source: string, where: string): void {
  check(isObject(entry), source, where, 'is not an object')
  check(entry.suite === suite, source, `${where}.suite`, `is not '${suite}'`)
  check(typeof entry.mode === 'string' && typeof entry.label === 'string', source, where, 'has no mode or label')
  check(
    entry.status === 'not installed' || entry.status === 'failed',
    source,
    `${where}.status`,
    "is neither 'not installed' nor 'failed'",
  )
  check(typeof entry.detail === 'string', source, `${where}.detail`, 'is not text')
}

/** Parses and checks a results file; `source` names it in errors. */
export function parseResults(text: string, source: string): ResultsFile {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new ResultsFileError(`${source} is not JSON (${(error as Error).message})`)
  }
  if (Array.isArray(data)) {
    throw new ResultsFileError(
      `${source} is a bare list of rows, written by mman bench before results format ${RESULTS_VERSION}: it names no machine or versions. ` +
        'Run mman bench --json again to get a file compare can use.',
    )
  }
  check(
    isObject(data) && data.format === RESULTS_FORMAT,
    source,
    'is',
    `not an mman bench results file (no "format": "${RESULTS_FORMAT}")`,
  )
  check(
    data.version === RESULTS_VERSION,
    source,
    'is',
    `results format version ${JSON.stringify(data.version)}; this mman reads version ${RESULTS_VERSION}`,
  )
  for (const field of ['createdAt', 'command', 'mman', 'node'])
    check(typeof data[field] === 'string', source, field, 'is not text')
  const machine = data.machine
  check(isObject(machine), source, 'machine', 'is not an object')
  check(
    isStringOrNull(machine.cpu) && isFiniteNumber(machine.cpus) && isFiniteNumber(machine.memoryBytes),
    source,
    'machine',
    'lacks cpu, cpus or memoryBytes',
  )
  check(
    typeof machine.kernel === 'string' && typeof machine.arch === 'string',
    source,
    'machine',
    'lacks kernel or arch',
  )
  check(
    isStringOrNull(machine.thp) && isStringOrNull(machine.thpShmem) && isStringOrNull(machine.glibc),
    source,
    'machine',
    'has a THP mode or glibc that is not text',
  )
  check(
    isObject(data.options) && typeof data.options.quick === 'boolean',
    source,
    'options.quick',
    'is not true or false',
  )
  check(Array.isArray(data.suites), source, 'suites', 'is not a list')
  const seen = new Set<string>()
  data.suites.forEach((section: unknown, i: number) => {
    const where = `suites[${i}]`
    check(isObject(section) && typeof section.suite === 'string', source, where, 'has no suite name')
    check(!seen.has(section.suite), source, where, `repeats suite '${section.suite}'`)
    seen.add(section.suite)
    check(Array.isArray(section.rows) && Array.isArray(section.unmeasured), source, where, 'lacks rows or unmeasured')
    check(
      isObject(section.units) && Array.isArray(section.conclusions) && typeof section.title === 'string',
      source,
      where,
      'lacks units, title or conclusions',
    )
    section.rows.forEach((row: unknown, j: number) =>
      checkRow(row, section.suite as string, source, `${where}.rows[${j}]`),
    )
    section.unmeasured.forEach((entry: unknown, j: number) =>
      checkUnmeasured(entry, section.suite as string, source, `${where}.unmeasured[${j}]`),
    )
    const keys = new Set<string>()
    for (const row of [...(section.rows as Row[]), ...(section.unmeasured as Unmeasured[])]) {
      const key = rowKey(row)
      check(!keys.has(key), source, where, `has two rows named '${key}'`)
      keys.add(key)
    }
  })
  return data as unknown as ResultsFile
}

export function readResults(path: string): ResultsFile {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException
    throw new ResultsFileError(
      code === 'ENOENT' ? `${path} does not exist` : code === 'EISDIR' ? `${path} is a directory` : message,
    )
  }
  return parseResults(text, path)
}
