// The IPC suite's tables, conclusions and chart, computed from its rows alone
// (so a saved run renders as it did live). Rows carry a `scenario`: 'pair'
// (the floors and the Channel in one parent/child pair: one row per transport,
// its spread over the runs' median blocks, each run's in runMediansUs),
// 'idle' (one per transport and message size, each in a pair of its own;
// minMs/maxMs bound the median round trip over batches of consecutive round
// trips), 'load' (one per transport; the spread is over the runs' medians,
// each run's median and p99 in runMediansUs/runP99sUs), 'fanout' and
// 'idle-cpu'. Round-trip rows keep each run's conditions (conditions.ts);
// no title says "idle machine" unless they show it.
import { dotChart, type DotGroup } from '../../report/charts/dots.js'
import {
  engineConclusion,
  idleCpuConclusion,
  inScenario,
  loadConclusions,
  pairConclusions,
  plural,
  ratioText,
  runRatios,
  SHORT_NAMES,
  versusProcessSendConclusion,
} from './conclusions.js'
import { conditionsLine, conditionsOf, enginesText, machineState, sameCpuText } from './conditions-text.js'
import { chart, conclusionsSection, heading, paragraph, table, type Block } from '../../report/blocks.js'
import { fmt } from '../../report/format.js'
import { spreadOf, unmeasuredText, type Presentation, type Row, type Unmeasured } from '../../report/rows.js'
import { compareSpreads, relationClause, relationText } from '../../report/verdict.js'

const num = (row: Row, field: string) => row[field] as number
const list = (row: Row, field: string) => row[field] as number[]

const sizeLabel = (size: number) =>
  size >= 1 << 20 ? `${size >> 20} MiB` : size >= 1024 ? `${size >> 10} KiB` : `${size} B`

const unmeasuredIn = (unmeasured: Unmeasured[], scenario: string) =>
  unmeasured.filter((u) => ((u.scenario as string | undefined) ?? 'idle') === scenario)

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
  const out = [...pairConclusions(rows, unmeasured), ...versusProcessSendConclusion(rows), ...engineConclusion(rows)]
  const [small, shmSmall] = [find('channel', 64), find('shm-polling', 64)]
  if (shmSmall && small) {
    out.push(
      `Each in a pair of its own, shm-typed-array with polling takes ${fmt(num(shmSmall, 'roundTripMedianUs'))} µs per 64-byte round trip: ` +
        `${relationClause('the Channel', 'it', compareSpreads(spreadOf(small), spreadOf(shmSmall)))}. ` +
        'Its side of this benchmark spins without end on both ends (the package has no cross-process wake-up), so it holds a CPU per side even while idle.',
    )
  }
  const [big, bigBase] = [find('channel', 1 << 20), find('process-json', 1 << 20)]
  if (big && bigBase) {
    const ratio = num(big, 'throughputMBps') / num(bigBase, 'throughputMBps')
    const how =
      ratio >= 1 ? `${fmt(ratio)}× higher than process.send's` : `${fmt(1 / ratio)}× lower than process.send's`
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
  out.push(...idleCpuConclusion(rows))
  // The pair's missing peer has its sentence among the pair's (the target it leaves unchecked).
  for (const u of unmeasuredIn(unmeasured, 'idle'))
    out.push(`${u.label}: ${unmeasuredText(u)}, so it is not in the comparison.`)
  return out
}

/** "21 blocks per run", or the range when runs stopped at their time budget (rows written before that was recorded: nothing). */
function blocksText(pair: Row[]): string {
  const counts = pair.flatMap((r) => (Array.isArray(r.runBlocks) ? (r.runBlocks as number[]) : []))
  if (counts.length === 0) return 'blocks per run not recorded'
  const [low, high] = [Math.min(...counts), Math.max(...counts)]
  return low === high
    ? `${plural(low, 'block')} per run`
    : `${low}–${high} blocks per run (a run stops at its time budget: the machine was busy)`
}

