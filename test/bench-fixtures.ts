// Synthetic rows for every suite, shaped as the suites write them, for
// testing what is computed from rows (conclusions, charts, results files,
// compare, the HTML page) without running a benchmark. Invented numbers:
// nothing here is a measurement.
import type { RunConditions } from '../bench/suites/ipc/conditions.js'
import { presentSection } from '../bench/suites/index.js'
import { chartOf } from '../bench/report/blocks.js'
import { markdown } from '../bench/report/markdown.js'
import type { Presentation, Row, SuiteResult, Unmeasured } from '../bench/report/rows.js'
import { resultsFile, type ResultsFile } from '../bench/report/results-file.js'

/** min/median/max around `median`, ±`spread` (a fraction). */
export const around = (median: number, spread = 0.05) => ({
  minMs: median * (1 - spread),
  medianMs: median,
  maxMs: median * (1 + spread),
})

export function zeroingRows(scale = 1): Row[] {
  const row = (mode: string, label: string, ms: number, extra: Record<string, unknown> = {}): Row => ({
    suite: 'zeroing',
    mode,
    label,
    sizeMiB: 100,
    reps: 15,
    ...around(ms * scale),
    minorFaults: 25600,
    gbPerS: 104857600 / (ms / 1e3) / 1e9,
    usPerFault: (ms * 1e3) / 25600,
    vsBMedian: ms / 60,
    vsBMin: (ms / 60) * 0.9,
    vsBMax: (ms / 60) * 1.1,
    anonHugeMiB: 0,
    valid: true,
    ...extra,
  })
  return [
    row('malloc-memset0', 'A malloc + memset(0)', 61, { mallocUsedMmapTrials: 15 }),
    row('mmap-memset1', 'B mmap private anon + memset(1)', 60),
    row('calloc', 'C calloc only', 0.02, { minorFaults: 1, mallocUsedMmapTrials: 15 }),
    row('populate-memset1', 'D MAP_POPULATE + memset(1)', 45),
    row('thp-memset1', 'E MADV_HUGEPAGE + memset(1)', 25, { minorFaults: 50, anonHugeMiB: 100 }),
    row('prefaulted-memset', 'F memset on faulted memory', 12, { minorFaults: 0 }),
    row('shared-anon-memset1', 'G MAP_SHARED anon + memset(1)', 75),
    row('js-arraybuffer', 'JS new ArrayBuffer(n)', 0.5, { minorFaults: 4 }),
    row('js-mmap-fill1', 'JS mmap + Uint8Array.fill(1)', 63),
    {
      suite: 'zeroing',
      mode: 'seed-program-malloc',
      label: 'seed program: malloc + memset 0',
      sizeMiB: 100,
      reps: 15,
      ...around(62 * scale),
      vsSeedMmapMedian: 1.01,
      vsSeedMmapMin: 0.9,
      vsSeedMmapMax: 1.1,
    },
    {
      suite: 'zeroing',
      mode: 'seed-program-mmap',
      label: 'seed program: mmap + memset 1',
      sizeMiB: 100,
      reps: 15,
      ...around(61 * scale),
    },
  ]
}

