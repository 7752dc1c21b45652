// Node parent <-> child messaging, measured side by side in one run: round
// trips and one-way throughput of mman's Channel against process.send (JSON
// and advanced serialization), worker postMessage, shm-typed-array with
// polling, and the floor (a bare Atomics spin on one word); the same on an
// oversubscribed machine; a parent serving a pool of children; and what a
// side costs while it waits for nothing.
import { fanout, fanoutChildren, type FanoutResult } from './ipc-fanout.js'
import { idleCpu, type IdleCpu } from './ipc-idle.js'
import { loadRuns, type LoadRun } from './ipc-load.js'
import { SIZES, measure, percentile, type Measured } from './ipc-measure.js'
import { ChannelTransport, LABELS, ProcessSendTransport, WorkerTransport, transports } from './ipc-transports.js'
import type { BenchOptions } from './options.js'
import { loadShm } from './peers.js'
import { Progress } from './progress.js'
import { fmt, table, type Row, type SuiteResult } from './report.js'
import { median, summarize } from './stats.js'
import { barChart } from './svg.js'

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
  return report(idle, loaded, pool, cpu, names)
}

const sizeLabel = (size: number) => (size >= 1 << 20 ? `${size >> 20} MiB` : size >= 1024 ? `${size >> 10} KiB` : `${size} B`)

/** "3.2× faster" / "1.4× slower" for a time (lower is better) against a reference time. */
function timeVs(value: number, reference: number): string {
  return value <= reference ? `${fmt(reference / value)}× faster` : `${fmt(value / reference)}× slower`
}

interface Idle {
  transport: string
  size: number
  medians: number[]
  p99: number
  throughputMBps: number | undefined
}

function summarizeIdle(idle: Measured[]): Idle[] {
  const out: Idle[] = []
  for (const m of idle) {
    let entry = out.find((e) => e.transport === m.transport && e.size === m.size)
    if (!entry) out.push((entry = { transport: m.transport, size: m.size, medians: [], p99: 0, throughputMBps: m.throughputMBps }))
    entry.medians.push(median(m.rttUs))
    entry.p99 = Math.max(entry.p99, percentile(m.rttUs, 0.99))
  }
  return out
}

function report(idleRuns: Measured[], loaded: LoadRun[], pool: FanoutResult[], cpu: IdleCpu[], names: string[]): SuiteResult {
  const idle = summarizeIdle(idleRuns)
  const find = (transport: string, size: number) => idle.find((e) => e.transport === transport && e.size === size)
  const rows: Row[] = idle.map((e) => {
    const spread = summarize(e.medians)
    return {
      suite: 'ipc', scenario: 'idle', mode: e.transport, transport: e.transport, label: LABELS[e.transport], messageBytes: e.size,
      reps: e.medians.length, minMs: spread.min / 1e3, medianMs: spread.median / 1e3, maxMs: spread.max / 1e3,
      roundTripMedianUs: spread.median, roundTripP99Us: e.p99, throughputMBps: e.throughputMBps,
    }
  })
  const lines = ['## IPC: a Node parent and its child (or worker), one message at a time', '',
    'Round trip: the peer echoes each message back (median of each run; min–max over runs). Throughput: messages ' +
    'streamed one way, then one reply. process.send (JSON) carries a string of the same length. The bare spin ' +
    'carries nothing: it is the floor for any shared-memory round trip.', '']
  for (const size of SIZES) {
    const base = find('process-json', size)!
    const spin = find('spin', size)
    lines.push(`### ${sizeLabel(size)} messages, idle machine`, '')
    lines.push(table(
      ['transport', 'round trip median µs', 'min–max µs', 'p99 µs', 'throughput MB/s', 'vs process.send (JSON)', ...(spin ? ['vs bare spin'] : [])],
      names.filter((name) => find(name, size)).map((name) => {
        const e = find(name, size)!
        const s = summarize(e.medians)
        return [LABELS[name]!, fmt(s.median), `${fmt(s.min)}–${fmt(s.max)}`, fmt(e.p99), e.throughputMBps === undefined ? '—' : fmt(e.throughputMBps),
          timeVs(s.median, median(base.medians)), ...(spin ? [name === 'spin' ? '1×' : `${fmt(s.median / median(spin.medians))}×`] : [])]
      })), '')
  }

  const loadRows = loaded.map((run) => {
    const of = (name: string) => run.results.find((r) => r.transport === name)!
    const channel = of('channel')
    const send = of('process-json')
    return { run: run.run + 1, channelMedian: median(channel.rttUs), channelP99: percentile(channel.rttUs, 0.99), sendMedian: median(send.rttUs), sendP99: percentile(send.rttUs, 0.99) }
  })
  for (const r of loadRows) rows.push({ suite: 'ipc', scenario: 'load', mode: 'run', label: `run ${r.run}`, messageBytes: 64, reps: 1, minMs: NaN, medianMs: r.channelMedian / 1e3, maxMs: NaN, ...r })
  lines.push(`### Under load: one busy process per core beside the two ends, ${loadRows.length} runs`, '',
    table(['run', 'Channel median µs', 'Channel p99 µs', 'process.send median µs', 'process.send p99 µs'],
      loadRows.map((r) => [String(r.run), fmt(r.channelMedian), fmt(r.channelP99), fmt(r.sendMedian), fmt(r.sendP99)])), '')

  for (const r of pool) rows.push({ suite: 'ipc', scenario: 'fanout', mode: r.transport, label: LABELS[r.transport], messageBytes: 64, reps: 1, minMs: NaN, medianMs: r.p50Us / 1e3, maxMs: NaN, ...r })
  const poolBase = pool.find((r) => r.transport === 'process-json')!
  lines.push(`### Fan-out: one parent serving ${pool[0]?.children ?? 0} children at once (64 B requests, replies awaited off the event loop)`, '',
    table(['transport', 'requests/s', 'p50 µs', 'p99 µs', 'requests/s vs process.send'],
      pool.map((r) => [LABELS[r.transport]!, fmt(r.requestsPerSecond), fmt(r.p50Us), fmt(r.p99Us), `${fmt(r.requestsPerSecond / poolBase.requestsPerSecond)}×`])), '')

  for (const c of cpu) rows.push({ suite: 'ipc', scenario: 'idle-cpu', mode: c.transport, label: LABELS[c.transport], messageBytes: 0, reps: 1, minMs: NaN, medianMs: c.cpuMs, maxMs: NaN, ...c })
  lines.push('### A side waiting for a message that does not come', '',
    table(['waiting side', 'CPU time while waiting ms', 'wall time ms'], cpu.map((c) => [c.transport === 'channel' ? 'mman Channel receive()' : 'a polling loop, as shm-typed-array peers wait', fmt(c.cpuMs), fmt(c.wallMs)])), '')

  lines.push('### What the numbers say', '', ...conclusions(find, loadRows, pool, cpu).map((c) => `- ${c}`), '')
  const svg = barChart({
    title: 'Round trip between a Node parent and its peer: median',
    subtitle: 'whiskers: min–max of the run medians',
    unit: 'µs',
    log: true,
    groups: SIZES.map((size) => ({
      label: sizeLabel(size),
      bars: names.filter((name) => find(name, size)).map((name) => {
        const s = summarize(find(name, size)!.medians)
        return { label: LABELS[name]!, value: s.median, min: s.min, max: s.max }
      }),
    })),
  })
  return { suite: 'ipc', rows, markdown: lines.join('\n'), svg }
}