/** The pair's table: each transport's round trip over its runs, its ratios to the spin and to the copying ring per run, where the ends sat. */
function pairTable(rows: Row[], unmeasured: Unmeasured[]): Block[] {
  const pair = inScenario(rows, 'pair')
  if (pair.length === 0) return []
  const spin = pair.find((r) => r.transport === 'spin')
  const ring = pair.find((r) => r.transport === 'copy-ring')
  const versus = (r: Row, base: Row | undefined) => (base ? ratioText(runRatios(r, base), false) : '–')
  const missing = unmeasuredIn(unmeasured, 'pair').map((u) => [u.label, unmeasuredText(u), '–', '–', '–', '–', '–'])
  return [
    heading(3, `The floors and the Channel in one parent/child pair (64 B each way), ${machineState(pair)}`),
    paragraph(
      `Blocks of ${num(pair[0]!, 'roundTripsPerBlock')} round trips, each block timed whole, every transport in turn in the same two processes, ` +
        `${blocksText(pair)}; ${plural(num(pair[0]!, 'runs'), 'run')}, a fresh pair each. A run's figure is its median block; the round trip is the median of the runs' figures. ` +
        "Ratios are per run (one row's figure over the other's in the same run), given as median [min–max] over the runs.",
    ),
    table(
      [
        'transport',
        'round trip median µs',
        'min–max over runs µs',
        '÷ bare spin',
        '÷ copying ring',
        'ends on one CPU',
        'wait engine (parent / peer)',
      ],
      [
        ...pair.map((r) => [
          r.label ?? String(r.transport),
          fmt(num(r, 'roundTripMedianUs')),
          `${fmt(r.minMs * 1e3)}–${fmt(r.maxMs * 1e3)}`,
          versus(r, spin),
          versus(r, ring),
          sameCpuText(conditionsOf(r)),
          enginesText(conditionsOf(r)),
        ]),
        ...missing,
      ],
    ),
    paragraph(conditionsLine(pair)),
  ]
}

/** The stand-alone tables, one per message size. */
function sizeTables(rows: Row[], unmeasured: Unmeasured[]): Block[] {
  const find = idleFinder(rows)
  const idle = inScenario(rows, 'idle')
  const names = [...new Set(idle.map((r) => r.transport as string))]
  const sizes = [...new Set(idle.map((r) => r.messageBytes as number))].sort((a, b) => a - b)
  const blocks: Block[] = []
  for (const size of sizes) {
    const base = find('process-json', size)
    const measured = names.map((name) => find(name, size)).filter((r): r is Row => r !== undefined)
    blocks.push(
      heading(3, `${sizeLabel(size)} messages, each transport in a pair of its own, ${machineState(measured)}`),
    )
    blocks.push(
      table(
        [
          'transport',
          'round trip median µs',
          'min–max µs',
          'p99 µs',
          'throughput MB/s',
          'vs process.send (JSON)',
          'ends on one CPU',
          'wait engine (parent / peer)',
        ],
        [
          ...measured.map((r) => [
            r.label ?? String(r.transport),
            fmt(num(r, 'roundTripMedianUs')),
            `${fmt(r.minMs * 1e3)}–${fmt(r.maxMs * 1e3)}`,
            fmt(num(r, 'roundTripP99Us')),
            fmt(r.throughputMBps as number | undefined),
            base ? versusProcessSend(r, base) : '–',
            sameCpuText(conditionsOf(r)),
            enginesText(conditionsOf(r)),
          ]),
          ...unmeasuredIn(unmeasured, 'idle').map((u) => [u.label, unmeasuredText(u), '–', '–', '–', '–', '–', '–']),
        ],
      ),
      paragraph(conditionsLine(measured)),
    )
  }
  return blocks
}

