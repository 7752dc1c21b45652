// Node parent <-> child messaging, measured side by side in one run: the
// floors and mman's Channel in one parent/child pair (the ratios the targets
// are stated in); round trips and one-way throughput of the Channel against
// process.send (JSON and advanced serialization), worker postMessage and
// shm-typed-array with polling, each in a pair of its own, and the Channel
// awaiting through each wait engine; the same on an oversubscribed machine; a
// parent serving a pool of children; and what a side costs while it waits for
// nothing. Every round-trip row keeps what decided each of its runs
// (conditions.ts). This file measures and writes rows; report.ts presents them.
import { fanout, fanoutChildren, type FanoutResult } from './fanout.js'
import { idleCpu, type IdleCpu } from './idle.js'
import { measureOnEngine, onEngine } from './engines.js'
import { loadRuns, type LoadRun } from './load.js'
import { sizes, measure, percentile, type Measured, type MeasureOptions } from './measure.js'
import { pairRuns, type PairPlan, type PairRun } from './pair.js'
import { MESSAGE_BYTES, pairTransports, type PairTransport } from './pair-transports.js'
import { ChannelTransport, LABELS, ProcessSendTransport, WorkerTransport, transports } from './transports.js'
import type { RunOptions } from '../../report/results-file.js'
import { loadShm, PEER_PACKAGES } from '../peers.js'
import { Progress } from '../progress.js'
import { presentIpc } from './report.js'
import { notInstalled, type Row, type SuiteResult, type Unmeasured } from '../../report/rows.js'
import { batchMedians, median, summarize } from '../stats.js'

interface Plan {
  pair: PairPlan
  smallReps: number
  loadRuns: number
  loadRounds: number
  fanoutRequests: number
  idleWaitMs: number
}

const plan = (quick: boolean): Plan =>
  quick
    ? {
        pair: { runs: 2, blocks: 5, roundsPerBlock: 100, warmUpMs: 60, budgetMs: 1500 },
        smallReps: 1,
        loadRuns: 1,
        loadRounds: 200,
        fanoutRequests: 100,
        idleWaitMs: 200,
      }
    : {
        pair: { runs: 5, blocks: 21, roundsPerBlock: 2000, warmUpMs: 300, budgetMs: 60_000 },
        smallReps: 5,
        loadRuns: 10,
        loadRounds: 2000,
        fanoutRequests: 2000,
        idleWaitMs: 1000,
      }

/** The transports measured under load: the Channel as it waits by default and on each engine, against process.send. */
const LOADED = ['channel', 'process-json', 'channel-async', 'channel-async-thread']

export async function ipcSuite(options: RunOptions): Promise<SuiteResult> {
  const shm = await loadShm()
  const makers = transports(shm)
  const paired = pairTransports(shm)
  const unmeasured: Unmeasured[] = shm
    ? []
    : [
        notInstalled('ipc', 'shm-polling', LABELS['shm-polling']!, PEER_PACKAGES.shm),
        {
          ...notInstalled('ipc', pairMode('shm-polling'), LABELS['shm-polling']!, PEER_PACKAGES.shm),
          scenario: 'pair',
        },
      ]
  const names = Object.keys(makers)
  const p = plan(options.quick)
  const fanoutMakers = {
    channel: () => new ChannelTransport(true),
    'process-json': () => new ProcessSendTransport('json'),
    worker: () => new WorkerTransport(),
  }
  const sizeList = sizes(options.quick)
  const idleCount = names.length * p.smallReps + names.filter((name) => !onEngine(name)).length * (sizeList.length - 1)
  const progress = new Progress(p.pair.runs + idleCount + p.loadRuns + Object.keys(fanoutMakers).length + 1, 'ipc')
  const pair = await pairRuns(
    () => pairTransports(shm),
    p.pair,
    (what) => progress.step(what),
  )
  const measureOne = (name: string, size: number, measureOptions: MeasureOptions) =>
    onEngine(name) ? measureOnEngine(name, size, measureOptions) : measure(name, makers[name]!, size, measureOptions)
  const idle: Measured[] = []
  for (const [i, size] of sizeList.entries()) {
    // The 64-byte round trip, the headline, is repeated; every size rotates the order.
    for (let rep = 0; rep < (size === 64 ? p.smallReps : 1); rep++) {
      const shift = (i + rep) % names.length
      for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
        if (onEngine(name) && size !== 64) continue
        idle.push(await measureOne(name, size, { quick: options.quick }))
        progress.step(`${LABELS[name]} ${size} B`)
      }
    }
  }
  const loaded = await loadRuns(
    LOADED,
    (name, busy) => measureOne(name, 64, { quick: options.quick, rounds: p.loadRounds, busy }),
    p.loadRuns,
    (what) => progress.step(what),
  )
  const pool: FanoutResult[] = []
  for (const [name, make] of Object.entries(fanoutMakers)) {
    pool.push(await fanout(name, make, fanoutChildren(), p.fanoutRequests))
    progress.step(`fan-out ${LABELS[name]}`)
  }
  const cpu: IdleCpu[] = [await idleCpu('channel', p.idleWaitMs)]
  if (shm) cpu.push(await idleCpu('shm-polling', p.idleWaitMs))
  progress.step('idle CPU')
  progress.finish()
  const rows = [
    ...pairRows(pair, paired, p.pair),
    ...idleRows(idle),
    ...loadRows(loaded),
    ...fanoutRows(pool),
    ...idleCpuRows(cpu),
  ]
  return { suite: 'ipc', rows, unmeasured, ...presentIpc(rows, unmeasured) }
}