export function fileRows(): Row[] {
  const scan = (key: string, label: string, ms: number): Row => ({
    suite: 'file',
    mode: `scan-${key}`,
    label,
    sizeMiB: 1024,
    reps: 15,
    ...around(ms),
    gbPerS: 1073741824 / (ms / 1e3) / 1e9,
    speedVsReadFileSync: 900 / ms,
    speedVsReadFileSyncMin: 900 / ms / 1.1,
    speedVsReadFileSyncMax: (900 / ms) * 1.1,
    maxRssDeltaMiB: 1025,
    rssAnonDeltaMiB: key === 'readFileSync' ? 1024 : 0.4,
  })
  const random = (method: string, label: string, warmNs: number, coldNs: number): Row => ({
    suite: 'file',
    mode: `random-${method}`,
    label,
    sizeMiB: 4096,
    reps: 15,
    reads: 100000,
    ...around((warmNs * 100000) / 1e6),
    coldNsPerRead: coldNs,
    coldNsPerReadMin: coldNs * 0.9,
    coldNsPerReadMax: coldNs * 1.1,
    warmNsPerRead: warmNs,
    warmSpeedVsPread: 1700 / warmNs,
    warmSpeedVsPreadMin: 1700 / warmNs / 1.2,
    warmSpeedVsPreadMax: (1700 / warmNs) * 1.2,
    coldSpeedVsPread: 1900 / coldNs,
    coldSpeedVsPreadMin: 1900 / coldNs / 1.2,
    coldSpeedVsPreadMax: (1900 / coldNs) * 1.2,
  })
  return [
    scan('readFileSync', 'fs.readFileSync', 900),
    scan('readSync', 'fs.readSync, 1 MiB chunks', 210),
    scan('mapFile', 'mapFile, first scan', 165),
    scan('mapFile-second', 'mapFile, second scan', 150),
    random('mapFile', 'mapFile (Float64Array)', 90, 1950),
    random('pread', 'fs.readSync 8 bytes (pread)', 1700, 1900),
  ]
}

export function overheadRows(): Row[] {
  const row = (mode: string, label: string, ns: number): Row => ({
    suite: 'overhead',
    mode,
    label,
    reps: 15,
    iterations: 50000,
    ...around(ns / 1e6),
    nsPerPair: ns,
    vsCMedian: ns / 3000,
    vsCMin: (ns / 3000) * 0.9,
    vsCMax: (ns / 3000) * 1.1,
  })
  return [
    row('c-loop', 'C loop in the addon', 3000),
    row('syscall-layer', 'mman mmap() + munmap()', 11000),
    row('object-layer', 'mman mapAnonymous() + unmap()', 6500),
    row('mmap-io', '@riaskov/mmap-io map(), unmapped by GC', 5600),
  ]
}

export function loopRows(asyncP99 = 0.8): Row[] {
  return [
    {
      suite: 'loop',
      mode: 'async',
      label: 'async: syncAsync 1024 MiB dirty + populateAsync 1024 MiB + futexWaitAsync 500 ms',
      reps: 400,
      minMs: 0.01,
      medianMs: 0.1,
      maxMs: 1.2,
      p99Ms: asyncP99,
      workMs: 900,
    },
    {
      suite: 'loop',
      mode: 'blocking',
      label: 'blocking: sync 1024 MiB dirty, populate 1024 MiB, futexWait 500 ms',
      reps: 12,
      minMs: 0.01,
      medianMs: 0.1,
      maxMs: 950,
      p99Ms: 950,
      workMs: 950,
    },
  ]
}

const IPC_LABELS: Record<string, string> = {
  channel: 'mman Channel',
  'channel-async': 'mman Channel, both ends async (io_uring)',
  'channel-async-thread': 'mman Channel, both ends async (waiter thread)',
  'process-json': 'process.send (JSON)',
  'process-advanced': 'process.send (advanced)',
  worker: 'worker postMessage',
  'shm-polling': 'shm-typed-array, polling',
}

const PAIR_LABELS: Record<string, string> = {
  spin: 'bare Atomics spin (one word, no payload)',
  'c-floor': 'C: 64 B + a flag in two cache lines (tools addon)',
  'zero-copy-ring': 'minimal zero-copy ring (written and read in place)',
  'copy-ring': 'minimal copying ring (Lamport SPSC, copy in and out)',
  'shm-polling': 'shm-typed-array, polling',
  channel: 'mman Channel, send + receiveView',
  'channel-receive': 'mman Channel, send + receive (a copy)',
  'channel-zero-copy': 'mman Channel, zero-copy send + receiveView',
}

/** One run of a pair as suites/ipc/conditions.ts records it: an idle machine, the ends on two CPUs, unless changed. */
export function runConditions(change: Partial<RunConditions> = {}): RunConditions {
  return {
    sameCpuShare: 0,
    samples: 40,
    othersRunnableMean: 0.05,
    loadAvgBefore: 0.1,
    loadAvgAfter: 1.9,
    runnableBefore: 0,
    runnableAfter: 0,
    ...change,
  }
}

