// The floors and the Channel in one parent/child pair: each run starts one
// peer process that holds the peer end of every transport (pair-transports.ts),
// and the parent times blocks of round trips through each in turn, the order
// rotated every round of blocks, so that every ratio between two transports
// comes from the same processes, the same placement and the same moment.
// Single round trips of 0.1–1 µs cannot be timed one by one (reading the
// clock costs ~50 ns), so a block is timed whole. Between blocks the parent
// samples where both ends sit and what else is runnable (conditions.ts).
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { forkWithMemory, futexWake, SharedMemory } from 'mman'
import { PlacementSampler, type RunConditions } from './conditions.js'
import type { PairTransport } from './pair-transports.js'
import { stalled } from './stall.js'
import { exited } from './transports.js'

const PAIR_PEER = fileURLToPath(new URL('./pair-peer.js', import.meta.url))

/** Words of the control region: the parent's command (sequence, transport, rounds) and the peer's answers. */
export const CONTROL = { seq: 0, transport: 1, rounds: 2, ready: 16, done: 32 } as const
/** The transport index that tells the peer to stop. */
export const STOP = -1

/** Which regions and key belong to which transport, for the peer (argv[2], JSON). */
export interface PairManifest {
  key: string
  regions: number
  arg?: string
}

export interface PairPlan {
  runs: number
  blocks: number
  roundsPerBlock: number
  warmUpMs: number
  /**
   * How long one run may take. Spinning ends on a machine with more runnable
   * tasks than CPUs wait for each other's turn on every round trip (a quick
   * run of under a second took 24 s at load 9 on 2 CPUs): past its budget a
   * run stops after its current round of blocks (every transport keeps one).
   */
  budgetMs: number
}

/** One run: per transport, ns per round trip of each block, and the run's conditions. */
export interface PairRun {
  blockNs: Record<string, number[]>
  conditions: Record<string, RunConditions>
}

/** The parent's side of the control protocol: one command at a time, every wait bounded. */
class Control {
  readonly #ctl: Int32Array
  #seq = 0

  constructor(memory: SharedMemory) {
    this.#ctl = memory.int32(0, 64)
  }

  /** Tells the peer to serve `rounds` round trips on transport `index` and waits until it is in place. */
  start(index: number, rounds: number): void {
    const ctl = this.#ctl
    ctl[CONTROL.transport] = index
    ctl[CONTROL.rounds] = rounds
    Atomics.store(ctl, CONTROL.seq, ++this.#seq)
    futexWake(ctl, CONTROL.seq)
    if (index !== STOP) this.#await(CONTROL.ready)
  }

  /** Waits until the peer is back from the block. */
  finish(): void {
    this.#await(CONTROL.done)
  }

  stop(): void {
    this.start(STOP, 0)
  }

  #await(word: number): void {
    for (let spins = 1, since = 0; Atomics.load(this.#ctl, word) !== this.#seq; spins++)
      if ((spins & 0xffff) === 0) since = stalled('the ipc pair peer', since)
  }
}

/** `plan.runs` runs, each in a fresh pair of processes; `make` gives fresh transports for each. */
export async function pairRuns(
  make: () => PairTransport[],
  plan: PairPlan,
  step: (what: string) => void,
): Promise<PairRun[]> {
  const runs: PairRun[] = []
  for (let run = 0; run < plan.runs; run++) {
    runs.push(await pairRun(make(), plan))
    step(`one pair, run ${run + 1} of ${plan.runs}`)
  }
  return runs
}

async function pairRun(transports: PairTransport[], plan: PairPlan): Promise<PairRun> {
  const samplers = transports.map(() => new PlacementSampler())
  const control = SharedMemory.create(4096)
  let child: ChildProcess | undefined
  try {
    const shared = transports.map((t) => t.share())
    const manifest: PairManifest[] = transports.map((t, i) => ({
      key: t.key,
      regions: shared[i]!.memory.length,
      arg: shared[i]!.arg,
    }))
    const memory = [control, ...shared.flatMap((s) => s.memory)]
    child = forkWithMemory(PAIR_PEER, [JSON.stringify(manifest)], { memory, stdio: ['ignore', 'inherit', 'inherit'] })
    await ready(child)
    for (const sampler of samplers) sampler.peerPid = child.pid
    const ends = transports.map((t) => t.parent())
    const commands = new Control(control)
    const block = (i: number, rounds: number) => {
      commands.start(i, rounds)
      const start = performance.now()
      ends[i]!.run(rounds)
      const ns = ((performance.now() - start) * 1e6) / rounds
      commands.finish()
      return ns
    }
    const started = performance.now()
    const inBudget = () => performance.now() - started < plan.budgetMs
    // Warm-up: every transport in turn, twice at least and for warmUpMs, until both processes' JITs have settled.
    const warming = (round: number) => round < 2 || performance.now() - started < plan.warmUpMs
    for (let round = 0; round === 0 || (inBudget() && warming(round)); round++)
      transports.forEach((_, i) => block(i, plan.roundsPerBlock))
    const blockNs: Record<string, number[]> = Object.fromEntries(transports.map((t) => [t.key, []]))
    for (let b = 0; b < plan.blocks && (b === 0 || inBudget()); b++) {
      for (let k = 0; k < transports.length; k++) {
        const i = (b + k) % transports.length
        blockNs[transports[i]!.key]!.push(block(i, plan.roundsPerBlock))
        samplers[i]!.sample()
      }
    }
    commands.stop()
    await exited(child)
    if (child.exitCode !== 0)
      throw new Error(`the ipc pair peer exited with ${child.signalCode ?? `status ${child.exitCode}`}`)
    const conditions = Object.fromEntries(
      transports.map((t, i) => [
        t.key,
        samplers[i]!.conditions(t.engine ? { parentEngine: t.engine, peerEngine: t.engine } : {}),
      ]),
    )
    return { blockNs, conditions }
  } finally {
    // A run that failed must not leave its peer waiting for commands (and this process alive).
    if (child && child.exitCode === null && child.signalCode === null) child.kill()
    for (const t of transports) t.close()
    control.close()
  }
}

/** Resolves when the peer says it holds every end; rejects if it exits first. */
async function ready(child: ChildProcess): Promise<void> {
  const ac = new AbortController()
  try {
    await Promise.race([
      once(child, 'message', { signal: ac.signal }),
      once(child, 'exit', { signal: ac.signal }).then(([code, signal]) => {
        throw new Error(`the ipc pair peer exited (${signal ?? `status ${code}`}) before it was ready`)
      }),
    ])
  } finally {
    ac.abort()
  }
}
