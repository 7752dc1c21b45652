// The syscall layer: shaped like the C calls. Memory is named by any
// ArrayBuffer / TypedArray / DataView that mman returned; a view names its own
// sub-range, which is rounded out to whole pages. Each call is: the view's
// span, its pages, the operation.
import { invalidArgValue, outOfRange } from './errors.js'
import { KNOWN_MS_BITS, MLOCK, MS } from './constants.js'
import { mapRegion } from './region/map.js'
import * as operations from './region/operations.js'
import { mapPolicy, type MapPolicy } from './region/policy.js'
import { createView, pagesOfSpan, requireMapped, spanOf, type Span } from './region/views.js'
import { bits, integer, mappingLength, MAX_VIEW_LENGTH } from './validate.js'

/** Any memory mman handed out: the ArrayBuffer itself or a view of part of it. */
export type MappedMemory = ArrayBuffer | ArrayBufferView

/**
 * mmap(2). Returns an ArrayBuffer over the new mapping. `addr` is a hint only
 * (bigint), except with MAP.FIXED, which is accepted only inside a mapping mman
 * owns. An unaligned `offset` is handled: the kernel maps from the page
 * boundary and the buffer starts at the requested byte. Lengths above
 * `buffer.constants.MAX_LENGTH` need `map()`, whose `window()` reaches any offset.
 * @param addr Where the mapping should start: a hint the kernel may ignore (`null` for anywhere), or with MAP.FIXED a place inside a mapping mman owns.
 * @param length Bytes to map (> 0, at most `buffer.constants.MAX_LENGTH`); the kernel rounds it up to whole pages.
 * @param prot PROT bits: PROT.READ, PROT.WRITE, PROT.EXEC or PROT.NONE (WRITE with EXEC needs `policy.allowWriteExec`).
 * @param flags MAP bits: exactly one of MAP.SHARED, MAP.PRIVATE or MAP.SHARED_VALIDATE, plus modifiers (MAP.ANONYMOUS, MAP.POPULATE, ...).
 * @param fd The file to map, or -1 with MAP.ANONYMOUS.
 * @param offset Where in the file the mapping starts; need not be page-aligned (0 with MAP.ANONYMOUS).
 * @param policy What mman refuses unless asked: write+exec pages, mapping past end-of-file.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `length`, `prot`, `flags`, `fd` or `offset` is not a number or bigint, `addr`
 *   is neither that nor null, or `policy` is not an object or has a switch that is not a boolean.
 * - `RangeError` `ERR_OUT_OF_RANGE`: a number is negative (`fd` below -1), fractional, NaN or infinite; `length` is 0
 *   or above `buffer.constants.MAX_LENGTH` (use map()); a file mapping reaches past end-of-file without
 *   `allowBeyondEOF`.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `prot` or `flags` has bits this system does not define; `prot` has PROT.WRITE
 *   and PROT.EXEC without `allowWriteExec`; with MAP.FIXED, `addr` is not page-aligned, not inside a mapping mman made,
 *   or overlaps a MAP.FIXED mapping placed there before.
 * - {@link SyscallError} `EBADF` (`mmap`): `fd` is not open, or is -1 without MAP.ANONYMOUS.
 * - {@link SyscallError} `ENODEV` (`mmap`): `fd` is a directory, FIFO or socket, or a file of a file system that cannot
 *   map (as /proc and /sys files).
 * - {@link SyscallError} `EACCES` (`mmap`): `fd` is not open for reading, MAP.SHARED asks for PROT.WRITE and `fd` is
 *   not open for writing, or the file is append-only (chattr +a).
 * - {@link SyscallError} `EPERM` (`mmap`): PROT.EXEC on a file system mounted noexec, or MAP.SHARED with PROT.WRITE on
 *   a memfd sealed against writing.
 * - {@link SyscallError} `EINVAL` (`mmap`): `flags` has none of MAP.SHARED, MAP.PRIVATE and MAP.SHARED_VALIDATE, or
 *   flags the kernel refuses here (MAP.HUGETLB on a file, a huge page size it does not have, an unaligned
 *   MAP.FIXED_NOREPLACE address).
 * - {@link SyscallError} `ENOTSUP` (`mmap`): MAP.SHARED_VALIDATE with a flag this file does not support (MAP.SYNC off
 *   DAX storage).
 * - {@link SyscallError} `EEXIST` (`mmap`): MAP.FIXED_NOREPLACE, and something is mapped there.
 * - {@link SyscallError} `ENOMEM` (`mmap`): no room in the address space, the process has vm.max_map_count mappings,
 *   the kernel will not commit that much memory, or MAP.HUGETLB finds too few free huge pages.
 * - {@link SyscallError} `EAGAIN` (`mmap`): MAP.LOCKED would lock more than RLIMIT_MEMLOCK allows.
 * - {@link SyscallError} `EMFILE`, `ENFILE` (`mmap`): no file descriptor is free for the duplicate of `fd` a file
 *   mapping keeps.
 * @example
 * ```js
 * import { mmap, munmap, PROT, MAP } from 'mman'
 *
 * const buf = mmap(null, 4096, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
 * new Uint8Array(buf)[0] = 42
 * console.log(buf.byteLength, new Uint8Array(buf)[0])
 * munmap(buf)
 * ```
 *
 * ```text
 * 4096 42
 * ```
 * @example A file, and a refusal
 * ```js
 * import { mmap, PROT, MAP } from 'mman'
 * import { openSync, writeFileSync } from 'node:fs'
 *
 * writeFileSync('hello.txt', 'hello, mapped world')
 * const fd = openSync('hello.txt', 'r')
 * console.log(Buffer.from(mmap(null, 6, PROT.READ, MAP.SHARED, fd, 7)).toString())
 * try {
 *   mmap(null, 4096, PROT.READ, MAP.SHARED, fd, 0)
 * } catch (error) {
 *   console.log(error.code)
 * }
 * ```
 *
 * ```text
 * mapped
 * ERR_OUT_OF_RANGE
 * ```
 */
