// What a suite produces: measured rows (the data everything else is computed
// from), rows it could not measure, and its presentation (blocks: tables,
// conclusions, a chart).
import type { Block } from './blocks.js'
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
  messageBytes?: number
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
  messageBytes?: number
  [extra: string]: unknown
}

/** What a suite shows, computed from its rows alone (so a saved run renders the same). */
export interface Presentation {
  title: string
  /** Its section of the report, one chart among them. */
  blocks: Block[]
  conclusions: string[]
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
