// One measurement of one transport: round trips of one message size, then a
// one-way stream, each transport in a fresh pair of processes; with what
// decided the run (where the ends sat, what else ran, which wait engine).
import { asyncEngineProbe, PlacementSampler, type RunConditions, type WaitEngine } from './conditions.js'
import type { Transport } from './transports.js'

/** Message sizes of the stand-alone rows; a quick run leaves out 4 KiB, whose path is 64 B's. */
export const sizes = (quick: boolean) => (quick ? [64, 1 << 20] : [64, 4096, 1 << 20])
const WARM_UP_MS = 300
const MAX_WARM_UP_ROUNDS = 1_000_000
/**
 * Where both ends sit is sampled between round trips, this often, outside the
 * timed part; the round trip after a sample is not timed either (the sample's
 * reads of /proc leave the caches cold, and 1 in 50 would reach the p99).
 */
const SAMPLE_EVERY = 50

function counts(size: number, quick: boolean): { rounds: number; stream: number } {
  if (size >= 1 << 20) return quick ? { rounds: 6, stream: 6 } : { rounds: 100, stream: 300 }
  return quick ? { rounds: 200, stream: 2000 } : { rounds: 2000, stream: 20000 }
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

export interface Measured {
  transport: string
  size: number
  rttUs: number[]
  /** Undefined for a transport that carries no payload. */
  throughputMBps: number | undefined
  conditions: RunConditions
}

export interface MeasureOptions {
  quick: boolean
  /** Round trips timed (default: by size and quick). */
  rounds?: number
  /** Busy loops of the benchmark's own running beside the pair (under load): not counted as other runnable tasks. */
  busy?: number
}

/** Round trips of `size`-byte messages (after a warm-up), then one-way throughput, through a fresh transport. */
export async function measure(
  name: string,
  make: () => Transport,
  size: number,
  options: MeasureOptions,
): Promise<Measured> {
  const { quick, busy = 0 } = options
  const { rounds: defaultRounds, stream } = counts(size, quick)
  const rounds = options.rounds ?? defaultRounds
  const sampler = new PlacementSampler(busy)
  const engine = asyncEngineProbe()
  const transport = make()
  await transport.start()
  sampler.peerPid = transport.peerPid
  const message = new Uint8Array(size)
  // Synchronous transports are not awaited: an await per round would add a microtask hop to their time.
  const roundTrip = async () => {
    const pending = transport.roundTrip(message)
    if (pending) await pending
  }
  // Warm up until both processes' JITs have settled: at least half as many
  // rounds as measured, and for at least WARM_UP_MS. (A count alone is not
  // enough: 1,000 round trips of a microsecond end before V8 optimizes the
  // peer's loop, and the Channel measured 1.6-2.2 µs instead of 0.7.)
  const warmUntil = performance.now() + (quick ? WARM_UP_MS / 5 : WARM_UP_MS)
  for (let i = 0; i < MAX_WARM_UP_ROUNDS && (i < rounds / 2 || performance.now() < warmUntil); i++) await roundTrip()
  const rttUs = new Array<number>(rounds)
  for (let i = 0; i < rounds; i++) {
    if (i % SAMPLE_EVERY === 0) {
      sampler.sample()
      await roundTrip()
    }
    const start = performance.now()
    const pending = transport.roundTrip(message)
    if (pending) await pending
    rttUs[i] = (performance.now() - start) * 1e3
  }
  let throughputMBps: number | undefined
  if (transport.stream) {
    const start = process.hrtime.bigint()
    await transport.stream(message, stream)
    throughputMBps = (size * stream) / (Number(process.hrtime.bigint() - start) / 1e9) / 1e6
  }
  await transport.stop()
  const waited = (how: 'sync' | 'async' | undefined, asyncEngine: () => WaitEngine | undefined) =>
    how === 'async' ? asyncEngine() : how
  const engines = transport.waits
    ? {
        parentEngine: waited(transport.waits.parent, engine),
        peerEngine: waited(transport.waits.peer, () => transport.peerEngine),
      }
    : {}
  return { transport: name, size, rttUs, throughputMBps, conditions: sampler.conditions(engines) }
}