/** A pair row's name: not its transport's alone, which the stand-alone rows use. */
const pairMode = (transport: string) => `${transport} (one pair)`

/**
 * One row per transport of the pair. Its figures are over the runs: each
 * run's median block (a block timed whole takes in any descheduling, so one
 * block's extremes say little), and their median and range decide "faster"
 * or "within noise"; each run's median and conditions ride along, in run order.
 */
function pairRows(runs: PairRun[], paired: PairTransport[], pairPlan: PairPlan): Row[] {
  return paired.map(({ key, label }) => {
    const runMediansUs = runs.map((run) => median(run.blockNs[key]!) / 1e3)
    const spread = summarize(runMediansUs)
    return {
      suite: 'ipc',
      scenario: 'pair',
      mode: pairMode(key),
      transport: key,
      label,
      messageBytes: MESSAGE_BYTES,
      reps: runs.length,
      minMs: spread.min / 1e3,
      medianMs: spread.median / 1e3,
      maxMs: spread.max / 1e3,
      runs: runs.length,
      roundTripsPerBlock: pairPlan.roundsPerBlock,
      roundTripMedianUs: spread.median,
      runMediansUs,
      runBlocks: runs.map((run) => run.blockNs[key]!.length),
      conditions: runs.map((run) => run.conditions[key]!),
    }
  })
}

// An idle row's spread (what decides "faster" or "within noise") is that of
// the median over batches of consecutive round trips: single round trips span decades.
function idleRows(measured: Measured[]): Row[] {
  const keys = [...new Set(measured.map((m) => `${m.transport}@${m.size}`))]
  return keys.map((key) => {
    const runs = measured.filter((m) => `${m.transport}@${m.size}` === key)
    const { transport, size } = runs[0]!
    const rttUs = runs.flatMap((m) => m.rttUs)
    const rtt = summarize(rttUs)
    const batches = batchMedians(rttUs, 10)
    const throughputs = runs.map((m) => m.throughputMBps).filter((t): t is number => t !== undefined)
    return {
      suite: 'ipc',
      scenario: 'idle',
      mode: transport,
      transport,
      label: LABELS[transport],
      messageBytes: size,
      reps: batches.count,
      minMs: batches.min / 1e3,
      medianMs: rtt.median / 1e3,
      maxMs: batches.max / 1e3,
      roundTrips: rttUs.length,
      runs: runs.length,
      runMediansUs: runs.map((m) => median(m.rttUs)),
      roundTripMedianUs: rtt.median,
      roundTripP99Us: percentile(rttUs, 0.99),
      roundTripMinUs: rtt.min,
      roundTripMaxUs: rtt.max,
      ...(throughputs.length > 0 ? { throughputMBps: median(throughputs) } : {}),
      conditions: runs.map((m) => m.conditions),
    }
  })
}

/** One row per transport under load: its spread is over the runs' medians; each run's median, p99 and conditions ride along. */
function loadRows(loaded: LoadRun[]): Row[] {
  const names = [...new Set(loaded.flatMap((run) => run.results.map((r) => r.transport)))]
  return names.map((transport) => {
    const results = loaded.map((run) => run.results.find((r) => r.transport === transport)!)
    const medians = results.map((r) => median(r.rttUs))
    const p99s = results.map((r) => percentile(r.rttUs, 0.99))
    const spread = summarize(medians)
    return {
      suite: 'ipc',
      scenario: 'load',
      mode: `${transport} under load`,
      transport,
      label: LABELS[transport],
      messageBytes: 64,
      reps: results.length,
      minMs: spread.min / 1e3,
      medianMs: spread.median / 1e3,
      maxMs: spread.max / 1e3,
      runMediansUs: medians,
      runP99sUs: p99s,
      roundTripMedianUs: spread.median,
      roundTripP99Us: median(p99s),
      conditions: results.map((r) => r.conditions),
    }
  })
}

function fanoutRows(pool: FanoutResult[]): Row[] {
  return pool.map((r) => ({
    suite: 'ipc',
    scenario: 'fanout',
    mode: `${r.transport} fan-out`,
    transport: r.transport,
    label: LABELS[r.transport],
    messageBytes: 64,
    reps: 1,
    minMs: r.p50Us / 1e3,
    medianMs: r.p50Us / 1e3,
    maxMs: r.p50Us / 1e3,
    children: r.children,
    requests: r.requests,
    requestsPerSecond: r.requestsPerSecond,
    p50Us: r.p50Us,
    p99Us: r.p99Us,
  }))
}

function idleCpuRows(cpu: IdleCpu[]): Row[] {
  return cpu.map((c) => ({
    suite: 'ipc',
    scenario: 'idle-cpu',
    mode: `${c.transport} waiting for nothing`,
    transport: c.transport,
    label: LABELS[c.transport],
    reps: 1,
    minMs: c.cpuMs,
    medianMs: c.cpuMs,
    maxMs: c.cpuMs,
    cpuMs: c.cpuMs,
    wallMs: c.wallMs,
  }))
}
