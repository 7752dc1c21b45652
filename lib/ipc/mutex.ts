// A mutex for threads in different processes, on one 64-bit word in shared
// memory: 0 when free, else the holder's identity (its thread id and start
// time, written in one compare-exchange) with a waiters bit. A holder that
// died, or a word naming no thread that lives (a forged 0x40000000, the pid
// of an unrelated process), is recognised and the lock recovered.
//
// Why not the kernel's robust futex list (FUTEX_OWNER_DIED, as robust pthread
// mutexes do): its entries are linked through pointers kept next to the lock,
// in memory every peer can write, and the thread that unlocks follows them.
// A peer that scribbles there would make this process write wherever it points.
import { invalidArgType, invalidArgValue, invalidState } from '../errors.js'
import { requireMapped, spanOf } from '../region/views.js'
import { integer, timeoutMs as checkTimeout } from '../validate.js'
import { futexWake } from './futex.js'
import { isAlive, packIdentity, threadIdentity, unpackIdentity } from './identity.js'
import { deadlineOf, Waiter, type WaitTarget } from './waiter.js'

const WAITERS = 0x40000000

/** How lock() got the mutex: 'recovered' means the previous holder died holding it, so the data it protected may be inconsistent. */
export type LockResult = 'acquired' | 'recovered'

/**
 * What lock() throws (and lockAsync() rejects with) when its timeout passes first.
 * @example
 * ```js
 * import { Mutex, MutexError, SharedMemory } from 'mman'
 * import { Worker, isMainThread, workerData } from 'node:worker_threads'
 *
 * if (isMainThread) {
 *   const memory = SharedMemory.create(4096)
 *   new Mutex(memory.int32()).lock() // held by the main thread until it exits
 *   new Worker(new URL(import.meta.url), { workerData: memory.fd })
 * } else {
 *   const mutex = new Mutex(SharedMemory.attach(workerData).int32())
 *   try {
 *     mutex.lock(50)
 *   } catch (error) {
 *     console.log(error instanceof MutexError, error.code)
 *   }
 * }
 * ```
 *
 * ```text
 * true ERR_MUTEX_TIMEOUT
 * ```
 */
export class MutexError extends Error {
  /** Always 'ERR_MUTEX_TIMEOUT': the timeout passed while another thread held the mutex. */
  readonly code = 'ERR_MUTEX_TIMEOUT'
  /**
   * Mutex.lock() and lockAsync() make these; the class is exported for `instanceof`.
   * @param message What happened, for people (which thread still held the mutex).
   */
  constructor(message: string) {
    super(message)
    this.name = 'MutexError'
  }
}

/**
 * A lock for threads in any processes, on 8 bytes of shared memory that hold
 * the holder's identity (thread id and start time): a holder that died holding
 * it is noticed and the lock recovered ('recovered' from lock()). It is not
 * recursive, and only the thread holding it may unlock it.
 * @example
 * ```js
 * import { Mutex, SharedMemory } from 'mman'
 *
 * const memory = SharedMemory.create(4096)
 * const mutex = new Mutex(memory.int32(), 0) // every process makes one over the same 8 bytes
 * console.log(mutex.lock(), mutex.holder === process.pid, mutex.tryLock())
 * mutex.unlock()
 * console.log(mutex.holder)
 * ```
 *
 * ```text
 * acquired true false
 * 0
 * ```
 */
export class Mutex {
  readonly #low: Int32Array // the futex word (the identity's low half: tid | WAITERS)
  readonly #index: number
  readonly #word: BigInt64Array
  readonly #waiter = new Waiter()
  #recovered = false