export function mmap(
  addr: bigint | number | null,
  length: number | bigint,
  prot: number,
  flags: number,
  fd: number,
  offset: number | bigint,
  policy?: MapPolicy,
): ArrayBuffer {
  const opts = mapPolicy(policy)
  if (mappingLength(length) > MAX_VIEW_LENGTH) {
    throw outOfRange(
      'length',
      `<= ${MAX_VIEW_LENGTH} (buffer.constants.MAX_LENGTH) for one ArrayBuffer; use map(), whose window() views any part of a larger mapping`,
      length,
    )
  }
  const mapped = mapRegion({ addr, length, prot, flags, fd, offset, ...opts, keeper: 'views' })
  try {
    return createView(mapped.region, mapped.delta, mapped.length, 'mmap')
  } catch (error) {
    mapped.region.unmap()
    throw error
  }
}

/**
 * munmap(2) of the whole mapping `buf` belongs to. Every view of it is
 * detached first (byteLength becomes 0), so no JS can reach freed memory.
 * Unmapping twice is not an error, as in C.
 * @param buf The ArrayBuffer mmap() returned, or a view of all of it (a partial view is refused).
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `buf` is not an ArrayBuffer, SharedArrayBuffer, TypedArray or DataView.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `buf` is memory mman did not map, memory from sbrk()/brk(), or a view of part
 *   of a mapping.
 * - `Error` `ERR_INVALID_STATE`: `buf` is a buffer that mremap() detached (or, marked untransferable, could not
 *   detach), its mapping still mapped (pass the buffer mremap() returned).
 * - {@link SyscallError} `EBUSY` (`munmap`): an async call on the mapping (msyncAsync(), madviseAsync(), a Mapping's
 *   syncAsync() or populateAsync()) has not finished.
 * - {@link SyscallError} `ENOMEM` (`munmap`): the kernel would not map the zero-filled range mman leaves where a view
 *   may still point (at vm.max_map_count, or under strict overcommit).
 * @example
 * ```js
 * import { mmap, munmap, PROT, MAP } from 'mman'
 *
 * const buf = mmap(null, 4096, PROT.READ | PROT.WRITE, MAP.SHARED | MAP.ANONYMOUS, -1, 0)
 * const bytes = new Uint8Array(buf)
 * munmap(buf)
 * munmap(buf) // does nothing
 * console.log(buf.byteLength, bytes.length)
 * ```
 *
 * ```text
 * 0 0
 * ```
 */
