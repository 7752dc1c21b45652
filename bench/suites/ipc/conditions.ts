// What decided a run of the ipc suite, read from /proc while it ran: where the
// two ends sat (one CPU or two: the processor field of each end's main
// thread), how much else the machine ran (the load average, and tasks other
// than the benchmark's that were runnable), and which wait engine each end
// used. A round trip between two processes is decided by these more than by
// the code measured: two spinning ends on two CPUs pass cache lines in
// nanoseconds, two ends on one CPU must take turns through the scheduler.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'

/** How an mman end waited: on its JS thread (futex calls, 'sync'), or off it, through io_uring or mman's waiter thread. */
export type WaitEngine = 'sync' | 'io_uring' | 'thread'

/** One fresh pair of processes, as it ran. Every ipc row that times round trips carries one per run, in run order. */
export interface RunConditions {
  /** Share of the placement samples in which both ends' last CPU was the same one; null when the peer is a thread of this process. */
  sameCpuShare: number | null
  /** Placement samples taken (between round trips, or between blocks of them). */
  samples: number
  /** Tasks runnable besides the benchmark's own (the threads of its two ends' processes, its busy loops), averaged over the samples. */
  othersRunnableMean: number
  /** The 1-minute load average just before the pair started and just after it ended. */
  loadAvgBefore: number
  loadAvgAfter: number
  /** Tasks runnable besides the benchmark's own, just before and just after. */
  runnableBefore: number
  runnableAfter: number
  /** How each end waited; absent for transports that are not mman's. */
  parentEngine?: WaitEngine
  peerEngine?: WaitEngine
}

/**
 * The machine counts as idle for a run when, averaged over the run's samples,
 * fewer than this many tasks other than the benchmark's were runnable: the
 * 1-minute load average's threshold for "nothing else running", applied to
 * the run's own window and without the benchmark's own processes (the load
 * average itself counts them, and the suites run before this one).
 */
export const IDLE_OTHERS_RUNNABLE = 0.3

/** The state letter and last CPU of a thread, from the text of /proc/<pid>/task/<tid>/stat (fields 3 and 39). */
export function parseStat(text: string): { state: string; cpu: number } | undefined {
  // The command name (field 2) is in parentheses and may hold spaces and parentheses itself.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const cpu = Number(fields[36])
  return fields[0] && Number.isInteger(cpu) ? { state: fields[0], cpu } : undefined
}

/** The 1-minute load average and the count of runnable tasks (the reader included), from the text of /proc/loadavg. */
export function parseLoadAvg(text: string): { loadAvg: number; runnable: number } {
  // "0.52 0.58 0.59 2/345 12345": the 1-, 5- and 15-minute averages, runnable/all tasks, the last pid.
  const fields = text.split(' ')
  return { loadAvg: Number(fields[0]), runnable: Number(fields[3]?.split('/')[0]) }
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** A thread (by default a process's main thread, whose tid is its pid) as it is now; undefined once it is gone. */
const thread = (pid: number, tid: number | string = pid) => {
  const text = read(`/proc/${pid}/task/${tid}/stat`)
  return text === undefined ? undefined : parseStat(text)
}

/** How many threads of these processes are runnable now (the caller's own included). */
function runnableThreads(pids: number[]): number {
  let count = 0
  for (const pid of pids) {
    let tids: string[]
    try {
      tids = readdirSync(`/proc/${pid}/task`)
    } catch {
      continue
    }
    for (const tid of tids) if (thread(pid, tid)?.state === 'R') count++
  }
  return count
}

/**
 * The load average, and how many tasks are runnable now besides the
 * benchmark's: every thread of `pids` (this process and the peer) and the
 * `busy` loops it runs beside them under load.
 */
function loadNow(pids: number[], busy = 0): { loadAvg: number; othersRunnable: number } {
  const { loadAvg, runnable } = parseLoadAvg(read('/proc/loadavg') ?? 'NaN 0/0')
  return { loadAvg, othersRunnable: Math.max(0, runnable - runnableThreads(pids) - busy) }
}

/**
 * Samples, from the parent end's main thread, where both ends sit and what
 * else is runnable. `busy` counts the benchmark's own busy loops (under load),
 * which are not "others"; nor are the threads of the two ends' processes
 * (V8's and libuv's, mman's waiter thread, a worker peer).
 */
export class PlacementSampler {
  #same = 0
  #placed = 0
  #samples = 0
  #others = 0
  readonly #before: { loadAvg: number; othersRunnable: number }
  /** The peer's pid, once it runs (undefined: a thread of this process, whose placement is not sampled). */
  peerPid: number | undefined

  /** Reads the machine's state before the pair starts. */
  constructor(private readonly busy = 0) {
    this.#before = loadNow([process.pid], busy)
  }

  sample(): void {
    const self = thread(process.pid)
    const peer = this.peerPid === undefined ? undefined : thread(this.peerPid)
    if (self && peer) {
      this.#placed++
      if (self.cpu === peer.cpu) this.#same++
    }
    this.#others += loadNow(
      this.peerPid === undefined ? [process.pid] : [process.pid, this.peerPid],
      this.busy,
    ).othersRunnable
    this.#samples++
  }

  /** The run's conditions, once it ended (its processes gone). */
  conditions(engines: { parentEngine?: WaitEngine; peerEngine?: WaitEngine } = {}): RunConditions {
    const after = loadNow([process.pid], this.busy)
    return {
      sameCpuShare: this.#placed === 0 ? null : this.#same / this.#placed,
      samples: this.#samples,
      othersRunnableMean: this.#samples === 0 ? 0 : this.#others / this.#samples,
      loadAvgBefore: this.#before.loadAvg,
      loadAvgAfter: after.loadAvg,
      runnableBefore: this.#before.othersRunnable,
      runnableAfter: after.othersRunnable,
      ...engines,
    }
  }
}

/** Whether a run had the machine to itself (see IDLE_OTHERS_RUNNABLE). */
export const idleRun = (run: RunConditions) => run.othersRunnableMean < IDLE_OTHERS_RUNNABLE

/** The io_uring instances of this process, by fd, with the completions each has posted. */
function rings(): Map<string, number> {
  const found = new Map<string, number>()
  for (const fd of readdirSync('/proc/self/fd')) {
    if (readlinkOrUndefined(`/proc/self/fd/${fd}`) !== 'anon_inode:[io_uring]') continue
    const tail = /CqTail:\s*(\d+)/.exec(read(`/proc/self/fdinfo/${fd}`) ?? '')
    if (tail) found.set(fd, Number(tail[1]))
  }
  return found
}

function readlinkOrUndefined(path: string): string | undefined {
  try {
    return readlinkSync(path)
  } catch {
    return undefined
  }
}

/**
 * Which engine this process's async waits went through, seen from outside
 * mman: call it before the first async wait, and the function it returns
 * after the last. An io_uring instance that appeared meanwhile and posted
 * completions is mman's (libuv's own rings, on Node 22 and later, exist from
 * start-up); without one, the waits went to mman's waiter thread.
 */
export function asyncEngineProbe(): () => WaitEngine {
  const before = rings()
  return () => ([...rings()].some(([fd, tail]) => !before.has(fd) && tail > 0) ? 'io_uring' : 'thread')
}
