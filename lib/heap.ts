// brk(2)/sbrk(2) inside Node, where glibc's malloc moves the break too (see
// native/heap_calls.cc for what glibc does). Only the main thread moves the
// break, and only while no other thread can be allocating from malloc's main
// arena. Shrinking is allowed only while the break is still where mman last
// put it, and not below the bytes mman added: shrinking under memory malloc
// handed out would crash the process.
import { isMainThread } from 'node:worker_threads'
import { check, errno, invalidArgType, outOfRange, syscallError } from './errors.js'
import { native } from './native.js'
import { Region } from './region/region.js'
import { createView } from './region/views.js'
import { integer, MAX_VIEW_LENGTH } from './validate.js'

const REFUSALS = {
  moved:
    "the program break is no longer where mman put it, so the top of the heap is malloc's and shrinking it would free memory in use",
  thread:
    "only the main thread may move the program break: it allocates from malloc's main arena, which grows and trims " +
    'the heap at any moment, and two threads moving the break at once are handed the same bytes',
  escaped:
    'a view of the bytes may still be in use where mman cannot detach it (moved by transfer(), marked untransferable, ' +
    'or collected but not yet finalized: retry after the event loop turns)',
  threads:
    "this process has more threads than malloc has arenas, so another thread may be using malloc's main arena and " +
    "move the break between mman's check and brk()",
} as const

const refused = (syscall: string, reason: keyof typeof REFUSALS): Error =>
  syscallError(errno('EBUSY'), syscall, `refused: ${REFUSALS[reason]}`)

function grow(increment: number, syscall: string): ArrayBuffer {
  if (!isMainThread) throw refused(syscall, 'thread')
  const result = native.heapGrow(increment)
  if (typeof result === 'string') throw refused(syscall, result)
  return createView(new Region(check(result, syscall), increment, 'heap', 'private', 0, 'views'), 0, increment, syscall)
}

function shrinkTo(newTop: bigint, syscall: string): void {
  if (!isMainThread) throw refused(syscall, 'thread')
  const [, , floor] = native.heapState()
  if (newTop < floor) {
    throw outOfRange('addr', `>= ${floor} (the lowest byte mman added to the heap; below it is malloc's)`, newTop)
  }
  const result = native.heapShrink(newTop)
  if (typeof result === 'string') throw refused(syscall, result)
  check(result, syscall)
}

/**
 * sbrk(0): the program break, as a bigint. It moves nothing, so any thread may ask.
 * @param increment 0 (or 0n).
 * @example
 * ```js
 * import { sbrk } from 'mman'
 *
 * const brk = sbrk(0)
 * console.log(typeof brk, brk === sbrk(0n))
 * ```
 *
 * ```text
 * bigint true
 * ```
 */
export function sbrk(increment: 0 | 0n): bigint
/**
 * sbrk(2). `sbrk(0)` returns the program break as a bigint (from any thread).
 * A positive increment grows the heap and returns an ArrayBuffer over the new
 * bytes. A negative one shrinks it (guarded: see Throws) and returns the
 * previous break, as C does; views over released bytes are detached first. Only the main thread may grow or shrink (malloc's main arena, which
 * it allocates from, moves the break too): elsewhere, and while there are
 * more threads than malloc has arenas, that throws `EBUSY`. Anything that
 * mallocs between a growth and its shrink (even `console.log`) can move the
 * break, and the shrink is then refused.
 * @param increment Bytes to add to the heap (> 0), 0 to read the break, or a negative count to give back (only bytes mman added, while the break is still where mman left it).
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `increment` is not a number or bigint.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `increment` is fractional, above `buffer.constants.MAX_LENGTH` or below
 *   -(2^53 - 1); or a shrink would move the break below the lowest byte mman added (below it is malloc's).
 * - {@link SyscallError} `EBUSY` (`sbrk`): growing or shrinking off the main thread, or while this process has more
 *   threads than malloc has arenas; shrinking after the break moved since mman last moved it (malloc grew the
 *   heap), or while a view of the bytes may be in use where mman cannot detach it (moved by transfer()).
 * - {@link SyscallError} `ENOMEM` (`sbrk`): the break cannot move up that far (another mapping lies right above the
 *   heap, or RLIMIT_DATA).
 * @example Grow, then give the bytes back (the main thread only)
 * ```js
 * import { sbrk } from 'mman'
 * import { Worker, isMainThread } from 'node:worker_threads'
 *
 * if (isMainThread) {
 *   const start = sbrk(0)
 *   const bytes = new Uint8Array(sbrk(8192)) // the new top of the heap
 *   bytes.fill(7)
 *   const grown = sbrk(0) - start, last = bytes[8191]
 *   const previous = sbrk(-8192) // nothing malloc'd since the growth: no console.log in between
 *   console.log(grown, last, previous - start, bytes.length, sbrk(0) === start)
 *   new Worker(new URL(import.meta.url))
 * } else {
 *   try {
 *     sbrk(4096)
 *   } catch (error) {
 *     console.log('in a worker:', error.code)
 *   }
 * }
 * ```
 *
 * ```text
 * 8192n 7 8192n 0 true
 * in a worker: EBUSY
 * ```
 */
export function sbrk(increment: number | bigint): ArrayBuffer | bigint
export function sbrk(increment: number | bigint): ArrayBuffer | bigint {
  const change = integer(increment, 'increment', -Number.MAX_SAFE_INTEGER, MAX_VIEW_LENGTH)
  if (change > 0) return grow(change, 'sbrk')
  const previous = native.programBreak()
  if (change < 0) shrinkTo(previous + BigInt(change), 'sbrk')
  return previous
}

/**
 * brk(2): sets the program break to `addr`. Growing returns an ArrayBuffer
 * over the new bytes; shrinking (guarded, as for sbrk()) returns undefined,
 * after detaching the views of the bytes released. Only the main thread may
 * move the break: elsewhere both throw `EBUSY`, as sbrk() does.
 * @param addr The new program break, such as an earlier `sbrk(0)` returned.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `addr` is not a bigint.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `addr` is more than `buffer.constants.MAX_LENGTH` above the break, or below
 *   the lowest byte mman added to the heap (below it is malloc's).
 * - {@link SyscallError} `EBUSY` (`brk`): moving the break off the main thread, or while this process has more
 *   threads than malloc has arenas; shrinking after the break moved since mman last moved it (malloc grew the
 *   heap), or while a view of the bytes may be in use where mman cannot detach it (moved by transfer()).
 * - {@link SyscallError} `ENOMEM` (`brk`): the break cannot move up that far (another mapping lies right above the
 *   heap, or RLIMIT_DATA).
 * @example
 * ```js
 * import { brk, sbrk } from 'mman'
 *
 * const mark = sbrk(0)
 * const block = brk(mark + 4096n) // grows the heap by a page
 * new Uint8Array(block).fill(1)
 * const reset = brk(mark) // back to the mark: the block's views are detached
 * console.log(reset, block.byteLength, sbrk(0) === mark)
 * ```
 *
 * ```text
 * undefined 0 true
 * ```
 */
export function brk(addr: bigint): ArrayBuffer | undefined {
  if (typeof addr !== 'bigint')
    throw invalidArgType('addr', 'of type bigint (an address such as sbrk(0) returns)', addr)
  const current = native.programBreak()
  if (addr > current) {
    const increment = addr - current
    if (increment > BigInt(MAX_VIEW_LENGTH)) throw outOfRange('addr', `<= ${current + BigInt(MAX_VIEW_LENGTH)}`, addr)
    return grow(Number(increment), 'brk')
  }
  if (addr < current) shrinkTo(addr, 'brk')
  return undefined
}
