// The IPC suite's conclusions and chart, computed from its rows alone (the
// tables stay with the suite, in ipc.ts). Rows name their transport
// (`transport`) and message size (`messageBytes`); `minMs`/`maxMs` bound the
// median round trip over batches of consecutive round trips.
import { dotChart, type DotGroup } from './chart-dots.js'
import { fmt, spreadOf, unmeasuredText, type Row, type Unmeasured } from './report.js'
import { compareSpreads, relationClause, relationText } from './verdict.js'

const num = (row: Row, field: string) => row[field] as number

export const sizeLabel = (size: number) => (size >= 1 << 20 ? `${size >> 20} MiB` : size >= 1024 ? `${size >> 10} KiB` : `${size} B`)

/** The table cell comparing a row's round trip with process.send (JSON)'s: "8.24× faster", "17× slower", "within noise (1.02×)". */
export function versusProcessSend(row: Row, base: Row): string {
  return row === base ? '(baseline)' : relationText(compareSpreads(spreadOf(row), spreadOf(base)))
}

/** Sentences computed from the rows they cite. */
export function ipcConclusions(rows: Row[], unmeasured: Unmeasured[]): string[] {
  const find = (transport: string, size: number) => rows.find((r) => r.transport === transport && r.messageBytes === size)
  const out: string[] = []
  const small = find('channel', 64)
  const smallBase = find('process-json', 64)
  if (small && smallBase) {
    const comparison = compareSpreads(spreadOf(small), spreadOf(smallBase))
    const met = comparison.direction === 'faster' && comparison.factor >= 15
    out.push(
      `A 64-byte round trip through the Channel takes ${fmt(num(small, 'roundTripMedianUs'))} µs against ${fmt(num(smallBase, 'roundTripMedianUs'))} µs for process.send (JSON): ` +
        `${relationClause('the Channel', 'process.send', comparison)} (target ≥ 15× faster: ${met ? 'met' : 'missed'}).`,
    )
  }
  const big = find('channel', 1 << 20)
  const bigBase = find('process-json', 1 << 20)
  if (big && bigBase) {
    const ratio = num(big, 'throughputMBps') / num(bigBase, 'throughputMBps')
    const how = ratio >= 1 ? `${fmt(ratio)}× higher than process.send's` : `${fmt(1 / ratio)}× lower than process.send's`
    out.push(
      `1 MiB messages stream at ${fmt(num(big, 'throughputMBps'))} MB/s through the Channel against ${fmt(num(bigBase, 'throughputMBps'))} MB/s for process.send (JSON): ` +
        `the Channel's throughput is ${how}, from one stream each (target ≥ 10× higher: ${ratio >= 10 ? 'met' : 'missed'}).`,
    )
  }
  const shmSmall = find('shm-polling', 64)
  if (shmSmall && small) {
    out.push(
      `shm-typed-array with polling takes ${fmt(num(shmSmall, 'roundTripMedianUs'))} µs per 64-byte round trip: ` +
        `${relationClause('it', 'the Channel', compareSpreads(spreadOf(shmSmall), spreadOf(small)))}. ` +
        'Its side of this benchmark spins without end on both ends (the package has no cross-process wake-up), so it holds a CPU per side even while idle.',
    )
  }
  for (const u of unmeasured) out.push(`${u.label}: ${unmeasuredText(u)}, so it is not in the comparison.`)
  return out
}

/** Median round trips per transport, grouped by message size, with the fastest-to-p99 range and the p99 marked. */
export function ipcChart(rows: Row[], unmeasured: Unmeasured[]): string {
  const sizes = [...new Set(rows.map((r) => num(r, 'messageBytes')))].sort((a, b) => a - b)
  const transports = [...new Set(rows.map((r) => r.transport as string))]
  const groups: DotGroup[] = sizes.map((size) => ({
    label: `${sizeLabel(size)} messages`,
    rows: [
      ...transports.flatMap((transport) => {
        const r = rows.find((row) => row.transport === transport && row.messageBytes === size)
        if (r === undefined) return []
        const median = num(r, 'roundTripMedianUs')
        return [{ label: r.label ?? transport, points: [{ series: 'round trip', median, low: num(r, 'roundTripMinUs'), high: num(r, 'roundTripP99Us'), mark: num(r, 'roundTripP99Us') }] }]
      }),
      ...unmeasured.map((u) => ({ label: u.label, points: [], note: unmeasuredText(u) })),
    ],
  }))
  return dotChart({
    title: 'Round trip between a Node parent and its peer',
    subtitle: 'The peer echoes each message back; every round trip timed',
    axis: 'µs per round trip',
    unit: 'µs',
    series: ['round trip'],
    legend: { spread: 'fastest round trip to p99', mark: 'p99' },
    groups,
  })
}
