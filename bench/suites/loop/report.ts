// The loop suite's report, computed from its rows alone.
import { dotChart } from '../../report/charts/dots.js'
import { chart, conclusionsSection, heading, paragraph, table } from '../../report/blocks.js'
import { fmt } from '../../report/format.js'
import type { Presentation, Row } from '../../report/rows.js'

const TITLE = 'Event loop: delay while large operations are in flight'

const num = (row: Row, field: string) => row[field] as number

const CHART_LABELS: Record<string, string> = {
  async: 'syncAsync, populateAsync, futexWaitAsync',
  blocking: 'sync, populate, futexWait (blocking)',
}

export function presentLoop(rows: Row[]): Presentation {
  const conclusions = loopConclusions(rows)
  // Delays of 0 ms have no place on a log axis: the line starts at the median.
  const svg = dotChart({
    title: 'Event-loop delay while msync, populate and a futex wait run',
    subtitle: 'How late a 1 ms timer fired while the work ran (monitorEventLoopDelay); one run each',
    axis: 'ms late',
    unit: 'ms',
    series: ['delay'],
    legend: { spread: 'from the median to the longest delay', mark: 'p99' },
    reference: { value: 20, label: 'target: p99 < 20 ms' },
    groups: [
      {
        rows: rows.map((r) => ({
          label: CHART_LABELS[r.mode] ?? r.mode,
          points: [{ series: 'delay', median: r.medianMs, low: r.medianMs, high: r.maxMs, mark: num(r, 'p99Ms') }],
        })),
      },
    ],
  })
  const blocks = [
    heading(2, TITLE),
    paragraph('How late a 1 ms timer fires (monitorEventLoopDelay) while the work runs; one run each.'),
    chart(svg),
    table(
      ['work', 'took ms', 'loop delay p50 ms', 'p99 ms', 'max ms'],
      rows.map((r) => [r.label ?? r.mode, fmt(num(r, 'workMs')), fmt(r.medianMs), fmt(num(r, 'p99Ms')), fmt(r.maxMs)]),
    ),
    ...conclusionsSection(conclusions),
  ]
  return { title: TITLE, blocks, conclusions }
}

/** Sentences computed from the rows they cite. */
export function loopConclusions(rows: Row[]): string[] {
  const asyncRow = rows.find((r) => r.mode === 'async')
  const blocking = rows.find((r) => r.mode === 'blocking')
  const out: string[] = []
  if (asyncRow) {
    const p99 = num(asyncRow, 'p99Ms')
    out.push(
      `With the async forms, the event loop's p99 delay was ${fmt(p99)} ms (target < 20 ms: ${p99 < 20 ? 'met' : 'missed'}) ` +
        `and its longest delay ${fmt(asyncRow.maxMs)} ms, over ${fmt(num(asyncRow, 'workMs'))} ms of work.`,
    )
  }
  if (blocking) {
    out.push(
      `The blocking forms held the loop for ${fmt(blocking.maxMs)} ms at a stretch, over ${fmt(num(blocking, 'workMs'))} ms of work.`,
    )
  }
  return out
}