  /**
   * A mutex on the 8 bytes at int32[index] and int32[index + 1], which must be
   * in shared memory mman mapped, 8-byte aligned, and start at 0 (unlocked).
   * Every process makes its own Mutex over the same bytes.
   * @param int32 An Int32Array over shared memory mman mapped (a SharedMemory's
   *   int32(), say), of at least two elements.
   * @param index The element where the mutex's 8 bytes begin (default 0): at
   *   most int32.length - 2, at a byte offset in int32.buffer that is a
   *   multiple of 8 (else ERR_OUT_OF_RANGE or ERR_INVALID_ARG_VALUE).
   * @throws
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `int32` is not an Int32Array, or `index` is not a number or bigint.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `index` is fractional or outside 0 to int32.length - 2.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: `int32` has fewer than two elements, the mutex would not start on an
   *   8-byte boundary, or `int32` is over memory mman did not map or over sbrk() memory.
   * - `Error` `ERR_INVALID_STATE`: the memory under `int32` was unmapped or remapped (its views are empty then).
   * @example
   * ```js
   * import { Mutex, SharedMemory } from 'mman'
   *
   * const words = SharedMemory.create(4096).int32()
   * const mutexes = [new Mutex(words, 0), new Mutex(words, 2)] // 8 bytes each
   * try {
   *   new Mutex(words, 1)
   * } catch (error) {
   *   console.log(error.code)
   * }
   * ```
   *
   * ```text
   * ERR_INVALID_ARG_VALUE
   * ```
   */
  constructor(int32: Int32Array, index = 0) {
    if (!(int32 instanceof Int32Array)) throw invalidArgType('int32', 'an Int32Array over shared memory', int32)
    // Before the lengths: a view of unmapped memory is empty, and that is ERR_INVALID_STATE.
    const span = spanOf(int32, 'int32')
    const i = integer(index, 'index', 0, Math.max(0, int32.length - 2))
    if (int32.length < 2)
      throw invalidArgValue('int32', `${int32.length} elements`, 'must hold the mutex: two elements')
    if ((int32.byteOffset + i * 4) % 8 !== 0)
      throw invalidArgValue('index', index, 'must put the mutex on an 8-byte boundary')
    // Only mman's shared pages can be waited on from another process: refuse other memory now, not at the first contended lock().
    requireMapped(span, 'int32', 'futex')
    this.#low = int32
    this.#index = i
    this.#word = new BigInt64Array(int32.buffer, int32.byteOffset + i * 4, 1)
  }

