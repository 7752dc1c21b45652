// futex wait/wake on an Int32Array over shared pages mman mapped: the
// cross-process counterpart of Atomics.wait/notify, which are process-local.
import { check, errno, invalidArgType, invalidArgValue, invalidState } from '../errors.js'
import { native } from '../native.js'
import type { Region } from '../region/region.js'
import { requireMapped, spanOf } from '../region/views.js'
import { integer, timeoutMs } from '../validate.js'

/** As Atomics.wait answers: woken, the value was not the expected one, or the timeout passed. */
export type WaitResult = 'ok' | 'not-equal' | 'timed-out'

interface Word {
  region: Region
  offset: number
}

function wordOf(int32: unknown, index: unknown): Word {
  if (!(int32 instanceof Int32Array)) throw invalidArgType('int32', 'an Int32Array over memory mman mapped', int32)
  // Before the index: a view of unmapped memory is empty, and that is ERR_INVALID_STATE, as Mutex says.
  const span = spanOf(int32, 'int32')
  const i = integer(index, 'index', 0, Math.max(0, int32.length - 1))
  if (int32.length === 0) throw invalidArgValue('int32', 'an empty Int32Array', 'has no element to wait on')
  requireMapped(span, 'int32', 'futex')
  return { region: span.region, offset: span.start + i * 4 }
}

/** The native form: whole milliseconds, -1 for none. */
function timeout(value: unknown): number {
  const ms = timeoutMs(value)
  return ms === undefined || ms === Infinity ? -1 : Math.floor(ms)
}

function result(rc: number): WaitResult {
  // EINTR is a spurious wake, which futex(2) allows: callers re-check their condition.
  if (rc === 0 || rc === errno('EINTR')) return 'ok'
  if (rc === errno('EAGAIN')) return 'not-equal'
  if (rc === errno('ETIMEDOUT')) return 'timed-out'
  if (rc === errno('ECANCELED'))
    throw invalidState('the memory was unmapped, remapped, replaced or made unreadable while the wait was pending')
  return check(rc, 'futex') as never
}

/**
 * futex(FUTEX_WAIT): sleeps while int32[index] === expected, until a
 * futexWake() from any process, or the timeout. Blocks this thread: see futexWaitAsync().
 * 'ok' may also be a spurious wake (EINTR): re-check the word.
 * In a worker thread the sleep is taken in slices of 100 ms, so that
 * worker.terminate() and process.exit() can stop the thread (a thread inside
 * the kernel's wait never hears it); between two slices it is not queued for
 * a moment, and a futexWake() then finds no waiter to count. The main thread
 * sleeps in one piece.
 * @param int32 An Int32Array over memory mman mapped, shared for other
 *   processes to see it (a SharedMemory's int32(), say); see below for what
 *   other memory throws.
 * @param index The element to wait on (0 to int32.length - 1, else ERR_OUT_OF_RANGE).
 * @param expected A 32-bit signed integer: sleep only while int32[index] holds
 *   it, else answer 'not-equal' at once.
 * @param timeoutMs How long to sleep at most, in milliseconds (rounded down;
 *   undefined or Infinity: no limit), then answer 'timed-out'. A negative or
 *   NaN timeout throws ERR_INVALID_ARG_VALUE.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `int32` is not an Int32Array, `index` or `expected` is not a number or
 *   bigint, or `timeoutMs` is not a number.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `index` is fractional or outside 0 to int32.length - 1, or `expected` is
 *   fractional or outside -2^31 to 2^31 - 1.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `int32` is empty, is over memory mman did not map or over sbrk() memory,
 *   or `timeoutMs` is negative or NaN.
 * - `Error` `ERR_INVALID_STATE`: the memory under `int32` was unmapped or remapped (its views are empty then).
 * - {@link SyscallError} `EFAULT` (`futex`): the word is in pages protected PROT.NONE.
 * @example
 * ```js
 * import { SharedMemory, futexWait } from 'mman'
 *
 * const words = SharedMemory.create(4096).int32()
 * console.log(futexWait(words, 0, 1), futexWait(words, 0, 0, 10)) // words[0] is 0: no sleep, then 10 ms of it
 * ```
 *
 * ```text
 * not-equal timed-out
 * ```
 */
export function futexWait(int32: Int32Array, index: number, expected: number, timeoutMs?: number): WaitResult {
  const word = wordOf(int32, index)
  return result(
    native.futexWait(
      word.region.handle,
      word.offset,
      integer(expected, 'expected', -(2 ** 31), 2 ** 31 - 1),
      timeout(timeoutMs),
    ),
  )
}

