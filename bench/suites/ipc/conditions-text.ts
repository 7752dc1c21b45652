// What decided a set of ipc runs, in words, from the `conditions` their rows
// carry (conditions.ts): whether the machine was idle (never said
// unchecked), where the two ends sat, which wait engine each end used. A row
// from a results file written before these were recorded has none, and the
// text says so.
import { IDLE_OTHERS_RUNNABLE, idleRun, type RunConditions } from './conditions.js'
import { fmt } from '../../report/format.js'
import type { Row } from '../../report/rows.js'

export const conditionsOf = (row: Row): RunConditions[] =>
  Array.isArray(row.conditions) ? (row.conditions as RunConditions[]) : []

/** Several samplings of one run (the pair samples each of its transports apart) as one: samples pooled. */
function pooled(parts: RunConditions[]): RunConditions {
  const samples = parts.reduce((n, part) => n + part.samples, 0)
  const weighted = (value: (part: RunConditions) => number) =>
    samples === 0 ? 0 : parts.reduce((n, part) => n + value(part) * part.samples, 0) / samples
  const placed = parts.filter((part) => part.sameCpuShare !== null)
  return {
    ...parts[0]!,
    samples,
    othersRunnableMean: weighted((part) => part.othersRunnableMean),
    sameCpuShare: placed.length === 0 ? null : weighted((part) => part.sameCpuShare ?? 0),
  }
}

/**
 * The runs behind `rows`, one entry per pair of processes: each stand-alone
 * row's runs are pairs of their own; the pair's rows share theirs, run i of
 * every pair row being the same processes.
 */
export function runsOf(rows: Row[]): RunConditions[] {
  const alone = rows.filter((row) => row.scenario !== 'pair').flatMap(conditionsOf)
  const pair = rows.filter((row) => row.scenario === 'pair').map(conditionsOf)
  const pairRuns = Math.max(0, ...pair.map((runs) => runs.length))
  return [
    ...alone,
    ...Array.from({ length: pairRuns }, (_, i) => pooled(pair.flatMap((runs) => (runs[i] ? [runs[i]] : [])))),
  ]
}

const percent = (share: number) => `${fmt(100 * share, 2)} %`

/** "idle machine", "busy machine: …", or "machine load not recorded", for the runs of `rows`. */
export function machineState(rows: Row[]): string {
  if (rows.length === 0 || rows.some((row) => conditionsOf(row).length === 0)) return 'machine load not recorded'
  const all = runsOf(rows)
  const busy = all.filter((run) => !idleRun(run))
  if (busy.length === 0) return 'idle machine'
  const worst = Math.max(...busy.map((run) => run.othersRunnableMean))
  return `busy machine: other tasks runnable in ${busy.length} of ${all.length} runs (up to ${fmt(worst, 2)} on average)`
}

/** The sentence under a table that says what its title's "idle" or "busy" rests on. */
export function conditionsLine(rows: Row[]): string {
  const all = runsOf(rows)
  if (all.length === 0) return 'Machine load, placement and wait engines were not recorded for these rows.'
  const range = (values: number[]) => {
    const [low, high] = [Math.min(...values), Math.max(...values)]
    return low === high ? fmt(low, 2) : `${fmt(low, 2)}–${fmt(high, 2)}`
  }
  return (
    `Over ${all.length === 1 ? 'this run' : `these ${all.length} runs`} (pairs of processes): 1-minute load average ${range(all.map((r) => r.loadAvgBefore))} before and ${range(all.map((r) => r.loadAvgAfter))} after ` +
    `(it counts the benchmark's own processes); tasks runnable besides the benchmark's: ${range(all.map((r) => r.runnableBefore))} before, ` +
    `${range(all.map((r) => r.othersRunnableMean))} on average during, ${range(all.map((r) => r.runnableAfter))} after. ` +
    `A run counts as idle when fewer than ${IDLE_OTHERS_RUNNABLE} other tasks were runnable on average over its samples.`
  )
}

/** Share of placement samples with both ends on one CPU, over every run of a row ("0 %", "37 %"); "–" for a thread peer or none recorded. */
export function sameCpuText(runs: RunConditions[]): string {
  const placed = runs.filter((run) => run.sameCpuShare !== null && run.samples > 0)
  if (placed.length === 0) return '–'
  const samples = placed.reduce((n, run) => n + run.samples, 0)
  return percent(placed.reduce((n, run) => n + run.sameCpuShare! * run.samples, 0) / samples)
}

/** "io_uring / io_uring": the parent's and the peer's wait engine over the runs (several, comma-separated, if runs differed); "–" for others. */
export function enginesText(runs: RunConditions[]): string {
  const distinct = (values: (string | undefined)[]) => [...new Set(values.filter((v) => v !== undefined))].join(', ')
  const parent = distinct(runs.map((run) => run.parentEngine))
  const peer = distinct(runs.map((run) => run.peerEngine))
  return parent === '' && peer === '' ? '–' : `${parent || '–'} / ${peer || '–'}`
}