function conclusions(
  find: (transport: string, size: number) => Idle | undefined,
  load: { channelMedian: number; channelP99: number; sendMedian: number; sendP99: number }[],
  pool: FanoutResult[],
  cpu: IdleCpu[],
): string[] {
  const out: string[] = []
  const channel = find('channel', 64)
  const send = find('process-json', 64)
  const spin = find('spin', 64)
  const shm = find('shm-polling', 64)
  if (channel && send) {
    const c = median(channel.medians)
    out.push(`A 64-byte round trip through the Channel takes ${fmt(c)} µs, ${timeVs(c, median(send.medians))} than process.send (JSON, ${fmt(median(send.medians))} µs)` +
      (spin ? `, and ${fmt(c / median(spin.medians))}× the bare spin on one word (${fmt(median(spin.medians))} µs), the floor: the Channel also carries the 64 bytes, its length and its index through shared cache lines.` : '.'))
  }
  if (channel && shm) {
    out.push(`shm-typed-array with polling answers in ${fmt(median(shm.medians))} µs: the Channel is ${timeVs(median(channel.medians), median(shm.medians))}.`)
  }
  if (load.length > 0) {
    const medianWins = load.filter((r) => r.channelMedian <= r.sendMedian).length
    const p99Wins = load.filter((r) => r.channelP99 <= r.sendP99).length
    const ratios = summarize(load.map((r) => r.channelMedian / r.sendMedian))
    out.push(`With one busy process per core besides the two ends, the Channel's median round trip was at most process.send's in ${medianWins} of ${load.length} runs, ` +
      `its p99 in ${p99Wins} of ${load.length}; Channel/process.send median ratio ${fmt(ratios.min)}–${fmt(ratios.max)} (median ${fmt(ratios.median)}). ` +
      'A waiting side spins only while spinning pays: its spin adapts to how its waits end, and on a contended machine they end in ' +
      'sleeps, so it spins a few microseconds and sleeps on the futex instead of holding a CPU its peer needs.')
  }
  const poolChannel = pool.find((r) => r.transport === 'channel')
  const poolSend = pool.find((r) => r.transport === 'process-json')
  const poolWorker = pool.find((r) => r.transport === 'worker')
  if (poolChannel && poolSend) {
    out.push(`A parent serving ${poolChannel.children} children at once handled ${fmt(poolChannel.requestsPerSecond)} requests/s through Channels against ` +
      `${fmt(poolSend.requestsPerSecond)} through process.send (${fmt(poolChannel.requestsPerSecond / poolSend.requestsPerSecond)}×)` +
      (poolWorker ? ` and ${fmt(poolWorker.requestsPerSecond)} through worker postMessage` : '') +
      `; p99 ${fmt(poolChannel.p99Us)} µs against ${fmt(poolSend.p99Us)} µs. Its replies are awaited off the event loop: one waiter thread sleeps on every channel at once (futex_waitv).`)
  }
  const idleChannel = cpu.find((c) => c.transport === 'channel')
  const idleShm = cpu.find((c) => c.transport === 'shm-polling')
  if (idleChannel) {
    out.push(`Waiting ${fmt(idleChannel.wallMs)} ms for nothing cost a Channel receiver ${fmt(idleChannel.cpuMs)} ms of CPU` +
      (idleShm ? ` (a polling loop, as shm-typed-array peers wait: ${fmt(idleShm.cpuMs)} ms): it spins briefly, then sleeps on the futex.` : ': it spins briefly, then sleeps on the futex.'))
  }
  return out
}
