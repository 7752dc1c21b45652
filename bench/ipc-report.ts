// The IPC suite's tables, conclusions and chart, computed from its rows alone
// (so a saved run renders as it did live). Rows carry a `scenario`: 'idle'
// (one per transport and message size; minMs/maxMs bound the median round
// trip over batches of consecutive round trips), 'load' (one per transport;
// the spread is over the runs' medians, each run's median and p99 in
// runMediansUs/runP99sUs), 'fanout' and 'idle-cpu'.
import { dotChart, type DotGroup } from './chart-dots.js'
import { conclusionsSection, fmt, spreadOf, table, unmeasuredText, type Presentation, type Row, type Unmeasured } from './report.js'
import { compareSpreads, relationClause, relationText } from './verdict.js'

const num = (row: Row, field: string) => row[field] as number
const list = (row: Row, field: string) => row[field] as number[]

// The targets of the Channel (issue 10): against the bare spin on one word, and process.send.
const SPIN_TARGET = 1.5
const SEND_TARGET = 30

export const sizeLabel = (size: number) => (size >= 1 << 20 ? `${size >> 20} MiB` : size >= 1024 ? `${size >> 10} KiB` : `${size} B`)

const inScenario = (rows: Row[], scenario: string) => rows.filter((r) => (r.scenario ?? 'idle') === scenario)

function idleFinder(rows: Row[]) {
  const idle = inScenario(rows, 'idle')
  return (transport: string, size: number) => idle.find((r) => r.transport === transport && r.messageBytes === size)
}

/** The table cell comparing a row's round trip with process.send (JSON)'s: "8.24× faster", "17× slower", "within noise (1.02×)". */
export function versusProcessSend(row: Row, base: Row): string {
  return row === base ? '(baseline)' : relationText(compareSpreads(spreadOf(row), spreadOf(base)))
}

/** Sentences computed from the rows they cite. */
export function ipcConclusions(rows: Row[], unmeasured: Unmeasured[]): string[] {
  const find = idleFinder(rows)
  const out: string[] = []
  const small = find('channel', 64)
  const smallBase = find('process-json', 64)
  const spin = find('spin', 64)
  if (small && smallBase) {
    const comparison = compareSpreads(spreadOf(small), spreadOf(smallBase))
    const met = comparison.direction === 'faster' && comparison.factor >= SEND_TARGET
    let sentence =
      `A 64-byte round trip through the Channel takes ${fmt(num(small, 'roundTripMedianUs'))} µs against ${fmt(num(smallBase, 'roundTripMedianUs'))} µs for process.send (JSON): ` +
      `${relationClause('the Channel', 'process.send', comparison)} (target ≥ ${SEND_TARGET}× faster: ${met ? 'met' : 'missed'}).`
    if (spin) {
      const ratio = num(small, 'roundTripMedianUs') / num(spin, 'roundTripMedianUs')
      sentence +=
        ` The bare spin on one word, the floor for any shared-memory round trip, takes ${fmt(num(spin, 'roundTripMedianUs'))} µs: ` +
        `the Channel is ${fmt(ratio)}× that (target ≤ ${SPIN_TARGET}×: ${ratio <= SPIN_TARGET ? 'met' : 'missed'}); it also carries the bytes, their length and the ring indices.`
    }
    out.push(sentence)
  }
  const shmSmall = find('shm-polling', 64)
  if (shmSmall && small) {
    out.push(
      `shm-typed-array with polling takes ${fmt(num(shmSmall, 'roundTripMedianUs'))} µs per 64-byte round trip: ` +
        `${relationClause('the Channel', 'it', compareSpreads(spreadOf(small), spreadOf(shmSmall)))}. ` +
        'Its side of this benchmark spins without end on both ends (the package has no cross-process wake-up), so it holds a CPU per side even while idle.',
    )
  }
  const big = find('channel', 1 << 20)
  const bigBase = find('process-json', 1 << 20)
  if (big && bigBase) {
    const ratio = num(big, 'throughputMBps') / num(bigBase, 'throughputMBps')
    const how = ratio >= 1 ? `${fmt(ratio)}× higher than process.send's` : `${fmt(1 / ratio)}× lower than process.send's`
    out.push(
      `1 MiB messages stream at ${fmt(num(big, 'throughputMBps'))} MB/s through the Channel against ${fmt(num(bigBase, 'throughputMBps'))} MB/s for process.send (JSON): ` +
        `the Channel's throughput is ${how}.`,
    )
  }
  out.push(...loadConclusions(rows))
  const fan = (transport: string) => inScenario(rows, 'fanout').find((r) => r.transport === transport)
  const [poolChannel, poolSend, poolWorker] = [fan('channel'), fan('process-json'), fan('worker')]
  if (poolChannel && poolSend) {
    const ratio = num(poolChannel, 'requestsPerSecond') / num(poolSend, 'requestsPerSecond')
    out.push(
      `A parent serving ${num(poolChannel, 'children')} children at once handled ${fmt(num(poolChannel, 'requestsPerSecond'))} requests/s through Channels against ` +
        `${fmt(num(poolSend, 'requestsPerSecond'))} through process.send (${ratio >= 1 ? `${fmt(ratio)}× more` : `${fmt(1 / ratio)}× fewer`}, one run each)` +
        (poolWorker ? ` and ${fmt(num(poolWorker, 'requestsPerSecond'))} through worker postMessage` : '') +
        `; p99 ${fmt(num(poolChannel, 'p99Us'))} µs against ${fmt(num(poolSend, 'p99Us'))} µs. The parent awaits its replies off the event loop ` +
        '(io_uring futex waits where the kernel has them, else a waiter thread); each child spins briefly, then sleeps.',
    )
  }
  const cpu = (transport: string) => inScenario(rows, 'idle-cpu').find((r) => r.transport === transport)
  const [idleChannel, idleShm] = [cpu('channel'), cpu('shm-polling')]
  if (idleChannel) {
    out.push(
      `Waiting ${fmt(num(idleChannel, 'wallMs'))} ms for nothing cost a Channel receiver ${fmt(num(idleChannel, 'cpuMs'))} ms of CPU` +
        (idleShm ? ` (a polling loop, as shm-typed-array peers wait: ${fmt(num(idleShm, 'cpuMs'))} ms)` : '') +
        ': it spins briefly, then sleeps on the futex.',
    )
  }
  for (const u of unmeasured) out.push(`${u.label}: ${unmeasuredText(u)}, so it is not in the comparison.`)
  return out
}