export function munmap(buf: MappedMemory): void {
  const span = spanOf(buf, 'buf', true)
  requireMapped(span, 'buf', 'munmap')
  if (!span.wholeBuffer) {
    // Every view of an unmapped region is detached, so it names no whole buffer;
    // nor does one taken before a remap.
    if (span.region.unmapped) return
    spanOf(buf, 'buf') // a buffer mremap() detached is ERR_INVALID_STATE, which says so
    throw invalidArgValue(
      'buf',
      'a partial view',
      'names part of a buffer; munmap() unmaps whole mappings: pass the ArrayBuffer (or a view of all of it), ' +
        'or release part of it with madvise(view, MADV.DONTNEED)',
    )
  }
  span.region.unmap()
}

function mappedSpan(buf: unknown, syscall: string): Span {
  const span = spanOf(buf, 'buf')
  requireMapped(span, 'buf', syscall)
  return span
}

/** MS flags as msync(2) takes them: known bits, not both MS.SYNC and MS.ASYNC. */
function msFlags(flags: unknown): number {
  const value = bits(flags, 'flags', KNOWN_MS_BITS, 'MS')
  if ((value & MS.SYNC) !== 0 && (value & MS.ASYNC) !== 0) {
    throw invalidArgValue('flags', flags, 'cannot ask for both MS.SYNC and MS.ASYNC')
  }
  return value
}

/**
 * mprotect(2) on the pages `buf` covers.
 * @param buf A buffer mman returned, or a view of part of it (the call covers the pages the view touches).
 * @param prot The new PROT bits (WRITE with EXEC needs `policy.allowWriteExec`).
 * @param policy `allowWriteExec: true` permits PROT.WRITE | PROT.EXEC together.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `buf` is not an ArrayBuffer, SharedArrayBuffer, TypedArray or DataView; `prot`
 *   is not a number or bigint, or `policy` is not an object or has a switch that is not a boolean.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `buf` is memory mman did not map, or memory from sbrk()/brk(); `prot` has bits
 *   this system does not define, or PROT.WRITE and PROT.EXEC without `allowWriteExec`.
 * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped, or remapped after this view of it was taken.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `prot` is negative, fractional or above 2^31 - 1.
 * - {@link SyscallError} `EACCES` (`mprotect`): PROT.WRITE on a shared file mapping whose file is open read-only (a
 *   mapFile() in mode 'r'), or PROT.EXEC on a file system mounted noexec.
 * - {@link SyscallError} `ENOMEM` (`mprotect`): splitting the mapping would pass vm.max_map_count.
 * @example
 * ```js
 * import { mmap, mprotect, PROT, MAP } from 'mman'
 *
 * const buf = mmap(null, 8192, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
 * mprotect(new Uint8Array(buf, 4096), PROT.READ) // the second page only: writing it now is SIGSEGV
 * try {
 *   mprotect(buf, PROT.WRITE | PROT.EXEC)
 * } catch (error) {
 *   console.log(error.code)
 * }
 * ```
 *
 * ```text
 * ERR_INVALID_ARG_VALUE
 * ```
 */
export function mprotect(buf: MappedMemory, prot: number, policy?: MapPolicy): void {
  const span = mappedSpan(buf, 'mprotect')
  operations.protect(span.region, pagesOfSpan(span), prot, mapPolicy(policy))
}