/** Per run under load: each transport's median, p99 and where its ends sat. */
function loadTable(title: string, rows: Row[], extra?: { header: string; cell: (i: number) => string }): Block[] {
  if (rows.length === 0) return []
  const runs = Math.max(...rows.map((r) => list(r, 'runMediansUs').length))
  const placement = (r: Row, i: number) => {
    const share = conditionsOf(r)[i]?.sameCpuShare
    return share === undefined || share === null ? '–' : fmt(100 * share, 2)
  }
  const name = (r: Row) => SHORT_NAMES[r.transport as string] ?? String(r.transport)
  return [
    heading(3, title),
    table(
      [
        'run',
        ...rows.flatMap((r) => [`${name(r)} median µs`, 'p99 µs', 'one CPU %']),
        ...(extra ? [extra.header] : []),
      ],
      Array.from({ length: runs }, (_, i) => [
        String(i + 1),
        ...rows.flatMap((r) => [fmt(list(r, 'runMediansUs')[i]), fmt(list(r, 'runP99sUs')[i]), placement(r, i)]),
        ...(extra ? [extra.cell(i)] : []),
      ]),
    ),
  ]
}

function loadTables(rows: Row[]): Block[] {
  const loaded = inScenario(rows, 'load')
  if (loaded.length === 0) return []
  const find = (transport: string) => loaded.find((r) => r.transport === transport)
  const [channel, send] = [find('channel'), find('process-json')]
  const runs = Math.max(...loaded.map((r) => list(r, 'runMediansUs').length))
  const met = (i: number) =>
    channel && send
      ? list(channel, 'runMediansUs')[i]! <= list(send, 'runMediansUs')[i]! &&
        list(channel, 'runP99sUs')[i]! <= list(send, 'runP99sUs')[i]!
        ? 'yes'
        : 'no'
      : '–'
  const engines = ['channel-async', 'channel-async-thread'].map(find).filter((r): r is Row => r !== undefined)
  return [
    ...loadTable(
      `Under load: one busy process per core beside the two ends, ${plural(runs, 'run')} (64 B)`,
      [channel, send].filter((r): r is Row => r !== undefined),
      {
        header: 'Channel ≤ process.send (median and p99)',
        cell: met,
      },
    ),
    ...loadTable('Under load, both ends awaiting receiveAsync(): the default engine and the waiter thread', engines),
    paragraph(
      'One CPU %: the share of placement samples in which both ends had last run on the same CPU. ' +
        "The busy loops are the benchmark's own: they are not counted among the other runnable tasks.",
    ),
    paragraph(conditionsLine(loaded)),
  ]
}

/** The suite's introduction and chart, every table, then its conclusions. */
export function presentIpc(rows: Row[], unmeasured: Unmeasured[]): Presentation {
  const blocks = [
    heading(2, 'IPC: a Node parent and its child (or worker), one message at a time'),
    paragraph(
      'Every transport carries the message to the peer and the peer echoes it back. ' +
        'In one pair: the floors — a bare Atomics spin on one word (carries nothing), 64 B and a flag moved by C, a minimal zero-copy ring, a minimal copying ring — ' +
        'and the Channel, timed in blocks in the same two processes, so that their ratios share one placement. ' +
        'Each in a pair of its own: every round trip timed; min–max is the spread of the median over batches of consecutive round trips. ' +
        'Throughput: messages streamed one way, then one reply. process.send (JSON) carries a string of the same length. ' +
        'The Channel "both ends async" awaits receiveAsync() on both sides, through the default wait engine (io_uring, where the kernel has futex operations) ' +
        "or mman's waiter thread (MMAN_NO_IO_URING=1 in both processes); the wait engine column says what each end used: sync (futex waits on the JS thread), io_uring or thread.",
    ),
    chart(ipcChart(rows, unmeasured)),
  ]
  blocks.push(...pairTable(rows, unmeasured))
  blocks.push(...sizeTables(rows, unmeasured))
  blocks.push(...loadTables(rows))
  const pool = inScenario(rows, 'fanout')
  const poolBase = pool.find((r) => r.transport === 'process-json')
  if (pool.length > 0) {
    blocks.push(
      heading(
        3,
        `Fan-out: one parent serving ${num(pool[0]!, 'children')} children at once (64 B requests, replies awaited off the event loop)`,
      ),
      table(
        ['transport', 'requests/s', 'p50 µs', 'p99 µs', 'requests/s vs process.send'],
        pool.map((r) => [
          r.label ?? String(r.transport),
          fmt(num(r, 'requestsPerSecond')),
          fmt(num(r, 'p50Us')),
          fmt(num(r, 'p99Us')),
          poolBase ? `${fmt(num(r, 'requestsPerSecond') / num(poolBase, 'requestsPerSecond'))}×` : '–',
        ]),
      ),
    )
  }
  const cpu = inScenario(rows, 'idle-cpu')
  if (cpu.length > 0) {
    blocks.push(
      heading(3, 'A side waiting for a message that does not come'),
      table(
        ['waiting side', 'CPU time while waiting ms', 'wall time ms', 'share of one CPU'],
        cpu.map((r) => [
          r.transport === 'channel' ? 'mman Channel receive()' : 'a polling loop, as shm-typed-array peers wait',
          fmt(num(r, 'cpuMs')),
          fmt(num(r, 'wallMs')),
          `${fmt((100 * num(r, 'cpuMs')) / num(r, 'wallMs'), 2)} %`,
        ]),
      ),
    )
  }
  const conclusions = ipcConclusions(rows, unmeasured)
  blocks.push(...conclusionsSection(conclusions))
  return { title: 'IPC: a Node parent and its child (or worker)', blocks, conclusions }
}

