// The ipc suite's conclusions, each computed from the rows it cites, and the
// targets they are held to. The pair's targets (issue 18) are ratios between
// rows measured in the same parent/child pair: one ratio per run, from the
// run's medians, given as median [min–max] over the runs; a target is met when
// the median ratio meets it, and the sentence says in how many runs it held.
import { conditionsOf, runsOf } from './conditions-text.js'
import { fmt } from '../../report/format.js'
import { spreadOf, unmeasuredText, type Row, type Unmeasured } from '../../report/rows.js'
import { summarize } from '../stats.js'
import { compareSpreads, relationClause } from '../../report/verdict.js'

const TARGETS = {
  /** The Channel's zero-copy send + receiveView, over the bare spin. */
  zeroCopyVsSpin: 2.0,
  /** send + receiveView over the minimal copying ring. */
  viewVsCopyingRing: 1.3,
  /** send + receiveView over shm-typed-array polling: below 1, faster. */
  viewVsShm: 1,
  /** send + receive over the bare spin. */
  receiveVsSpin: 4.0,
  /** How many times faster than process.send (JSON) a 64-byte round trip is (issue 10). */
  versusProcessSend: 30,
  /** The share of one CPU a Channel receiver may use while it waits for nothing. */
  idleCpuShare: 0.02,
} as const

const num = (row: Row, field: string) => row[field] as number
const list = (row: Row, field: string) => (Array.isArray(row[field]) ? (row[field] as number[]) : [])
const scenarioOf = (row: Row) => (row.scenario as string | undefined) ?? 'idle'
export const inScenario = (rows: Row[], scenario: string) => rows.filter((r) => scenarioOf(r) === scenario)

/** a's run medians over b's, run by run (the pair measures both in every run). */
export function runRatios(a: Row, b: Row): number[] {
  const [am, bm] = [list(a, 'runMediansUs'), list(b, 'runMediansUs')]
  return am.slice(0, Math.min(am.length, bm.length)).map((m, i) => m / bm[i]!)
}

/** "2.41× [2.25–2.64] over 5 runs" (without `runs`: "2.41× [2.25–2.64]"). */
export function ratioText(ratios: number[], runs = true): string {
  const { min, median, max } = summarize(ratios)
  return `${fmt(median)}× [${fmt(min)}–${fmt(max)}]${runs ? ` over ${plural(ratios.length, 'run')}` : ''}`
}