/** The engines mman's transports record: 'sync' unless the row awaits through an engine. */
function enginesOf(transport: string): Partial<RunConditions> {
  if (transport === 'channel-async') return { parentEngine: 'io_uring', peerEngine: 'io_uring' }
  if (transport === 'channel-async-thread') return { parentEngine: 'thread', peerEngine: 'thread' }
  return transport.startsWith('channel') ? { parentEngine: 'sync', peerEngine: 'sync' } : {}
}

/** One stand-alone IPC row; `us` is the median round trip, its batch medians within ±5 %; one run, idle, unless `runs` says otherwise. */
export function ipcRow(
  transport: string,
  messageBytes: number,
  us: number,
  throughputMBps: number,
  runs: RunConditions[] = [runConditions(enginesOf(transport))],
): Row {
  return {
    suite: 'ipc',
    scenario: 'idle',
    mode: transport,
    transport,
    label: IPC_LABELS[transport],
    messageBytes,
    reps: 10,
    ...around(us / 1e3),
    roundTrips: 2000,
    roundTripMedianUs: us,
    roundTripP99Us: us * 8,
    roundTripMinUs: us * 0.6,
    roundTripMaxUs: us * 300,
    throughputMBps,
    runs: runs.length,
    runMediansUs: runs.map(() => us),
    conditions: runs,
  }
}

/** A row of the pair: its median round trip in each run (µs). */
export function pairRow(transport: string, runMediansUs: number[], change: Partial<RunConditions> = {}): Row {
  const sorted = [...runMediansUs].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)]!
  return {
    suite: 'ipc',
    scenario: 'pair',
    mode: `${transport} (one pair)`,
    transport,
    label: PAIR_LABELS[transport],
    messageBytes: 64,
    reps: runMediansUs.length,
    minMs: sorted[0]! / 1e3,
    medianMs: median / 1e3,
    maxMs: sorted.at(-1)! / 1e3,
    runs: runMediansUs.length,
    roundTripsPerBlock: 2000,
    roundTripMedianUs: median,
    runMediansUs,
    runBlocks: runMediansUs.map(() => 21),
    conditions: runMediansUs.map(() => runConditions({ ...enginesOf(transport), ...change })),
  }
}

/** The floors and the Channel in one pair, 3 runs: the Channel's send + receiveView 1.2–1.4× the copying ring. */
export function pairRows(): Row[] {
  return [
    pairRow('spin', [0.1, 0.12, 0.11]),
    pairRow('c-floor', [0.14, 0.16, 0.15]),
    pairRow('zero-copy-ring', [0.15, 0.18, 0.17]),
    pairRow('copy-ring', [0.25, 0.3, 0.2]),
    pairRow('shm-polling', [0.33, 0.36, 0.35]),
    pairRow('channel', [0.3, 0.42, 0.26]),
    pairRow('channel-receive', [0.5, 0.5, 0.5]),
  ]
}

/** A transport's row under load: one median and one p99 per run (each run's ends on two CPUs unless `sameCpu` says otherwise). */
export function ipcLoadRow(
  transport: string,
  runMediansUs: number[],
  runP99sUs: number[],
  sameCpu: number[] = runMediansUs.map(() => 0),
): Row {
  const sorted = [...runMediansUs].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)]!
  return {
    suite: 'ipc',
    scenario: 'load',
    mode: `${transport} under load`,
    transport,
    label: IPC_LABELS[transport],
    messageBytes: 64,
    reps: runMediansUs.length,
    minMs: sorted[0]! / 1e3,
    medianMs: median / 1e3,
    maxMs: sorted.at(-1)! / 1e3,
    runMediansUs,
    runP99sUs,
    roundTripMedianUs: median,
    roundTripP99Us: runP99sUs[0],
    conditions: sameCpu.map((share) =>
      runConditions({ sameCpuShare: share, othersRunnableMean: 0, ...enginesOf(transport) }),
    ),
  }
}

