// What a suite produces: measured rows (the data everything else is computed
// from), rows it could not measure, and its presentation (markdown tables,
// conclusions, a chart). Plus the text formatting the suites share.
import type { Spread } from './verdict.js'

/**
 * One measured row. Every suite writes at least these fields; `minMs`,
 * `medianMs` and `maxMs` summarize the row's `reps` repetitions of its main
 * measure, a time (lower is better): the lowest, median and highest
 * per-repetition value. Other fields carry the units in their names (see units.ts).
 */
export interface Row {
  suite: string
  /** Which method or mode; with the case fields (sizeMiB, messageBytes) it names the row. */
  mode: string
  label?: string
  sizeMiB?: number
  reps: number
  minMs: number
  medianMs: number
  maxMs: number
  [extra: string]: unknown
}

/** A row that has no figures: a peer package that is not installed, or a case a method cannot do. */
export interface Unmeasured {
  suite: string
  mode: string
  label: string
  status: 'not installed' | 'failed'
  /** For 'not installed', the command that installs it; for 'failed', the error. */
  detail: string
  sizeMiB?: number
  [extra: string]: unknown
}

/** What a suite shows, computed from its rows alone (so a saved run renders the same). */
export interface Presentation {
  title: string
  markdown: string
  conclusions: string[]
  svg: string
}

/** A finished suite. */
export interface SuiteResult extends Presentation {
  suite: string
  rows: Row[]
  unmeasured: Unmeasured[]
}

/** The row a peer would have had, when its package is missing. */
export function notInstalled(suite: string, mode: string, label: string, packageName: string): Unmeasured {
  return { suite, mode, label, status: 'not installed', detail: `npm i ${packageName}` }
}

/** "not installed: npm i shm-typed-array", "failed: mmap failed, 22" */
export const unmeasuredText = (entry: Unmeasured) => `${entry.status}: ${entry.detail}`

export const spreadOf = (row: Row): Spread => ({ min: row.minMs, median: row.medianMs, max: row.maxMs })

/** A markdown table: the first column left-aligned, the others right-aligned (figures) unless `textColumns`. */
/** The markdown section every suite ends with: its conclusions as a list. */
export function conclusionsSection(conclusions: string[]): string[] {
  return ['### What the numbers say', '', ...conclusions.map((c) => `- ${c}`), '']
}

export function table(headers: string[], rows: (string | number)[][], textColumns = false): string {
  const lines = [`| ${headers.join(' | ')} |`, `|${headers.map((_, i) => (i === 0 || textColumns ? '---' : '---:')).join('|')}|`]
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`)
  return lines.join('\n')
}

/** A number with about three significant digits. */
export function fmt(value: number | undefined, digits = 3): string {
  if (value === undefined || !Number.isFinite(value)) return '–'
  if (value === 0) return '0'
  const magnitude = Math.floor(Math.log10(Math.abs(value)))
  const decimals = Math.max(0, digits - 1 - magnitude)
  return value.toFixed(Math.min(decimals, 6))
}

/** "median [min–max]" */
export function spread(median: number, min: number, max: number, digits = 3): string {
  return `${fmt(median, digits)} [${fmt(min, digits)}–${fmt(max, digits)}]`
}

export function ratioText(median: number, min: number, max: number): string {
  return `${fmt(median)}× [${fmt(min)}–${fmt(max)}]`
}

/** A time in ms written in the unit that suits it: "2.89 µs", "65.9 ms", "1.20 s". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '–'
  if (ms >= 1000) return `${fmt(ms / 1000)} s`
  if (ms >= 1) return `${fmt(ms)} ms`
  if (ms >= 0.001) return `${fmt(ms * 1e3)} µs`
  return `${fmt(ms * 1e6)} ns`
}