function loadConclusions(rows: Row[]): string[] {
  const load = (transport: string) => inScenario(rows, 'load').find((r) => r.transport === transport)
  const [channel, send] = [load('channel'), load('process-json')]
  if (!channel || !send) return []
  const [cm, cp, sm, sp] = [list(channel, 'runMediansUs'), list(channel, 'runP99sUs'), list(send, 'runMediansUs'), list(send, 'runP99sUs')]
  const runs = Math.min(cm.length, sm.length)
  const medianWins = cm.slice(0, runs).filter((m, i) => m <= sm[i]!).length
  const p99Wins = cp.slice(0, runs).filter((p, i) => p <= sp[i]!).length
  const ratios = cm.slice(0, runs).map((m, i) => m / sm[i]!)
  const met = medianWins === runs && p99Wins === runs
  return [
    `With one busy process per core beside the two ends, the Channel's median round trip was at most process.send's in ${medianWins} of ${runs} runs ` +
      `and its p99 in ${p99Wins} of ${runs} (target: every run, both: ${met ? 'met' : 'missed'}); Channel / process.send median ratio ` +
      `${fmt(Math.min(...ratios))}–${fmt(Math.max(...ratios))}. A waiting side spins only while spinning pays: its spin adapts to how its waits end, ` +
      'so on a contended machine it spins a few microseconds and sleeps on the futex instead of holding a CPU its peer needs.',
  ]
}