export function ipcRows(): Row[] {
  const idle = [64, 4096, 1 << 20].flatMap((size) => {
    const k = size / 64
    return [
      ipcRow('channel', size, 3 * Math.sqrt(k), 50 * k ** 0.8),
      ipcRow('process-json', size, 24 * Math.sqrt(k), 8 * k ** 0.6),
      ipcRow('worker', size, 35 * Math.sqrt(k), 11 * k ** 0.7, [runConditions({ sameCpuShare: null })]),
    ]
  })
  const fanout = (transport: string, requestsPerSecond: number, p50Us: number): Row => ({
    suite: 'ipc',
    scenario: 'fanout',
    mode: `${transport} fan-out`,
    transport,
    label: IPC_LABELS[transport],
    messageBytes: 64,
    reps: 1,
    minMs: p50Us / 1e3,
    medianMs: p50Us / 1e3,
    maxMs: p50Us / 1e3,
    children: 4,
    requests: 8000,
    requestsPerSecond,
    p50Us,
    p99Us: p50Us * 10,
  })
  return [
    ...pairRows(),
    ...idle,
    ipcRow('channel-async', 64, 40, 2),
    ipcRow('channel-async-thread', 64, 60, 1.5),
    ipcLoadRow('channel', [20, 22, 25], [90, 95, 99]),
    ipcLoadRow('process-json', [40, 41, 45], [150, 160, 170]),
    ipcLoadRow('channel-async', [30, 32, 35], [120, 130, 140]),
    ipcLoadRow('channel-async-thread', [35, 38, 60], [140, 150, 200]),
    fanout('channel', 25000, 50),
    fanout('process-json', 18000, 180),
    fanout('worker', 35000, 60),
    {
      suite: 'ipc',
      scenario: 'idle-cpu',
      mode: 'channel waiting for nothing',
      transport: 'channel',
      reps: 1,
      minMs: 3,
      medianMs: 3,
      maxMs: 3,
      cpuMs: 3,
      wallMs: 1000,
    },
  ]
}

export const shmMissing: Unmeasured = {
  suite: 'ipc',
  mode: 'shm-polling',
  label: 'shm-typed-array, polling',
  status: 'not installed',
  detail: 'npm i shm-typed-array',
}
export const shmMissingInPair: Unmeasured = { ...shmMissing, mode: 'shm-polling (one pair)', scenario: 'pair' }

/** A whole run's SuiteResults, presented from the rows as a saved run would be. */
export function suiteResults(options: { zeroingScale?: number } = {}): SuiteResult[] {
  const sections: [string, Row[], Unmeasured[]][] = [
    ['zeroing', zeroingRows(options.zeroingScale), []],
    ['file', fileRows(), []],
    [
      'overhead',
      overheadRows(),
      [
        {
          suite: 'overhead',
          mode: 'koffi',
          label: 'libc mmap + munmap through koffi',
          status: 'not installed',
          detail: 'npm i koffi',
        },
      ],
    ],
    ['loop', loopRows(), []],
    ['ipc', ipcRows().filter((r) => r.transport !== 'shm-polling'), [shmMissing, shmMissingInPair]],
  ]
  return sections.map(([suite, rows, unmeasured]) => ({
    suite,
    rows,
    unmeasured,
    ...presentSection({ suite, rows, unmeasured })!,
  }))
}

export function fixtureFile(options: { quick?: boolean; zeroingScale?: number; node?: string } = {}): ResultsFile {
  return resultsFile(suiteResults(options), {
    command: 'mman bench --json fixture.json',
    options: { quick: options.quick ?? false, inProcess: false },
    machine: {
      cpu: 'Test CPU',
      cpus: 2,
      memoryBytes: 8 * 2 ** 30,
      kernel: '6.18.0-test',
      arch: 'x64',
      pageSize: 4096,
      thp: 'madvise',
      thpShmem: 'never',
      glibc: '2.36',
    },
    mman: '0.1.0',
    node: options.node ?? 'v20.20.2',
    createdAt: new Date('2026-01-02T03:04:05Z'),
  })
}

/** A presentation as the report writes it: its markdown, and its chart. */
export const rendered = (presentation: Presentation) => ({
  markdown: markdown(presentation.blocks),
  svg: chartOf(presentation.blocks),
})