/**
 * madvise(2) on the pages `buf` covers.
 * @param buf A buffer mman returned, or a view of part of it (the call covers the pages the view touches).
 * @param advice One MADV value (MADV.DONTNEED, MADV.SEQUENTIAL, MADV.HUGEPAGE, ...).
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `buf` is not an ArrayBuffer, SharedArrayBuffer, TypedArray or DataView;
 *   `advice` is not a number or bigint.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `buf` is memory mman did not map, or memory from sbrk()/brk(); `advice` is not
 *   an MADV value this system defines.
 * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped, or remapped after this view of it was taken.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `advice` is negative, fractional or above 2^31 - 1.
 * - {@link SyscallError} `EINVAL` (`madvise`): the advice does not apply to this memory: MADV.DONTNEED on locked pages,
 *   MADV.REMOVE on private memory, MADV.FREE or MADV.WIPEONFORK on shared or file memory, MADV.POPULATE_WRITE on pages
 *   that are not writable, MADV.POPULATE_READ on PROT.NONE pages, or advice this kernel lacks (MADV.HUGEPAGE without
 *   transparent huge pages, MADV.MERGEABLE without KSM).
 * - {@link SyscallError} `EACCES` (`madvise`): MADV.REMOVE on memory that is not shared and writable.
 * - {@link SyscallError} `EFAULT` (`madvise`): MADV.POPULATE_READ/WRITE reached pages past the end of the mapped file
 *   (touching them would raise SIGBUS).
 * - {@link SyscallError} `ENOMEM` (`madvise`): out of memory (populating), or splitting the mapping would pass
 *   vm.max_map_count.
 * - {@link SyscallError} `EAGAIN` (`madvise`): the kernel ran out of a resource for a moment; try again.
 * @example
 * ```js
 * import { mmap, madvise, mincore, PROT, MAP, MADV } from 'mman'
 *
 * const buf = mmap(null, 8192, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
 * new Uint8Array(buf).fill(1)
 * madvise(buf, MADV.DONTNEED) // private anonymous pages are dropped: they read zeros next time
 * console.log(mincore(buf), new Uint8Array(buf)[0])
 * ```
 *
 * ```text
 * Uint8Array(2) [ 0, 0 ] 0
 * ```
 */
export function madvise(buf: MappedMemory, advice: number): void {
  const span = mappedSpan(buf, 'madvise')
  operations.advise(span.region, pagesOfSpan(span), advice)
}

/**
 * madvise(2) on the libuv thread pool, for advice that blocks (MADV.POPULATE_READ/WRITE, WILLNEED).
 * @param buf A buffer mman returned, or a view of part of it (the call covers the pages the view touches).
 * @param advice One MADV value.
 * @throws The promise rejects with:
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `buf` is not an ArrayBuffer, SharedArrayBuffer, TypedArray or DataView;
 *   `advice` is not a number or bigint.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `buf` is memory mman did not map, or memory from sbrk()/brk(); `advice` is not
 *   an MADV value this system defines.
 * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped, or remapped after this view of it was taken.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `advice` is negative, fractional or above 2^31 - 1.
 * - {@link SyscallError} `EINVAL` (`madvise`): the advice does not apply to this memory: MADV.DONTNEED on locked pages,
 *   MADV.REMOVE on private memory, MADV.FREE or MADV.WIPEONFORK on shared or file memory, MADV.POPULATE_WRITE on pages
 *   that are not writable, MADV.POPULATE_READ on PROT.NONE pages, or advice this kernel lacks (MADV.HUGEPAGE without
 *   transparent huge pages, MADV.MERGEABLE without KSM).
 * - {@link SyscallError} `EACCES` (`madvise`): MADV.REMOVE on memory that is not shared and writable.
 * - {@link SyscallError} `EFAULT` (`madvise`): MADV.POPULATE_READ/WRITE reached pages past the end of the mapped file
 *   (touching them would raise SIGBUS).
 * - {@link SyscallError} `ENOMEM` (`madvise`): out of memory (populating), or splitting the mapping would pass
 *   vm.max_map_count.
 * - {@link SyscallError} `EAGAIN` (`madvise`): the kernel ran out of a resource for a moment; try again.
 * @example
 * ```js
 * import { mmap, madviseAsync, mincore, PROT, MAP, MADV } from 'mman'
 *
 * const buf = mmap(null, 1 << 20, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
 * await madviseAsync(buf, MADV.POPULATE_WRITE) // faults every page in, off the event loop (Linux 5.14+)
 * console.log(mincore(buf).every((page) => page & 1))
 * ```
 *
 * ```text
 * true
 * ```
 */