/** Every table of the suite, then its conclusions and chart. */
export function presentIpc(rows: Row[], unmeasured: Unmeasured[]): Presentation {
  const find = idleFinder(rows)
  const idle = inScenario(rows, 'idle')
  const names = [...new Set(idle.map((r) => r.transport as string))]
  const sizes = [...new Set(idle.map((r) => r.messageBytes as number))].sort((a, b) => a - b)
  const lines = ['## IPC: a Node parent and its child (or worker), one message at a time', '',
    'Round trip: the peer echoes each message back; min–max is the spread of the median over batches of consecutive round trips. ' +
    'Throughput: messages streamed one way, then one reply. process.send (JSON) carries a string of the same length. ' +
    'The bare spin carries nothing: it is the floor for any shared-memory round trip.', '']
  for (const size of sizes) {
    const base = find('process-json', size)
    const spin = find('spin', size)
    lines.push(`### ${sizeLabel(size)} messages, idle machine`, '')
    lines.push(table(
      ['transport', 'round trip median µs', 'min–max µs', 'p99 µs', 'throughput MB/s', 'vs process.send (JSON)', ...(spin ? ['vs bare spin'] : [])],
      [...names.filter((name) => find(name, size)).map((name) => {
        const r = find(name, size)!
        return [r.label ?? name, fmt(num(r, 'roundTripMedianUs')), `${fmt(r.minMs * 1e3)}–${fmt(r.maxMs * 1e3)}`, fmt(num(r, 'roundTripP99Us')),
          fmt(r.throughputMBps as number | undefined), base ? versusProcessSend(r, base) : '–',
          ...(spin ? [`${fmt(num(r, 'roundTripMedianUs') / num(spin, 'roundTripMedianUs'))}×`] : [])]
      }), ...unmeasured.map((u) => [u.label, unmeasuredText(u), '–', '–', '–', '–', ...(spin ? ['–'] : [])])]), '')
  }
  const loaded = inScenario(rows, 'load')
  if (loaded.length > 0) {
    const runs = Math.max(...loaded.map((r) => list(r, 'runMediansUs').length))
    const cell = (r: Row | undefined, field: string, i: number) => (r ? fmt(list(r, field)[i]) : '–')
    const [channel, send] = [loaded.find((r) => r.transport === 'channel'), loaded.find((r) => r.transport === 'process-json')]
    lines.push(`### Under load: one busy process per core beside the two ends, ${runs} runs (64 B)`, '',
      table(['run', 'Channel median µs', 'Channel p99 µs', 'process.send median µs', 'process.send p99 µs'],
        Array.from({ length: runs }, (_, i) => [String(i + 1), cell(channel, 'runMediansUs', i), cell(channel, 'runP99sUs', i), cell(send, 'runMediansUs', i), cell(send, 'runP99sUs', i)])), '')
  }
  const pool = inScenario(rows, 'fanout')
  const poolBase = pool.find((r) => r.transport === 'process-json')
  if (pool.length > 0) {
    lines.push(`### Fan-out: one parent serving ${num(pool[0]!, 'children')} children at once (64 B requests, replies awaited off the event loop)`, '',
      table(['transport', 'requests/s', 'p50 µs', 'p99 µs', 'requests/s vs process.send'],
        pool.map((r) => [r.label ?? String(r.transport), fmt(num(r, 'requestsPerSecond')), fmt(num(r, 'p50Us')), fmt(num(r, 'p99Us')),
          poolBase ? `${fmt(num(r, 'requestsPerSecond') / num(poolBase, 'requestsPerSecond'))}×` : '–'])), '')
  }
  const cpu = inScenario(rows, 'idle-cpu')
  if (cpu.length > 0) {
    lines.push('### A side waiting for a message that does not come', '',
      table(['waiting side', 'CPU time while waiting ms', 'wall time ms'],
        cpu.map((r) => [r.transport === 'channel' ? 'mman Channel receive()' : 'a polling loop, as shm-typed-array peers wait', fmt(num(r, 'cpuMs')), fmt(num(r, 'wallMs'))])), '')
  }
  const conclusions = ipcConclusions(rows, unmeasured)
  lines.push(...conclusionsSection(conclusions))
  return { title: 'IPC: a Node parent and its child (or worker)', markdown: lines.join('\n'), conclusions, svg: ipcChart(rows, unmeasured) }
}

/** Median round trips per transport on an idle machine, grouped by message size, with the fastest-to-p99 range and the p99 marked. */
export function ipcChart(rows: Row[], unmeasured: Unmeasured[]): string {
  const idle = inScenario(rows, 'idle')
  const sizes = [...new Set(idle.map((r) => num(r, 'messageBytes')))].sort((a, b) => a - b)
  const transports = [...new Set(idle.map((r) => r.transport as string))]
  const groups: DotGroup[] = sizes.map((size) => ({
    label: `${sizeLabel(size)} messages`,
    rows: [
      ...transports.flatMap((transport) => {
        const r = idle.find((row) => row.transport === transport && row.messageBytes === size)
        if (r === undefined) return []
        const median = num(r, 'roundTripMedianUs')
        return [{ label: r.label ?? transport, points: [{ series: 'round trip', median, low: num(r, 'roundTripMinUs'), high: num(r, 'roundTripP99Us'), mark: num(r, 'roundTripP99Us') }] }]
      }),
      ...unmeasured.map((u) => ({ label: u.label, points: [], note: unmeasuredText(u) })),
    ],
  }))
  return dotChart({
    title: 'Round trip between a Node parent and its peer',
    subtitle: 'The peer echoes each message back; every round trip timed; idle machine',
    axis: 'µs per round trip',
    unit: 'µs',
    series: ['round trip'],
    legend: { spread: 'fastest round trip to p99', mark: 'p99' },
    groups,
  })
}