  /**
   * The thread id holding the lock, or 0.
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mutex's shared memory was unmapped.
   * @example
   * ```js
   * import { Mutex, SharedMemory } from 'mman'
   *
   * const mutex = new Mutex(SharedMemory.create(4096).int32())
   * mutex.lock()
   * console.log(mutex.holder === process.pid) // the main thread's id is the pid
   * ```
   *
   * ```text
   * true
   * ```
   */
  get holder(): number {
    this.#usable()
    return unpackIdentity(Atomics.load(this.#word, 0), WAITERS).tid
  }

  /**
   * Takes the lock if it is free; never waits.
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mutex's shared memory was unmapped.
   * @example
   * ```js
   * import { Mutex, SharedMemory } from 'mman'
   *
   * const mutex = new Mutex(SharedMemory.create(4096).int32())
   * console.log(mutex.tryLock(), mutex.tryLock())
   * ```
   *
   * ```text
   * true false
   * ```
   */
  tryLock(): boolean {
    this.#usable()
    return Atomics.compareExchange(this.#word, 0, 0n, packIdentity(threadIdentity())) === 0n
  }

  /**
   * Blocks this thread until the mutex is ours ('recovered' if its holder had
   * died), or the timeout passes (MutexError, ERR_MUTEX_TIMEOUT). A live
   * holder that never unlocks keeps it, as with any mutex: pass a timeout
   * where the other side is not trusted. Throws ERR_INVALID_STATE if this
   * thread already holds it.
   * @param timeoutMs How long to wait at most, in milliseconds (undefined or
   *   Infinity: no limit); then MutexError. A negative or NaN timeout throws
   *   ERR_INVALID_ARG_VALUE (a non-number ERR_INVALID_ARG_TYPE), even when the lock is free.
   * @throws
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `timeoutMs` is not a number.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: `timeoutMs` is negative or NaN.
   * - `Error` `ERR_INVALID_STATE`: this thread already holds the mutex (it is not recursive), or its shared memory
   *   was unmapped.
   * - {@link MutexError} `ERR_MUTEX_TIMEOUT`: the timeout passed while another thread held the mutex.
   * - {@link SyscallError} `EFAULT` (`futex`): its memory was protected PROT.NONE.
   * @example
   * ```js
   * import { Mutex, SharedMemory } from 'mman'
   *
   * const memory = SharedMemory.create(4096)
   * Atomics.store(memory.int32(), 0, 0x7ffffff0) // a holder that is no thread alive (one that died holding it)
   * const mutex = new Mutex(memory.int32())
   * console.log(mutex.lock(1000))
   * mutex.unlock()
   * console.log(mutex.lock(1000))
   * ```
   *
   * ```text
   * recovered
   * acquired
   * ```
   */
  lock(timeoutMs?: number): LockResult {
    checkTimeout(timeoutMs)
    if (this.tryLock()) return 'acquired'
    const deadline = deadlineOf(timeoutMs)
    for (;;) {
      this.#waiter.waitSync(this.#free(), deadline)
      const taken = this.#take()
      if (taken) return taken
    }
  }

  /**
   * lock() waiting off the event loop (the promise rejects where lock() throws).
   * @param timeoutMs How long to wait at most, in milliseconds (undefined or
   *   Infinity: no limit); then the promise rejects with MutexError.
   * @throws The promise rejects with:
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `timeoutMs` is not a number.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: `timeoutMs` is negative or NaN.
   * - `Error` `ERR_INVALID_STATE`: this thread already holds the mutex (it is not recursive), or its shared memory
   *   was unmapped, or is unmapped while it waits.
   * - {@link MutexError} `ERR_MUTEX_TIMEOUT`: the timeout passed while another thread held the mutex.
   * - {@link SyscallError} `EFAULT` (`futex`): its memory was protected PROT.NONE.
   * @example
   * ```js
   * import { Mutex, SharedMemory } from 'mman'
   *
   * const mutex = new Mutex(SharedMemory.create(4096).int32())
   * console.log(await mutex.lockAsync(1000))
   * mutex.unlock()
   * ```
   *
   * ```text
   * acquired
   * ```
   */
  async lockAsync(timeoutMs?: number): Promise<LockResult> {
    checkTimeout(timeoutMs)
    if (this.tryLock()) return 'acquired'
    const deadline = deadlineOf(timeoutMs)
    for (;;) {
      await this.#waiter.waitAsync(this.#free(), deadline)
      const taken = this.#take()
      if (taken) return taken
    }
  }

  /**
   * Releases the mutex and wakes one waiter, if any. Only the thread holding it
   * may: any other call throws ERR_INVALID_STATE.
   * @throws
   * - `Error` `ERR_INVALID_STATE`: this thread does not hold the mutex, or its shared memory was unmapped.
   * @example
   * ```js
   * import { Mutex, SharedMemory } from 'mman'
   *
   * const mutex = new Mutex(SharedMemory.create(4096).int32())
   * mutex.lock()
   * mutex.unlock()
   * try {
   *   mutex.unlock()
   * } catch (error) {
   *   console.log(error.code)
   * }
   * ```
   *
   * ```text
   * ERR_INVALID_STATE
   * ```
   */
  unlock(): void {
    this.#usable()
    const me = threadIdentity()
    const holder = unpackIdentity(Atomics.load(this.#word, 0), WAITERS)
    if (holder.tid !== me.tid || holder.start !== me.start)
      throw invalidState(`unlock() by thread ${me.tid}, but the mutex is held by ${holder.tid || 'nobody'}`)
    const was = Atomics.exchange(this.#word, 0, 0n)
    if (Number(BigInt.asUintN(32, was)) & WAITERS) futexWake(this.#low, this.#index, 1)
  }

  /** After a wait: the lock if it came free (taken with the waiters bit: others may wait too), or if it was recovered. */
  #take(): LockResult | undefined {
    if (this.#recovered) {
      this.#recovered = false
      return 'recovered'
    }
    return Atomics.compareExchange(this.#word, 0, 0n, packIdentity(threadIdentity(), WAITERS)) === 0n
      ? 'acquired'
      : undefined
  }

  /** A wait until the word is free, or its holder is found dead and the lock taken over. */
  #free(): WaitTarget {
    const me = threadIdentity()
    const word = this.#word
    return {
      words: this.#low,
      index: this.#index,
      ready: () => this.#recovered || Atomics.load(word, 0) === 0n,
      announce: () => {
        for (;;) {
          const seen = Atomics.load(word, 0)
          if (seen === 0n) return undefined
          const low = Number(BigInt.asUintN(32, seen))
          if (low & WAITERS || Atomics.compareExchange(word, 0, seen, seen | BigInt(WAITERS)) === seen)
            return low | WAITERS
        }
      },
      retract: () => {},
      check: (deadline, peer) => {
        this.#usable()
        const seen = Atomics.load(word, 0)
        const holder = unpackIdentity(seen, WAITERS)
        if (holder.tid === me.tid && holder.start === me.start)
          throw invalidState(`thread ${me.tid} already holds this mutex (it is not recursive)`)
        // A word naming thread 0 was never written by a holder: take it at once.
        if (seen !== 0n && (holder.tid === 0 || (peer && !isAlive(holder)))) {
          this.#recovered = Atomics.compareExchange(word, 0, seen, packIdentity(me, WAITERS)) === seen
          if (this.#recovered) return
        }
        if (Date.now() >= deadline)
          throw new MutexError(`the mutex is still held by thread ${holder.tid} after the timeout`)
      },
    }
  }

  #usable(): void {
    if (this.#low.length === 0) throw invalidState("the mutex's shared memory was unmapped")
  }
}
