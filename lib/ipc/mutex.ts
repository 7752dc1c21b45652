// A mutex for threads in different processes, on one Int32 word in shared
// memory. The word holds the owner's thread id (plus a waiters bit), so a
// holder that died can be recognised and the lock recovered.
import { invalidArgType, invalidState } from '../errors.js'
import { integer } from '../validate.js'
import { futexWait, futexWaitAsync, futexWake, type WaitResult } from './futex.js'
import { isAlive, threadId } from './liveness.js'

const WAITERS = 0x40000000
// How often a waiter looks at whether the holder is still alive.
const CHECK_HOLDER_MS = 100

/** How lock() got the mutex: 'recovered' means the previous holder died holding it, so the data it protected may be inconsistent. */
export type LockResult = 'acquired' | 'recovered'

/**
 * A lock between processes (and threads) on one word of shared memory: the
 * holder's thread id is stored there, so a holder that died is noticed and the
 * lock recovered.
 */
export class Mutex {
  readonly #word: Int32Array
  readonly #index: number

  /**
   * A mutex on int32[index], which must be in shared memory mman mapped and start at 0 (unlocked).
   * @param int32 An Int32Array over shared memory mman mapped (a SharedMemory's int32(), say).
   * @param index The element that holds the lock (default 0).
   */
  constructor(int32: Int32Array, index = 0) {
    if (!(int32 instanceof Int32Array)) throw invalidArgType('int32', 'an Int32Array over shared memory', int32)
    this.#word = int32
    this.#index = integer(index, 'index', 0, int32.length - 1)
  }

  /** The thread id holding the lock, or 0. */
  get holder(): number {
    return Atomics.load(this.#word, this.#index) & ~WAITERS
  }

  /** Takes the mutex if it is free, without waiting: true when it is ours. */
  tryLock(): boolean {
    return Atomics.compareExchange(this.#word, this.#index, 0, threadId()) === 0
  }

  /** Blocks this thread until the mutex is ours. */
  lock(): LockResult {
    if (this.tryLock()) return 'acquired'
    const me = threadId()
    for (;;) {
      const seen = this.#claimOrWaitOn(me)
      if (typeof seen === 'string') return seen
      const taken = this.#takeFromDeadHolder(me, seen, futexWait(this.#word, this.#index, seen, CHECK_HOLDER_MS))
      if (taken) return taken
    }
  }

  /** lock() waiting off the event loop. */
  async lockAsync(): Promise<LockResult> {
    if (this.tryLock()) return 'acquired'
    const me = threadId()
    for (;;) {
      const seen = this.#claimOrWaitOn(me)
      if (typeof seen === 'string') return seen
      const taken = this.#takeFromDeadHolder(me, seen, await futexWaitAsync(this.#word, this.#index, seen, CHECK_HOLDER_MS))
      if (taken) return taken
    }
  }

  /** Releases the mutex (only its holder may), waking one waiter. */
  unlock(): void {
    const me = threadId()
    const current = Atomics.load(this.#word, this.#index)
    if ((current & ~WAITERS) !== me) {
      throw invalidState(`unlock() by thread ${me}, but the mutex is held by ${current & ~WAITERS || 'nobody'}`)
    }
    if (Atomics.exchange(this.#word, this.#index, 0) & WAITERS) futexWake(this.#word, this.#index, 1)
  }

  /**
   * Takes the lock if it is free, or sets the waiters bit and returns the word
   * value to sleep on. After a wait we cannot know whether others wait too, so
   * we take the lock with the bit set: one extra wake is harmless, a lost one is not.
   */
  #claimOrWaitOn(me: number): LockResult | number {
    for (;;) {
      const seen = Atomics.load(this.#word, this.#index)
      if (seen === 0) {
        if (Atomics.compareExchange(this.#word, this.#index, 0, me | WAITERS) === 0) return 'acquired'
        continue
      }
      if ((seen & ~WAITERS) === me) throw invalidState(`thread ${me} already holds this mutex (it is not recursive)`)
      if (seen & WAITERS || Atomics.compareExchange(this.#word, this.#index, seen, seen | WAITERS) === seen) {
        return seen | WAITERS
      }
    }
  }

  /** After a wait that timed out: if the holder is dead, take the lock over. */
  #takeFromDeadHolder(me: number, seen: number, waited: WaitResult): LockResult | undefined {
    if (waited !== 'timed-out' || isAlive(seen & ~WAITERS)) return undefined
    return Atomics.compareExchange(this.#word, this.#index, seen, me | WAITERS) === seen ? 'recovered' : undefined
  }
}
