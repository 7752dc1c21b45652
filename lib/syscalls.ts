// The syscall layer: shaped like the C calls. Memory is named by any
// ArrayBuffer / TypedArray / DataView that mman returned; a view names its own
// sub-range, which is rounded out to whole pages.
import { check, errno, invalidArgValue, outOfRange, syscallError } from './errors.js'
import { KNOWN_MADV_VALUES, KNOWN_MS_BITS, MLOCK, MS, pageSize } from './constants.js'
import { checkPolicy, mapRegion, protection, refuseBeyondEOF, type MapPolicy } from './map-region.js'
import { native } from './native.js'
import { createView, pageRange, requireMapped, spanOf, type Span } from './region.js'
import { bits, integer, mappingLength, MAX_VIEW_LENGTH, oneOf, options } from './validate.js'

/** Any memory mman handed out: the ArrayBuffer itself or a view of part of it. */
export type MappedMemory = ArrayBuffer | ArrayBufferView

/**
 * mmap(2). Returns an ArrayBuffer over the new mapping. `addr` is a hint only
 * (bigint), except with MAP.FIXED, which is accepted only inside a mapping mman
 * owns. An unaligned `offset` is handled: the kernel maps from the page
 * boundary and the buffer starts at the requested byte. Lengths above
 * `buffer.constants.MAX_LENGTH` need `map()`, whose `window()` reaches any offset.
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
  const opts = options<MapPolicy>(policy)
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
  unmapRegion(span)
}

export function unmapRegion(span: Span): void {
  check(span.region.unmap(), 'munmap', (code) =>
    code === 'EBUSY' ? 'an async msync/populate on this mapping has not finished' : undefined,
  )
}

function mappedSpan(buf: unknown, syscall: string): Span {
  const span = spanOf(buf, 'buf')
  requireMapped(span, 'buf', syscall)
  return span
}

/** mprotect(2) on the pages `buf` covers. */
export function mprotect(buf: MappedMemory, prot: number, policy?: MapPolicy): void {
  const opts = options<MapPolicy>(policy)
  checkPolicy(opts)
  const span = mappedSpan(buf, 'mprotect')
  const { offset, length } = pageRange(span)
  check(native.mprotect(span.region.handle, offset, length, protection(prot, opts)), 'mprotect')
}

/** madvise(2) on the pages `buf` covers. */
export function madvise(buf: MappedMemory, advice: number): void {
  const span = mappedSpan(buf, 'madvise')
  const { offset, length } = pageRange(span)
  check(native.madvise(span.region.handle, offset, length, oneOf(advice, 'advice', KNOWN_MADV_VALUES, 'MADV value')), 'madvise')
}

/** madvise(2) on the libuv thread pool, for advice that blocks (MADV.POPULATE_READ/WRITE, WILLNEED). */
export async function madviseAsync(buf: MappedMemory, advice: number): Promise<void> {
  const span = mappedSpan(buf, 'madvise')
  const { offset, length } = pageRange(span)
  const value = oneOf(advice, 'advice', KNOWN_MADV_VALUES, 'MADV value')
  check(await native.madviseAsync(span.region.handle, offset, length, value), 'madvise')
}

function syncFlags(flags: unknown): number {
  const value = bits(flags, 'flags', KNOWN_MS_BITS, 'MS')
  if ((value & MS.SYNC) !== 0 && (value & MS.ASYNC) !== 0) {
    throw invalidArgValue('flags', flags, 'cannot ask for both MS.SYNC and MS.ASYNC')
  }
  return value
}

/** msync(2) on the pages `buf` covers. MS.SYNC blocks until written: see msyncAsync(). */
export function msync(buf: MappedMemory, flags: number = MS.SYNC): void {
  const span = mappedSpan(buf, 'msync')
  const { offset, length } = pageRange(span)
  check(native.msync(span.region.handle, offset, length, syncFlags(flags)), 'msync')
}

/** msync(2) on the libuv thread pool; resolves when the kernel has written the pages. */
export async function msyncAsync(buf: MappedMemory, flags: number = MS.SYNC): Promise<void> {
  const span = mappedSpan(buf, 'msync')
  const { offset, length } = pageRange(span)
  check(await native.msyncAsync(span.region.handle, offset, length, syncFlags(flags)), 'msync')
}

/** mincore(2): one byte per page `buf` covers; bit 0 set when the page is resident. */
export function mincore(buf: MappedMemory): Uint8Array {
  const span = mappedSpan(buf, 'mincore')
  const { offset, length } = pageRange(span)
  const pages = new Uint8Array(length / pageSize)
  check(native.mincore(span.region.handle, offset, length, pages), 'mincore')
  return pages
}

/** mlock(2) (mlock2 with MLOCK.ONFAULT in `flags`) on the pages `buf` covers. */
export function mlock(buf: MappedMemory, flags = 0): void {
  const span = mappedSpan(buf, 'mlock')
  const { offset, length } = pageRange(span)
  check(native.mlock(span.region.handle, offset, length, bits(flags, 'flags', MLOCK.ONFAULT ?? 0, 'MLOCK')), 'mlock')
}

/** munlock(2) on the pages `buf` covers. */
export function munlock(buf: MappedMemory): void {
  const span = mappedSpan(buf, 'munlock')
  const { offset, length } = pageRange(span)
  check(native.munlock(span.region.handle, offset, length), 'munlock')
}

/**
 * mremap(2) with MREMAP_MAYMOVE: grows or shrinks the mapping `buf` belongs
 * to. The mapping may move, so every old view is detached; the returned
 * ArrayBuffer covers the new length.
 */
export function mremap(buf: MappedMemory, newLength: number | bigint, policy?: Pick<MapPolicy, 'allowBeyondEOF'>): ArrayBuffer {
  const opts = options<MapPolicy>(policy)
  checkPolicy(opts)
  const span = mappedSpan(buf, 'mremap')
  const start = span.start
  const length = integer(newLength, 'newLength', 1, MAX_VIEW_LENGTH)
  remapRegion(span, start + length, opts)
  return createView(span.region, start, length, 'mremap')
}

/** Resizes the span's region to `newSize` bytes from its start; a file mapping may not grow past EOF unless allowed. */
export function remapRegion(span: Span, newSize: number, policy: MapPolicy): void {
  const { region } = span
  if (region.backing === 'file' && newSize > span.end && policy.allowBeyondEOF !== true) {
    // By bytes, as mapFile() checks: even the part of the last page past end-of-file stays out.
    refuseBeyondEOF(region.fileSize('mremap'), region.fileOffset, newSize)
  }
  if (newSize > region.size && region.backing === 'shmem') {
    throw syscallError(errno('EINVAL'), 'mremap',
      'shared anonymous and device memory cannot grow: the kernel object behind it keeps its size, and touching ' +
        'the new pages would raise SIGBUS. Map a memfd and ftruncate it, or map a new region')
  }
  check(native.mremap(region.handle, newSize), 'mremap', (code) =>
    code === 'EBUSY'
      ? 'the mapping has MAP.FIXED mappings inside it or an async operation in flight, or views that may still be ' +
        'in use pin its old range and this kernel cannot move it without unmapping that (MREMAP_DONTUNMAP)'
      : undefined,
  )
  region.size = Math.ceil(newSize / pageSize) * pageSize
  region.generation++
}

/** The virtual address of the first byte of `buf` (information only: no call takes an address back except MAP.FIXED hints). */
export function addressOf(buf: MappedMemory): bigint {
  const span = spanOf(buf, 'buf')
  return span.region.address + BigInt(span.start)
}
