// How one side of a channel (or a mutex) waits for the other: spin, then
// sleep on a futex. Spinning is what makes a cross-process round trip take
// microseconds, but only while the other side runs on another CPU: on a
// machine with more runnable processes than cores it burns the time the peer
// needs (spinning, or yielding to whatever else was runnable, cost a
// millisecond per round trip there). So the spin adapts to how waits end:
// caught by the spin, it stays; a sleep that ended within the longest spin
// says spin longer; anything longer says spin less, down to a few
// microseconds. (Measuring "soon" against the current spin instead locked
// both sides into sleeping: a futex wake takes ~50 µs here, always "long"
// next to a 2 µs spin, so half the idle runs took 54 µs per round trip.)
// A sleep ended by a peer on our own CPU counts as long however short it
// was: that peer's spin held the CPU we needed, and spinning longer would
// only lengthen both sides' turns (two ends on one CPU took ~110 µs per
// round trip, and so did 2 in 10 runs on a loaded machine).
// The sleep is announced, so a busy peer makes no futex calls, and taken in
// slices, so a dead or stalled peer is noticed. One plan serves the blocking
// and the async form: a generator yields the sleeps, two drivers perform them.
import { timeoutMs } from '../validate.js'
import { futexWait, futexWaitAsync } from './futex.js'

/** What a wait is for, and how to sleep on it. */
export interface WaitTarget {
  /** The word to sleep on (it changes when what we wait for comes) and its index. */
  words: Int32Array
  index: number
  /** Whether what we wait for is there. */
  ready(): boolean
  /**
   * Says this side is about to sleep, so that the other side will wake it:
   * the value of the word to sleep on, or undefined when ready() came meanwhile.
   */
  announce(): number | undefined
  /** After a sleep: no longer asleep. */
  retract(): void
  /**
   * After a sleep a wake ended: whether the waker woke us from the CPU we now
   * run on. Then its spin held the CPU we needed, and ours would hold its.
   */
  wokenFromThisCpu?(): boolean
  /**
   * Throws when it can never come: the peer closed, the deadline passed, or
   * (when `peer`, after a sleep that nobody cut short) the peer died.
   */
  check(deadline: number, peer: boolean): void
}

interface Sleep {
  words: Int32Array
  index: number
  expected: number
  timeoutMs: number
}

// A sleeping side looks at its peer this often.
const CHECK_PEER_MS = 100
// The spin adapts between these (ns).
const MIN_SPIN_NS = 2_000
const MAX_SPIN_NS = 200_000

const now = () => performance.now() * 1e6

/** What an attempt returns when it cannot complete yet. */
export const NOT_YET: unique symbol = Symbol('not yet')
export type NotYet = typeof NOT_YET

export class Waiter {
  #spinNs = MIN_SPIN_NS

  /** Blocks this thread until target.ready() or target.check() throws. */
  waitSync(target: WaitTarget, deadline: number): void {
    if (!this.#spin(target)) this.#drive(this.#plan(target, deadline, true))
  }

  /** waitSync() off the event loop: no spinning (it would hold the loop), the sleep on mman's waiter thread. */
  async waitAsync(target: WaitTarget, deadline: number): Promise<void> {
    await this.#driveAsync(this.#plan(target, deadline, false))
  }

  /**
   * Calls attempt() until it returns something other than NOT_YET, which it
   * returns, waiting on `target` between tries (as waitSync() does), for
   * `timeoutMs` at most (undefined or Infinity: no limit), counted from the
   * first wait.
   */
  run<T>(attempt: () => T | NotYet, target: WaitTarget, timeoutMs: number | undefined): T {
    // Most waits of a busy channel end in the first spin: they need no plan.
    if (this.#spin(target)) {
      const result = attempt()
      if (result !== NOT_YET) return result
    }
    return this.#drive(this.#operation(attempt, target, timeoutMs, true))
  }

  /** run() off the event loop, as waitAsync() waits. */
  runAsync<T>(attempt: () => T | NotYet, target: WaitTarget, timeoutMs: number | undefined): Promise<T> {
    return this.#driveAsync(this.#operation(attempt, target, timeoutMs, false))
  }

  /** Performs a plan's sleeps on this thread. */
  #drive<T>(plan: Generator<Sleep, T, void>): T {
    for (let step = plan.next(); ; step = plan.next()) {
      if (step.done) return step.value
      const { words, index, expected, timeoutMs } = step.value
      futexWait(words, index, expected, timeoutMs)
    }
  }

  /** Performs a plan's sleeps off the event loop. */
  async #driveAsync<T>(plan: Generator<Sleep, T, void>): Promise<T> {
    for (let step = plan.next(); ; step = plan.next()) {
      if (step.done) return step.value
      const { words, index, expected, timeoutMs } = step.value
      await futexWaitAsync(words, index, expected, timeoutMs)
    }
  }

  /** The sleeps of one call that tries until it can: a blocking one (`sync`) also spins before it sleeps. */
  *#operation<T>(
    attempt: () => T | NotYet,
    target: WaitTarget,
    timeoutMs: number | undefined,
    sync: boolean,
  ): Generator<Sleep, T, void> {
    let deadline: number | undefined
    for (;;) {
      const result = attempt()
      if (result !== NOT_YET) return result
      deadline ??= deadlineOf(timeoutMs)
      if (sync && this.#spin(target)) continue
      yield* this.#plan(target, deadline, sync)
    }
  }

  /** The pure spin, kept out of the generator: most waits of a busy channel end here. */
  #spin(target: WaitTarget): boolean {
    const start = now()
    for (let i = 1; ; i++) {
      if (target.ready()) return true
      if ((i & 15) === 0 && now() - start > this.#spinNs) return false
    }
  }

  /** The sleeps of one wait; `adapts`: its sleeps tune the spin (they follow one). */
  *#plan(target: WaitTarget, deadline: number, adapts: boolean): Generator<Sleep, void, void> {
    for (;;) {
      const expected = target.announce()
      if (expected === undefined) return
      target.check(deadline, false)
      if (target.ready()) {
        target.retract()
        return
      }
      const slept = now()
      const sliceMs = Math.max(1, Math.min(CHECK_PEER_MS, deadline - Date.now()))
      yield { words: target.words, index: target.index, expected, timeoutMs: sliceMs }
      target.retract()
      const sleptNs = now() - slept
      if (adapts) this.#adapt(sleptNs < sliceMs * 1e6 && target.wokenFromThisCpu?.() === true ? Infinity : sleptNs)
      if (target.ready()) return
      target.check(deadline, sleptNs >= sliceMs * 1e6)
      if (target.ready()) return
    }
  }

  /** A sleep a spin could have covered says: spin longer next time. A longer one says: spin less. */
  #adapt(sleptNs: number): void {
    this.#spinNs =
      sleptNs < MAX_SPIN_NS ? Math.min(MAX_SPIN_NS, this.#spinNs * 1.5) : Math.max(MIN_SPIN_NS, this.#spinNs / 2)
  }
}

/** A deadline (Date.now() based) from a timeout in ms; Infinity for none. */
export function deadlineOf(timeout: unknown): number {
  const checked = timeoutMs(timeout)
  return checked === undefined || checked === Infinity ? Infinity : Date.now() + checked
}