/** Median round trips: the pair's (over blocks) first, then each size's stand-alone rows (fastest-to-p99 range, p99 marked). */
export function ipcChart(rows: Row[], unmeasured: Unmeasured[]): string {
  const pair = inScenario(rows, 'pair')
  const idle = inScenario(rows, 'idle')
  const sizes = [...new Set(idle.map((r) => num(r, 'messageBytes')))].sort((a, b) => a - b)
  const transports = [...new Set(idle.map((r) => r.transport as string))]
  const pairGroup: DotGroup[] =
    pair.length === 0
      ? []
      : [
          {
            label: '64 B, all in one parent/child pair (line: fastest to slowest run)',
            rows: [
              ...pair.map((r) => ({
                label: r.label ?? String(r.transport),
                points: [
                  {
                    series: 'round trip',
                    median: num(r, 'roundTripMedianUs'),
                    low: r.minMs * 1e3,
                    high: r.maxMs * 1e3,
                  },
                ],
              })),
              ...unmeasuredIn(unmeasured, 'pair').map((u) => ({ label: u.label, points: [], note: unmeasuredText(u) })),
            ],
          },
        ]
  const groups: DotGroup[] = sizes.map((size) => ({
    label: `${sizeLabel(size)} messages, each in a pair of its own`,
    rows: [
      ...transports.flatMap((transport) => {
        const r = idle.find((row) => row.transport === transport && row.messageBytes === size)
        if (r === undefined) return []
        const median = num(r, 'roundTripMedianUs')
        return [
          {
            label: r.label ?? transport,
            points: [
              {
                series: 'round trip',
                median,
                low: num(r, 'roundTripMinUs'),
                high: num(r, 'roundTripP99Us'),
                mark: num(r, 'roundTripP99Us'),
              },
            ],
          },
        ]
      }),
      ...unmeasuredIn(unmeasured, 'idle').map((u) => ({ label: u.label, points: [], note: unmeasuredText(u) })),
    ],
  }))
  return dotChart({
    title: 'Round trip between a Node parent and its peer',
    subtitle: `The peer echoes each message back; ${machineState([...pair, ...idle])}`,
    axis: 'µs per round trip',
    unit: 'µs',
    series: ['round trip'],
    legend: { spread: 'fastest round trip to p99 (in the pair: fastest to slowest run)', mark: 'p99' },
    groups: [...pairGroup, ...groups],
  })
}