export async function madviseAsync(buf: MappedMemory, advice: number): Promise<void> {
  const span = mappedSpan(buf, 'madvise')
  await operations.adviseAsync(span.region, pagesOfSpan(span), advice)
}

/**
 * msync(2) on the pages `buf` covers. MS.SYNC blocks until written: see msyncAsync().
 * @param buf A buffer mman returned, or a view of part of it (the call covers the pages the view touches).
 * @param flags MS.SYNC (the default) or MS.ASYNC, optionally with MS.INVALIDATE.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `buf` is not an ArrayBuffer, SharedArrayBuffer, TypedArray or DataView; `flags`
 *   is not a number or bigint.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `buf` is memory mman did not map, or memory from sbrk()/brk(); `flags` has
 *   bits MS does not define, or both MS.SYNC and MS.ASYNC.
 * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped, or remapped after this view of it was taken.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `flags` is negative, fractional or above 2^31 - 1.
 * - {@link SyscallError} `EBUSY` (`msync`): MS.INVALIDATE on pages that are locked (mlock()).
 * - {@link SyscallError} `EIO` (`msync`): with MS.SYNC, the file system failed to write the pages back.
 * @example
 * ```js
 * import { mmap, msync, PROT, MAP } from 'mman'
 * import { openSync, readFileSync, writeFileSync } from 'node:fs'
 *
 * writeFileSync('note.txt', 'hello')
 * const buf = mmap(null, 5, PROT.READ | PROT.WRITE, MAP.SHARED, openSync('note.txt', 'r+'), 0)
 * new Uint8Array(buf).set(Buffer.from('HELLO'))
 * msync(buf) // MS.SYNC: written to the file when it returns
 * console.log(readFileSync('note.txt', 'utf8'))
 * ```
 *
 * ```text
 * HELLO
 * ```
 */
export function msync(buf: MappedMemory, flags: number = MS.SYNC): void {
  const span = mappedSpan(buf, 'msync')
  operations.sync(span.region, pagesOfSpan(span), msFlags(flags))
}

/**
 * msync(2) on the libuv thread pool; resolves when the kernel has written the pages.
 * @param buf A buffer mman returned, or a view of part of it (the call covers the pages the view touches).
 * @param flags MS.SYNC (the default) or MS.ASYNC, optionally with MS.INVALIDATE.
 * @throws The promise rejects with:
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `buf` is not an ArrayBuffer, SharedArrayBuffer, TypedArray or DataView; `flags`
 *   is not a number or bigint.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `buf` is memory mman did not map, or memory from sbrk()/brk(); `flags` has
 *   bits MS does not define, or both MS.SYNC and MS.ASYNC.
 * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped, or remapped after this view of it was taken.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `flags` is negative, fractional or above 2^31 - 1.
 * - {@link SyscallError} `EBUSY` (`msync`): MS.INVALIDATE on pages that are locked (mlock()).
 * - {@link SyscallError} `EIO` (`msync`): with MS.SYNC, the file system failed to write the pages back.
 * @example
 * ```js
 * import { mmap, msyncAsync, PROT, MAP } from 'mman'
 * import { openSync, readFileSync, writeFileSync } from 'node:fs'
 *
 * writeFileSync('note.txt', 'hello')
 * const buf = mmap(null, 5, PROT.READ | PROT.WRITE, MAP.SHARED, openSync('note.txt', 'r+'), 0)
 * new Uint8Array(buf)[0] = 0x4a
 * await msyncAsync(buf)
 * console.log(readFileSync('note.txt', 'utf8'))
 * ```
 *
 * ```text
 * Jello
 * ```
 */
