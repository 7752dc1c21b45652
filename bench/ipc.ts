// Node parent <-> child messaging, measured side by side in one run: round
// trips and one-way throughput of mman's Channel against process.send (JSON
// and advanced serialization), worker postMessage, shm-typed-array with
// polling, and the floor (a bare Atomics spin on one word); the same on an
// oversubscribed machine; a parent serving a pool of children; and what a
// side costs while it waits for nothing. This file measures and writes rows;
// ipc-report.ts presents them.
import { fanout, fanoutChildren, type FanoutResult } from './ipc-fanout.js'
import { idleCpu, type IdleCpu } from './ipc-idle.js'
import { loadRuns, type LoadRun } from './ipc-load.js'
import { SIZES, measure, percentile, type Measured } from './ipc-measure.js'
import { ChannelTransport, LABELS, ProcessSendTransport, WorkerTransport, transports } from './ipc-transports.js'
import type { BenchOptions } from './options.js'
import { loadShm, PEER_PACKAGES } from './peers.js'
import { Progress } from './progress.js'
import { presentIpc } from './ipc-report.js'
import { notInstalled, type Row, type SuiteResult, type Unmeasured } from './report.js'
import { batchMedians, median, summarize } from './stats.js'

interface Plan {
  smallReps: number
  loadRuns: number
  loadRounds: number
  fanoutRequests: number
}

const plan = (quick: boolean): Plan =>
  quick ? { smallReps: 1, loadRuns: 2, loadRounds: 200, fanoutRequests: 200 } : { smallReps: 5, loadRuns: 10, loadRounds: 2000, fanoutRequests: 2000 }

export async function ipcSuite(options: BenchOptions): Promise<SuiteResult> {
  const shm = await loadShm()
  const makers = transports(shm)
  const unmeasured: Unmeasured[] = shm ? [] : [notInstalled('ipc', 'shm-polling', LABELS['shm-polling']!, PEER_PACKAGES.shm)]
  const names = Object.keys(makers)
  const { smallReps, loadRuns: runs, loadRounds, fanoutRequests } = plan(options.quick)
  const fanoutMakers = {
    channel: () => new ChannelTransport(true),
    'process-json': () => new ProcessSendTransport('json'),
    worker: () => new WorkerTransport(),
  }
  const progress = new Progress(names.length * (smallReps + SIZES.length - 1) + runs + 3 + 2, 'ipc')
  const idle: Measured[] = []
  for (const [i, size] of SIZES.entries()) {
    // The 64-byte round trip, the headline, is repeated; every size rotates the order.
    for (let rep = 0; rep < (size === 64 ? smallReps : 1); rep++) {
      const shift = (i + rep) % names.length
      for (const name of [...names.slice(shift), ...names.slice(0, shift)]) {
        if (name === 'spin' && size !== 64) continue
        idle.push(await measure(name, makers[name]!, size, options.quick))
        progress.step(`${LABELS[name]} ${size} B`)
      }
    }
  }
  const loaded = await loadRuns({ channel: makers.channel!, 'process-json': makers['process-json']! }, runs, loadRounds, (what) => progress.step(what))
  const pool: FanoutResult[] = []
  for (const [name, make] of Object.entries(fanoutMakers)) {
    pool.push(await fanout(name, make, fanoutChildren(), fanoutRequests))
    progress.step(`fan-out ${LABELS[name]}`)
  }
  const cpu: IdleCpu[] = [await idleCpu('channel')]
  if (shm) cpu.push(await idleCpu('shm-polling'))
  progress.step('idle CPU')
  progress.finish()
  const rows = [...idleRows(idle), ...loadRows(loaded), ...fanoutRows(pool), ...idleCpuRows(cpu)]
  return { suite: 'ipc', rows, unmeasured, ...presentIpc(rows, unmeasured) }
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
      suite: 'ipc', scenario: 'idle', mode: transport, transport, label: LABELS[transport], messageBytes: size,
      reps: batches.count, minMs: batches.min / 1e3, medianMs: rtt.median / 1e3, maxMs: batches.max / 1e3,
      roundTrips: rttUs.length, runs: runs.length, runMediansUs: runs.map((m) => median(m.rttUs)),
      roundTripMedianUs: rtt.median, roundTripP99Us: percentile(rttUs, 0.99), roundTripMinUs: rtt.min, roundTripMaxUs: rtt.max,
      ...(throughputs.length > 0 ? { throughputMBps: median(throughputs) } : {}),
    }
  })
}

/** One row per transport under load: its spread is over the runs' medians; each run's median and p99 ride along. */
function loadRows(loaded: LoadRun[]): Row[] {
  const transports = [...new Set(loaded.flatMap((run) => run.results.map((r) => r.transport)))]
  return transports.map((transport) => {
    const results = loaded.map((run) => run.results.find((r) => r.transport === transport)!)
    const medians = results.map((r) => median(r.rttUs))
    const p99s = results.map((r) => percentile(r.rttUs, 0.99))
    const spread = summarize(medians)
    return {
      suite: 'ipc', scenario: 'load', mode: `${transport} under load`, transport, label: LABELS[transport], messageBytes: 64,
      reps: results.length, minMs: spread.min / 1e3, medianMs: spread.median / 1e3, maxMs: spread.max / 1e3,
      runMediansUs: medians, runP99sUs: p99s, roundTripMedianUs: spread.median, roundTripP99Us: median(p99s),
    }
  })
}

function fanoutRows(pool: FanoutResult[]): Row[] {
  return pool.map((r) => ({
    suite: 'ipc', scenario: 'fanout', mode: `${r.transport} fan-out`, transport: r.transport, label: LABELS[r.transport], messageBytes: 64,
    reps: 1, minMs: r.p50Us / 1e3, medianMs: r.p50Us / 1e3, maxMs: r.p50Us / 1e3,
    children: r.children, requests: r.requests, requestsPerSecond: r.requestsPerSecond, p50Us: r.p50Us, p99Us: r.p99Us,
  }))
}

function idleCpuRows(cpu: IdleCpu[]): Row[] {
  return cpu.map((c) => ({
    suite: 'ipc', scenario: 'idle-cpu', mode: `${c.transport} waiting for nothing`, transport: c.transport, label: LABELS[c.transport],
    reps: 1, minMs: c.cpuMs, medianMs: c.cpuMs, maxMs: c.cpuMs, cpuMs: c.cpuMs, wallMs: c.wallMs,
  }))
}