/** "1 run", "5 runs" */
export const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`

/** What a sentence or a column heading calls each transport. */
export const SHORT_NAMES: Record<string, string> = {
  spin: 'the spin',
  'c-floor': 'C (64 B + a flag)',
  'zero-copy-ring': 'the zero-copy ring',
  'copy-ring': 'the copying ring',
  'shm-polling': 'shm-typed-array',
  channel: 'Channel',
  'channel-receive': 'Channel send + receive',
  'channel-zero-copy': 'Channel zero-copy',
  'channel-async': 'io_uring engine',
  'channel-async-thread': 'waiter thread',
  'process-json': 'process.send',
}

/**
 * "2.41× [2.25–2.64] the copying ring's time over 5 runs (target ≤ 1.3×:
 * missed; held in 0 of 5 runs)": met when the median ratio meets the target.
 */
function targetClause(ratios: number[], what: string, target: number, strict = false): string {
  const holds = (r: number) => (strict ? r < target : r <= target)
  const met = holds(summarize(ratios).median)
  const held = ratios.filter(holds).length
  return `${ratioText(ratios, false)} ${what} over ${plural(ratios.length, 'run')} (target ${strict ? '<' : '≤'} ${target}×: ${met ? 'met' : 'missed'}; held in ${held} of ${ratios.length} runs)`
}

/** The pair's sentences: the floors against the spin, and each of the Channel's targets. */
export function pairConclusions(rows: Row[], unmeasured: Unmeasured[]): string[] {
  const pair = inScenario(rows, 'pair')
  const find = (transport: string) => pair.find((r) => r.transport === transport)
  const spin = find('spin')
  if (!spin) return []
  const out: string[] = []
  const us = (row: Row) => `${fmt(num(row, 'roundTripMedianUs'))} µs`
  const floors = ['c-floor', 'zero-copy-ring', 'copy-ring'].map(find).filter((r): r is Row => r !== undefined)
  out.push(
    `In one parent/child pair, blocks of ${num(spin, 'roundTripsPerBlock')} round trips of 64 B interleaved, the bare spin on one word took ${us(spin)} per round trip; ` +
      (floors.length > 0
        ? `${floors.map((r) => `${SHORT_NAMES[r.transport as string]} ${ratioText(runRatios(r, spin), false)}`).join(', ')} that of the spin in the same ${plural(list(spin, 'runMediansUs').length, 'run')}. `
        : '') +
      'These are the floors: what the hardware and the JS engine allow, with nothing another process writes checked.',
  )
  const view = find('channel')
  const copyingRing = find('copy-ring')
  if (view && copyingRing) {
    const ratios = runRatios(view, copyingRing)
    out.push(
      `The Channel's send + receiveView took ${us(view)}: ${targetClause(ratios, "the minimal copying ring's time", TARGETS.viewVsCopyingRing)}.`,
    )
  }
  const shm = find('shm-polling')
  if (view && shm) {
    const ratios = runRatios(view, shm)
    out.push(
      `Against shm-typed-array polling (${us(shm)}) in the same pair, send + receiveView took ${targetClause(ratios, 'its time', TARGETS.viewVsShm, true)}: below 1× is faster.`,
    )
  } else if (view) {
    const missing = unmeasured.find((u) => u.scenario === 'pair' && u.mode.startsWith('shm-polling'))
    if (missing)
      out.push(
        `shm-typed-array polling: ${unmeasuredText(missing)}, so the Channel's target against it (faster) is not checked.`,
      )
  }
  const receive = find('channel-receive')
  if (receive) {
    const ratios = runRatios(receive, spin)
    out.push(
      `send + receive, which copies each reply out, took ${us(receive)}: ${targetClause(ratios, "the spin's time", TARGETS.receiveVsSpin)}.`,
    )
  }
  const zeroCopy = find('channel-zero-copy')
  if (zeroCopy) {
    const ratios = runRatios(zeroCopy, spin)
    out.push(
      `The Channel's zero-copy send (a slot loaned, written in place, published) with receiveView took ${us(zeroCopy)}: ${targetClause(ratios, "the spin's time", TARGETS.zeroCopyVsSpin)}.`,
    )
  } else {
    out.push(
      `The Channel's zero-copy send is not measured in this run (no such row), so its target (≤ ${TARGETS.zeroCopyVsSpin}× the spin) is not checked.`,
    )
  }
  const runs = runsOf(pair)
  const shared = runs.filter((run) => run.sameCpuShare !== null && run.sameCpuShare > 0.5).length
  if (shared > 0) {
    out.push(
      `In ${shared} of the pair's ${plural(runs.length, 'run')} the two ends shared one CPU in most samples: spinning ends then take turns through the scheduler, and that run's ratios say little.`,
    )
  }
  return out
}

/** The sentence on the Channel against process.send at 64 B (issue 10's target), from the stand-alone rows. */
export function versusProcessSendConclusion(rows: Row[]): string[] {
  const idle = inScenario(rows, 'idle')
  const find = (transport: string) => idle.find((r) => r.transport === transport && r.messageBytes === 64)
  const [channel, send] = [find('channel'), find('process-json')]
  if (!channel || !send) return []
  const comparison = compareSpreads(spreadOf(channel), spreadOf(send))
  const met = comparison.direction === 'faster' && comparison.factor >= TARGETS.versusProcessSend
  return [
    `A 64-byte round trip through the Channel, each in a pair of its own and timed one by one, takes ${fmt(num(channel, 'roundTripMedianUs'))} µs against ${fmt(num(send, 'roundTripMedianUs'))} µs for process.send (JSON): ` +
      `${relationClause('the Channel', 'process.send', comparison)} (target ≥ ${TARGETS.versusProcessSend}× faster: ${met ? 'met' : 'missed'}).`,
  ]
}

/** The Channel awaiting through each engine, against itself waiting on the JS thread. */
export function engineConclusion(rows: Row[]): string[] {
  const idle = inScenario(rows, 'idle')
  const find = (transport: string) => idle.find((r) => r.transport === transport && r.messageBytes === 64)
  const [uring, thread] = [find('channel-async'), find('channel-async-thread')]
  if (!uring || !thread) return []
  const engines = (row: Row) =>
    [...new Set(conditionsOf(row).map((run) => run.parentEngine))].join(', ') || 'not recorded'
  return [
    `With both ends awaiting receiveAsync(), a 64-byte round trip took ${fmt(num(uring, 'roundTripMedianUs'))} µs (p99 ${fmt(num(uring, 'roundTripP99Us'))}) on the default engine ` +
      `(it was: ${engines(uring)}) and ${fmt(num(thread, 'roundTripMedianUs'))} µs (p99 ${fmt(num(thread, 'roundTripP99Us'))}) with MMAN_NO_IO_URING=1 (it was: ${engines(thread)}): ` +
      `${relationClause('the default engine', 'the waiter thread', compareSpreads(spreadOf(uring), spreadOf(thread)))}. Every such wait sleeps: a wake-up crosses the kernel each way.`,
  ]
}