export async function msyncAsync(buf: MappedMemory, flags: number = MS.SYNC): Promise<void> {
  const span = mappedSpan(buf, 'msync')
  await operations.syncAsync(span.region, pagesOfSpan(span), msFlags(flags))
}

/**
 * mincore(2): one byte per page `buf` covers; bit 0 set when the page is resident.
 * @param buf A buffer mman returned, or a view of part of it (the call covers the pages the view touches).
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `buf` is not an ArrayBuffer, SharedArrayBuffer, TypedArray or DataView.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `buf` is memory mman did not map, or memory from sbrk()/brk().
 * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped, or remapped after this view of it was taken.
 * - {@link SyscallError} `EAGAIN` (`mincore`): the kernel ran out of a resource for a moment; try again.
 * @example
 * ```js
 * import { mmap, mincore, PROT, MAP, pageSize } from 'mman'
 *
 * // Shared: its pages come one by one, where private memory may get a whole transparent huge page.
 * const buf = mmap(null, 4 * pageSize, PROT.READ | PROT.WRITE, MAP.SHARED | MAP.ANONYMOUS, -1, 0)
 * new Uint8Array(buf)[2 * pageSize] = 1 // touch the third page only
 * console.log(mincore(buf))
 * ```
 *
 * ```text
 * Uint8Array(4) [ 0, 0, 1, 0 ]
 * ```
 */
export function mincore(buf: MappedMemory): Uint8Array {
  const span = mappedSpan(buf, 'mincore')
  return operations.residency(span.region, pagesOfSpan(span))
}

/**
 * mlock(2) (mlock2 with MLOCK.ONFAULT in `flags`) on the pages `buf` covers.
 * @param buf A buffer mman returned, or a view of part of it (the call covers the pages the view touches).
 * @param flags 0 to fault every page in and lock it now, or MLOCK.ONFAULT to lock pages as they are touched.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `buf` is not an ArrayBuffer, SharedArrayBuffer, TypedArray or DataView; `flags`
 *   is not a number or bigint.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `buf` is memory mman did not map, or memory from sbrk()/brk(); `flags` has
 *   bits other than MLOCK.ONFAULT.
 * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped, or remapped after this view of it was taken.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `flags` is negative, fractional or above 2^31 - 1.
 * - {@link SyscallError} `ENOMEM` (`mlock`): locking would pass RLIMIT_MEMLOCK (without CAP_IPC_LOCK), the pages
 *   include PROT.NONE ones, or splitting the mapping would pass vm.max_map_count.
 * - {@link SyscallError} `EPERM` (`mlock`): RLIMIT_MEMLOCK is 0 and the process lacks CAP_IPC_LOCK.
 * - {@link SyscallError} `EAGAIN` (`mlock`): some of the pages could not be locked.
 * @example
 * ```js
 * import { mmap, mlock, munlock, mincore, PROT, MAP, pageSize } from 'mman'
 *
 * const buf = mmap(null, 2 * pageSize, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
 * mlock(buf) // faults both pages in, and keeps them out of swap
 * console.log(mincore(buf))
 * munlock(buf)
 * ```
 *
 * ```text
 * Uint8Array(2) [ 1, 1 ]
 * ```
 */
export function mlock(buf: MappedMemory, flags = 0): void {
  const span = mappedSpan(buf, 'mlock')
  operations.lock(span.region, pagesOfSpan(span), bits(flags, 'flags', MLOCK.ONFAULT, 'MLOCK'))
}

/**
 * munlock(2) on the pages `buf` covers.
 * @param buf A buffer mman returned, or a view of part of it (the call covers the pages the view touches).
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `buf` is not an ArrayBuffer, SharedArrayBuffer, TypedArray or DataView.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `buf` is memory mman did not map, or memory from sbrk()/brk().
 * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped, or remapped after this view of it was taken.
 * - {@link SyscallError} `ENOMEM` (`munlock`): splitting the mapping would pass vm.max_map_count.
 * @example
 * ```js
 * import { mmap, mlock, munlock, PROT, MAP } from 'mman'
 *
 * const buf = mmap(null, 4096, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
 * mlock(buf, 0)
 * munlock(buf) // the pages may be swapped out again
 * console.log('unlocked')
 * ```
 *
 * ```text
 * unlocked
 * ```
 */