/**
 * futexWait() off the event loop, never on the libuv pool that fs, zlib and
 * crypto need. Where the kernel has io_uring futex waits (Linux 6.7+), the
 * waits are io_uring operations whose completions arrive through the event
 * loop as socket reads do; elsewhere (or with MMAN_NO_IO_URING=1 in the
 * environment) each wait has a thread of mman's own asleep in the kernel on
 * its word (up to 64 per JS thread, reused; idle ones end after a while).
 * Either way the wait is queued in the kernel, as FUTEX_WAIT's caller is,
 * once this returns the promise: a futexWake() from then on ends it, and
 * counts it, even if it leaves the word unchanged; a wake that futexWake()
 * counted always ends a wait. Waits beyond 64 at once wait for a thread to
 * come free and are meanwhile looked at every millisecond or so: they end
 * when their word changes, but a futexWake() that leaves it unchanged finds
 * them not queued and does not count them. 'ok' may be spurious, as for
 * futexWait(): re-check the word (mman itself wakes a word to cancel many
 * io_uring waits at once on memory being unmapped, and on kernels before
 * 5.16 to end a thread's wait at its timeout). The promise resolves as futexWait()
 * answers (EFAULT on memory mapped or protected unreadable); it is rejected
 * (ERR_INVALID_STATE) if the memory is unmapped, remapped, replaced by a
 * MAP_FIXED mapping or protected PROT_NONE meanwhile. A pending wait keeps the
 * process alive, as a timer does.
 * @param int32 An Int32Array over memory mman mapped, as for futexWait()
 *   (bad arguments reject the promise with the same codes).
 * @param index The element to wait on (0 to int32.length - 1).
 * @param expected A 32-bit signed integer: sleep only while int32[index] holds
 *   it, else resolve 'not-equal' at once.
 * @param timeoutMs How long to sleep at most, in milliseconds (rounded down;
 *   undefined or Infinity: no limit), then resolve 'timed-out'.
 * @throws The promise rejects with:
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `int32` is not an Int32Array, `index` or `expected` is not a number or
 *   bigint, or `timeoutMs` is not a number.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `index` is fractional or outside 0 to int32.length - 1, or `expected` is
 *   fractional or outside -2^31 to 2^31 - 1.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `int32` is empty, is over memory mman did not map or over sbrk() memory,
 *   or `timeoutMs` is negative or NaN.
 * - `Error` `ERR_INVALID_STATE`: the memory under `int32` was unmapped or remapped (its views are empty then), or
 *   was unmapped, remapped, replaced by a MAP.FIXED mapping or protected PROT.NONE while the wait was pending.
 * - {@link SyscallError} `EFAULT` (`futex`): the word is in pages protected PROT.NONE.
 * - {@link SyscallError} `ENOMEM` (`futex`): the wait could not be set up (out of memory).
 * @example
 * ```js
 * import { SharedMemory, futexWaitAsync, futexWake } from 'mman'
 *
 * const words = SharedMemory.create(4096).int32()
 * const woken = futexWaitAsync(words, 0, 0) // queued in the kernel when it returns
 * Atomics.store(words, 0, 1)
 * console.log(futexWake(words, 0), await woken)
 * ```
 *
 * ```text
 * 1 ok
 * ```
 */
export async function futexWaitAsync(
  int32: Int32Array,
  index: number,
  expected: number,
  timeoutMs?: number,
): Promise<WaitResult> {
  const word = wordOf(int32, index)
  const value = integer(expected, 'expected', -(2 ** 31), 2 ** 31 - 1)
  const mayUseIoUring = process.env.MMAN_NO_IO_URING === undefined
  return result(await native.futexWaitAsync(word.region.handle, word.offset, value, timeout(timeoutMs), mayUseIoUring))
}

/**
 * futex(FUTEX_WAKE): wakes up to `count` waiters on int32[index], in any process. Returns how many woke.
 * @param int32 An Int32Array over memory mman mapped (a SharedMemory's int32(), say), as for futexWait().
 * @param index The element the waiters sleep on (0 to int32.length - 1).
 * @param count How many waiters to wake at most: an integer from 0 to 2^31 - 1, or Infinity (the default) for all.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `int32` is not an Int32Array, or `index` or `count` is not a number or bigint.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `index` is fractional or outside 0 to int32.length - 1, or `count` is
 *   fractional, negative or above 2^31 - 1 (and not Infinity).
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `int32` is empty, or is over memory mman did not map or over sbrk() memory.
 * - `Error` `ERR_INVALID_STATE`: the memory under `int32` was unmapped or remapped (its views are empty then).
 * - {@link SyscallError} `EFAULT` (`futex`): the word is in pages protected PROT.NONE.
 * @example
 * ```js
 * import { SharedMemory, futexWaitAsync, futexWake } from 'mman'
 *
 * const words = SharedMemory.create(4096).int32()
 * console.log(futexWake(words, 0)) // nobody waits
 * const waits = [futexWaitAsync(words, 0, 0), futexWaitAsync(words, 0, 0)]
 * console.log(futexWake(words, 0, 1), futexWake(words, 0), await Promise.all(waits))
 * ```
 *
 * ```text
 * 0
 * 1 1 [ 'ok', 'ok' ]
 * ```
 */
export function futexWake(int32: Int32Array, index: number, count = Infinity): number {
  const word = wordOf(int32, index)
  const n = count === Infinity ? 2 ** 31 - 1 : integer(count, 'count', 0, 2 ** 31 - 1)
  return check(native.futexWake(word.region.handle, word.offset, n), 'futex')
}

/** The CPU this thread runs on, or -1 where the kernel will not say. Not exported from the package. */
export function currentCpu(): number {
  return Math.max(-1, native.currentCpu())
}
