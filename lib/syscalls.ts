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
  const mapped = mapRegion({ addr, length, prot, flags, fd, offset, ...opts })
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
 */
export function munmap(buf: MappedMemory): void {
  const span = spanOf(buf, 'buf', true)
  requireMapped(span, 'buf', 'munmap')
  if (span.region.unmapped) return
  if (!span.wholeBuffer) {
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
 */
export function mprotect(buf: MappedMemory, prot: number, policy?: MapPolicy): void {
  const span = mappedSpan(buf, 'mprotect')
  operations.protect(span.region, pagesOfSpan(span), prot, mapPolicy(policy))
}

/**
 * madvise(2) on the pages `buf` covers.
 * @param buf A buffer mman returned, or a view of part of it (the call covers the pages the view touches).
 * @param advice One MADV value (MADV.DONTNEED, MADV.SEQUENTIAL, MADV.HUGEPAGE, ...).
 */
export function madvise(buf: MappedMemory, advice: number): void {
  const span = mappedSpan(buf, 'madvise')
  operations.advise(span.region, pagesOfSpan(span), advice)
}

/**
 * madvise(2) on the libuv thread pool, for advice that blocks (MADV.POPULATE_READ/WRITE, WILLNEED).
 * @param buf A buffer mman returned, or a view of part of it (the call covers the pages the view touches).
 * @param advice One MADV value.
 */
export async function madviseAsync(buf: MappedMemory, advice: number): Promise<void> {
  const span = mappedSpan(buf, 'madvise')
  await operations.adviseAsync(span.region, pagesOfSpan(span), advice)
}

/**
 * msync(2) on the pages `buf` covers. MS.SYNC blocks until written: see msyncAsync().
 * @param buf A buffer mman returned, or a view of part of it (the call covers the pages the view touches).
 * @param flags MS.SYNC (the default) or MS.ASYNC, optionally with MS.INVALIDATE.
 */
export function msync(buf: MappedMemory, flags: number = MS.SYNC): void {
  const span = mappedSpan(buf, 'msync')
  operations.sync(span.region, pagesOfSpan(span), msFlags(flags))
}

/**
 * msync(2) on the libuv thread pool; resolves when the kernel has written the pages.
 * @param buf A buffer mman returned, or a view of part of it (the call covers the pages the view touches).
 * @param flags MS.SYNC (the default) or MS.ASYNC, optionally with MS.INVALIDATE.
 */
export async function msyncAsync(buf: MappedMemory, flags: number = MS.SYNC): Promise<void> {
  const span = mappedSpan(buf, 'msync')
  await operations.syncAsync(span.region, pagesOfSpan(span), msFlags(flags))
}

/**
 * mincore(2): one byte per page `buf` covers; bit 0 set when the page is resident.
 * @param buf A buffer mman returned, or a view of part of it (the call covers the pages the view touches).
 */
export function mincore(buf: MappedMemory): Uint8Array {
  const span = mappedSpan(buf, 'mincore')
  return operations.residency(span.region, pagesOfSpan(span))
}

/**
 * mlock(2) (mlock2 with MLOCK.ONFAULT in `flags`) on the pages `buf` covers.
 * @param buf A buffer mman returned, or a view of part of it (the call covers the pages the view touches).
 * @param flags 0 to fault every page in and lock it now, or MLOCK.ONFAULT to lock pages as they are touched.
 */
export function mlock(buf: MappedMemory, flags = 0): void {
  const span = mappedSpan(buf, 'mlock')
  operations.lock(span.region, pagesOfSpan(span), bits(flags, 'flags', MLOCK.ONFAULT, 'MLOCK'))
}

/**
 * munlock(2) on the pages `buf` covers.
 * @param buf A buffer mman returned, or a view of part of it (the call covers the pages the view touches).
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
 */
export function mremap(buf: MappedMemory, newLength: number | bigint, policy?: Pick<MapPolicy, 'allowBeyondEOF'>): ArrayBuffer {
  const opts = mapPolicy(policy)
  const span = mappedSpan(buf, 'mremap')
  const length = integer(newLength, 'newLength', 1, MAX_VIEW_LENGTH)
  operations.remap(span.region, span.end, span.start + length, opts)
  return createView(span.region, span.start, length, 'mremap')
}

/**
 * The virtual address of the first byte of `buf` (information only: no call takes an address back except MAP.FIXED hints).
 * @param buf A buffer mman returned, or a view of part of it.
 */
export function addressOf(buf: MappedMemory): bigint {
  const span = spanOf(buf, 'buf')
  return span.region.address + BigInt(span.start)
}