export function munlock(buf: MappedMemory): void {
  const span = mappedSpan(buf, 'munlock')
  operations.unlock(span.region, pagesOfSpan(span))
}

/**
 * mremap(2) with MREMAP_MAYMOVE: grows or shrinks the mapping `buf` belongs
 * to. The mapping may move, so every old view is detached; the returned
 * ArrayBuffer covers the new length.
 * @param buf The mapping to resize: a buffer mman returned, or a view whose end marks the part kept.
 * @param newLength The new length in bytes, from the start of `buf` (> 0).
 * @param policy `allowBeyondEOF: true` lets a file mapping grow past the file's current size.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `buf` is not an ArrayBuffer, SharedArrayBuffer, TypedArray or DataView;
 *   `newLength` is not a number or bigint, or `policy` is not an object or its `allowBeyondEOF` not a boolean.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `buf` is memory mman did not map, or memory from sbrk()/brk().
 * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped, or remapped after this view of it was taken.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `newLength` is below 1, fractional or above `buffer.constants.MAX_LENGTH`, or a
 *   file mapping would grow past end-of-file without `allowBeyondEOF`.
 * - {@link SyscallError} `EINVAL` (`mremap`): growing shared anonymous or device memory (its kernel object keeps its
 *   size), or a length beyond the address space.
 * - {@link SyscallError} `EBUSY` (`mremap`): the mapping has MAP.FIXED mappings inside it, an async call on it has not
 *   finished, it has SharedArrayBuffer views (they cannot follow a move), or views that may still be in use pin its old
 *   range and this kernel cannot move it without unmapping that (MREMAP_DONTUNMAP).
 * - {@link SyscallError} `ENOMEM` (`mremap`): no room to grow in place or elsewhere, or the process has
 *   vm.max_map_count mappings.
 * - {@link SyscallError} `EAGAIN` (`mremap`): the mapping is locked and growing it would pass RLIMIT_MEMLOCK.
 * @example
 * ```js
 * import { mmap, mremap, PROT, MAP } from 'mman'
 *
 * const buf = mmap(null, 4096, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
 * new Uint8Array(buf)[0] = 7
 * const grown = mremap(buf, 65536) // buf is detached: the mapping may have moved
 * console.log(buf.byteLength, grown.byteLength, new Uint8Array(grown)[0])
 * ```
 *
 * ```text
 * 0 65536 7
 * ```
 */
export function mremap(
  buf: MappedMemory,
  newLength: number | bigint,
  policy?: Pick<MapPolicy, 'allowBeyondEOF'>,
): ArrayBuffer {
  const opts = mapPolicy(policy)
  const span = mappedSpan(buf, 'mremap')
  const length = integer(newLength, 'newLength', 1, MAX_VIEW_LENGTH)
  operations.remap(span.region, span.end, span.start + length, opts)
  return createView(span.region, span.start, length, 'mremap')
}

/**
 * The virtual address of the first byte of `buf` (information only: no call takes an address back except MAP.FIXED hints).
 * @param buf A buffer mman returned, or a view of part of it.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `buf` is not an ArrayBuffer, SharedArrayBuffer, TypedArray or DataView.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `buf` is memory mman did not map.
 * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped, or remapped after this view of it was taken.
 * @example
 * ```js
 * import { mmap, addressOf, PROT, MAP } from 'mman'
 *
 * const buf = mmap(null, 8192, PROT.READ, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
 * const start = addressOf(buf)
 * console.log('0x' + start.toString(16), addressOf(new Uint8Array(buf, 4096)) - start)
 * ```
 *
 * ```text
 * 0x… 4096n
 * ```
 */
export function addressOf(buf: MappedMemory): bigint {
  const span = spanOf(buf, 'buf')
  return span.region.address + BigInt(span.start)
}
