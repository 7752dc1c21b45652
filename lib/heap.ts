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
  moved: "the program break is no longer where mman put it, so the top of the heap is malloc's and shrinking it would free memory in use",
  thread:
    "only the main thread may move the program break: it allocates from malloc's main arena, which grows and trims " +
    'the heap at any moment, and two threads moving the break at once are handed the same bytes',
  escaped:
    'a view of the bytes may still be in use where mman cannot detach it (moved by transfer(), marked untransferable, ' +
    'or collected but not yet finalized: retry after the event loop turns)',
  threads:
    "this process has more threads than malloc has arenas, so another thread may be using malloc's main arena and " +
    'move the break between mman\'s check and brk()',
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
 * sbrk(2). `sbrk(0)` returns the program break as a bigint (from any thread).
 * A positive increment grows the heap and returns an ArrayBuffer over the new
 * bytes. A negative one shrinks it (guarded, see module notes) and returns
 * the previous break, as C does; views over released bytes are detached
 * first. Growing or shrinking throws `EBUSY` off the main thread, and while
 * there are more threads than malloc has arenas.
 * @param increment Bytes to add to the heap (> 0), 0 to read the break, or a negative count to give back (only bytes mman added, while the break is still where mman left it).
 */
export function sbrk(increment: 0 | 0n): bigint
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
 * over the new bytes; shrinking (guarded) returns undefined. Both throw
 * `EBUSY` off the main thread, as sbrk() does.
 * @param addr The new program break, such as an earlier `sbrk(0)` returned.
 */
export function brk(addr: bigint): ArrayBuffer | undefined {
  if (typeof addr !== 'bigint') throw invalidArgType('addr', 'of type bigint (an address such as sbrk(0) returns)', addr)
  const current = native.programBreak()
  if (addr > current) {
    const increment = addr - current
    if (increment > BigInt(MAX_VIEW_LENGTH)) throw outOfRange('addr', `<= ${current + BigInt(MAX_VIEW_LENGTH)}`, addr)
    return grow(Number(increment), 'brk')
  }
  if (addr < current) shrinkTo(addr, 'brk')
  return undefined
}
