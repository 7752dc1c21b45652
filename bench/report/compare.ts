// Two saved runs side by side, row by row (what `mman bench compare` prints):
// two machines, two kernels, two versions of mman. Each row's
// ratio is B's median time over A's, and its verdict (faster, slower, within
// noise) comes from the two rows' min/median/max (verdict.ts).
import { machineLine } from './machine.js'
import { heading, paragraph, table, type Block } from './blocks.js'
import { duration, fmt } from './format.js'
import { spreadOf, unmeasuredText, type Row, type Unmeasured } from './rows.js'
import { ResultsFileError, rowKey, type ResultsFile } from './results-file.js'
import { compareSpreads, relationText, type Direction } from './verdict.js'

interface SideSummary {
  path: string
  machine: string
  createdAt: string
  command: string
}

interface RowComparison {
  key: string
  label: string
  a?: { min: number; median: number; max: number; reps: number }
  b?: { min: number; median: number; max: number; reps: number }
  /** Why a side has no figures ("not installed: npm i …"), or that it lacks the row altogether. */
  aMissing?: string
  bMissing?: string
  /** B's median over A's, when both measured it. */
  ratio?: number
  verdict?: Direction
  text?: string
}

export interface Comparison {
  a: SideSummary
  b: SideSummary
  suites: { suite: string; rows: RowComparison[] }[]
  suitesOnlyIn: { a: string[]; b: string[] }
  counts: Record<Direction, number>
}

const caseText = (row: Row | Unmeasured) =>
  [
    row.sizeMiB === undefined ? '' : `${String(row.sizeMiB)} MiB`,
    row.messageBytes === undefined ? '' : `${String(row.messageBytes)} B`,
  ]
    .filter(Boolean)
    .join(', ')
const labelOf = (row: Row | Unmeasured) => [row.label ?? row.mode, caseText(row)].filter(Boolean).join(', ')
const measured = (row: Row) => ({ min: row.minMs, median: row.medianMs, max: row.maxMs, reps: row.reps })

function side(path: string, file: ResultsFile): SideSummary {
  return {
    path,
    machine: machineLine(file.machine, file.node, file.mman),
    createdAt: file.createdAt,
    command: file.command,
  }
}

/** Row by row; throws ResultsFileError when the two runs cannot be compared. */
export function compareResults(a: ResultsFile, b: ResultsFile, pathA: string, pathB: string): Comparison {
  if (a.options.quick !== b.options.quick) {
    const [quick, full] = a.options.quick ? [pathA, pathB] : [pathB, pathA]
    throw new ResultsFileError(
      `${quick} is a --quick smoke run and ${full} a full run: their sizes and repetitions differ, so their rows do not compare`,
    )
  }
  const suitesB = new Map(b.suites.map((s) => [s.suite, s]))
  const common = a.suites.filter((s) => suitesB.has(s.suite))
  if (common.length === 0) {
    throw new ResultsFileError(
      `${pathA} (suites: ${a.suites.map((s) => s.suite).join(', ') || 'none'}) and ${pathB} (suites: ${b.suites.map((s) => s.suite).join(', ') || 'none'}) have no suite in common`,
    )
  }
  const counts: Record<Direction, number> = { faster: 0, slower: 0, 'within noise': 0 }
  const suites = common.map((sectionA) => {
    const sectionB = suitesB.get(sectionA.suite)!
    const entries = (section: typeof sectionA) =>
      new Map<string, Row | Unmeasured>([...section.rows, ...section.unmeasured].map((r) => [rowKey(r), r]))
    const [inA, inB] = [entries(sectionA), entries(sectionB)]
    const keys = [...inA.keys(), ...[...inB.keys()].filter((key) => !inA.has(key))]
    const rows = keys.map((key): RowComparison => {
      const [ra, rb] = [inA.get(key), inB.get(key)]
      const row: RowComparison = { key, label: labelOf((ra ?? rb)!) }
      const missing = (entry: Row | Unmeasured | undefined, other: string) =>
        entry === undefined ? `not in ${other}` : 'status' in entry ? unmeasuredText(entry as Unmeasured) : undefined
      row.aMissing = missing(ra, 'A')
      row.bMissing = missing(rb, 'B')
      if (row.aMissing === undefined) row.a = measured(ra as Row)
      if (row.bMissing === undefined) row.b = measured(rb as Row)
      if (row.a && row.b) {
        const comparison = compareSpreads(spreadOf(rb as Row), spreadOf(ra as Row))
        row.ratio = comparison.ratio
        row.verdict = comparison.direction
        row.text = relationText(comparison)
        counts[comparison.direction]++
      }
      return row
    })
    return { suite: sectionA.suite, rows }
  })
  if (Object.values(counts).every((n) => n === 0))
    throw new ResultsFileError(`${pathA} and ${pathB} have no measured row in common`)
  return {
    a: side(pathA, a),
    b: side(pathB, b),
    suites,
    suitesOnlyIn: {
      a: a.suites.filter((s) => !suitesB.has(s.suite)).map((s) => s.suite),
      b: b.suites.filter((s) => !a.suites.some((x) => x.suite === s.suite)).map((s) => s.suite),
    },
    counts,
  }
}

const figure = (value: RowComparison['a']) =>
  value === undefined ? '' : `${duration(value.median)} [${duration(value.min)}–${duration(value.max)}]`

/** The comparison as a report: the two runs, then each suite's rows side by side, then the count of verdicts. */
export function comparisonBlocks(comparison: Comparison): Block[] {
  const { a, b } = comparison
  const blocks = [
    heading(1, 'mman bench compare'),
    table(
      ['', 'A', 'B'],
      [
        ['file', a.path, b.path],
        ['machine', a.machine, b.machine],
        ['recorded', a.createdAt, b.createdAt],
        ['command', a.command, b.command],
      ],
      true,
    ),
    paragraph(
      "Times are each row's main measure (median [min–max] over its repetitions). B/A is B's median over A's: below 1, B took less time. " +
        "B is faster or slower when each median lies beyond the other's whole range; anything less is within noise.",
    ),
  ]
  for (const suite of comparison.suites) {
    blocks.push(heading(2, suite.suite))
    blocks.push(
      table(
        ['row', 'A', 'B', 'B/A', 'B vs A'],
        suite.rows.map((row) => [
          row.label,
          row.aMissing ?? figure(row.a),
          row.bMissing ?? figure(row.b),
          row.ratio === undefined ? '–' : `${fmt(row.ratio)}×`,
          row.text ?? '–',
        ]),
      ),
    )
  }
  for (const [which, suites] of Object.entries(comparison.suitesOnlyIn)) {
    if (suites.length > 0) blocks.push(paragraph(`Only in ${which.toUpperCase()}: ${suites.join(', ')}.`))
  }
  const { counts } = comparison
  blocks.push(
    paragraph(
      `B is faster in ${counts.faster} rows, slower in ${counts.slower}, within noise in ${counts['within noise']}.`,
    ),
  )
  return blocks
}