/** Runs in which a's median and p99 were both at most b's, and which runs missed, with where the ends sat in each. */
function loadWins(
  a: Row,
  b: Row,
): { runs: number; medianWins: number; p99Wins: number; misses: string[]; ratios: number[] } {
  const [am, ap, bm, bp] = [
    list(a, 'runMediansUs'),
    list(a, 'runP99sUs'),
    list(b, 'runMediansUs'),
    list(b, 'runP99sUs'),
  ]
  const runs = Math.min(am.length, bm.length)
  const placement = conditionsOf(a)
  const misses: string[] = []
  for (let i = 0; i < runs; i++) {
    if (am[i]! <= bm[i]! && ap[i]! <= bp[i]!) continue
    const share = placement[i]?.sameCpuShare
    misses.push(
      `run ${i + 1}${share === undefined || share === null ? '' : share > 0.5 ? ' (ends on one CPU)' : ' (ends on two CPUs)'}`,
    )
  }
  return {
    runs,
    medianWins: am.slice(0, runs).filter((m, i) => m <= bm[i]!).length,
    p99Wins: ap.slice(0, runs).filter((p, i) => p <= bp[i]!).length,
    misses,
    ratios: am.slice(0, runs).map((m, i) => m / bm[i]!),
  }
}

export function loadConclusions(rows: Row[]): string[] {
  const load = (transport: string) => inScenario(rows, 'load').find((r) => r.transport === transport)
  const send = load('process-json')
  const channel = load('channel')
  if (!channel || !send) return []
  const w = loadWins(channel, send)
  const met = w.medianWins === w.runs && w.p99Wins === w.runs
  const out = [
    `With one busy process per core beside the two ends, the Channel's median round trip was at most process.send's in ${w.medianWins} of ${w.runs} runs ` +
      `and its p99 in ${w.p99Wins} of ${w.runs} (target: every run, both: ${met ? 'met' : 'missed'}${w.misses.length > 0 ? `; missed in ${w.misses.join(', ')}` : ''}); ` +
      `Channel / process.send median ratio ${fmt(Math.min(...w.ratios))}–${fmt(Math.max(...w.ratios))}. A waiting side spins only while spinning pays: its spin adapts to how its waits end, ` +
      'so on a contended machine it spins a few microseconds and sleeps on the futex instead of holding a CPU its peer needs.',
  ]
  const engines = [
    ['channel-async', 'the default engine'],
    ['channel-async-thread', 'the waiter thread'],
  ] as const
  const parts = engines.flatMap(([transport, name]) => {
    const row = load(transport)
    if (!row) return []
    const e = loadWins(row, send)
    return [
      `through ${name} its median was at most process.send's in ${e.medianWins} of ${e.runs} runs and its p99 in ${e.p99Wins} of ${e.runs}`,
    ]
  })
  if (parts.length > 0) out.push(`With both ends awaiting receiveAsync() under the same load, ${parts.join('; ')}.`)
  return out
}

export function idleCpuConclusion(rows: Row[]): string[] {
  const cpu = (transport: string) => inScenario(rows, 'idle-cpu').find((r) => r.transport === transport)
  const [channel, polling] = [cpu('channel'), cpu('shm-polling')]
  if (!channel) return []
  const share = num(channel, 'cpuMs') / num(channel, 'wallMs')
  const held = share <= TARGETS.idleCpuShare
  return [
    `Waiting ${fmt(num(channel, 'wallMs'))} ms for nothing cost a Channel receiver ${fmt(num(channel, 'cpuMs'))} ms of CPU, ${fmt(100 * share, 2)} % of one CPU ` +
      `(limit ≤ ${fmt(100 * TARGETS.idleCpuShare, 2)} %: ${held ? 'held' : 'exceeded'})` +
      (polling ? `; a polling loop, as shm-typed-array peers wait, used ${fmt(num(polling, 'cpuMs'))} ms` : '') +
      ': it spins briefly, then sleeps on the futex.',
  ]
}
