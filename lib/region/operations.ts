// The memory operations, once, for both API layers: each takes a region and
// the pages to act on (the syscall layer gets them from a view, the object
// layer from offsets), validates what both layers accept alike, and makes the
// call. Failures become Node-style syscall errors.
import { check } from '../errors.js'
import { KNOWN_MADV_VALUES } from '../constants.js'
import { native } from '../native.js'
import { oneOf } from '../validate.js'
import { pageCount, type PageRange } from './pages.js'
import { checkRemap, protection, type MapPolicy } from './policy.js'
import type { Region } from './region.js'
import { spendVmas } from './vma-budget.js'

// Acting on part of a mapping splits its VMA in three.
const SPLIT = 2

const adviceValue = (advice: unknown): number => oneOf(advice, 'advice', KNOWN_MADV_VALUES, 'MADV value')

/** mprotect(2); returns the PROT bits set. */
export function protect(region: Region, pages: PageRange, prot: unknown, policy: MapPolicy): number {
  const value = protection(prot, policy)
  spendVmas(SPLIT, 'mprotect')
  check(native.mprotect(region.handle, pages.offset, pages.length, value), 'mprotect')
  return value
}

/** madvise(2). */
export function advise(region: Region, pages: PageRange, advice: unknown): void {
  const value = adviceValue(advice)
  spendVmas(SPLIT, 'madvise')
  check(native.madvise(region.handle, pages.offset, pages.length, value), 'madvise')
}

/** madvise(2) on the libuv thread pool, for advice that blocks (populate, WILLNEED). */
export async function adviseAsync(region: Region, pages: PageRange, advice: unknown): Promise<void> {
  const value = adviceValue(advice)
  spendVmas(SPLIT, 'madvise')
  try {
    check(await native.madviseAsync(region.handle, pages.offset, pages.length, value), 'madvise')
  } finally {
    region.asyncSettled()
  }
}

/** msync(2) with MS flags the caller checked. */
export function sync(region: Region, pages: PageRange, flags: number): void {
  check(native.msync(region.handle, pages.offset, pages.length, flags), 'msync')
}

/** msync(2) on the libuv thread pool. */
export async function syncAsync(region: Region, pages: PageRange, flags: number): Promise<void> {
  try {
    check(await native.msyncAsync(region.handle, pages.offset, pages.length, flags), 'msync')
  } finally {
    region.asyncSettled()
  }
}

/** mincore(2): one byte per page, bit 0 set when the page is resident. */
export function residency(region: Region, pages: PageRange): Uint8Array {
  const bitmap = new Uint8Array(pageCount(pages))
  check(native.mincore(region.handle, pages.offset, pages.length, bitmap), 'mincore')
  return bitmap
}

/** mlock2(2) with MLOCK flags the caller checked. */
export function lock(region: Region, pages: PageRange, flags: number): void {
  spendVmas(SPLIT, 'mlock')
  check(native.mlock(region.handle, pages.offset, pages.length, flags), 'mlock')
}

/** munlock(2). */
export function unlock(region: Region, pages: PageRange): void {
  spendVmas(SPLIT, 'munlock')
  check(native.munlock(region.handle, pages.offset, pages.length), 'munlock')
}

/** mremap(2) of the region from `currentEnd` to `newSize` bytes from its start, under the mapping policy. */
export function remap(region: Region, currentEnd: number, newSize: number, policy: MapPolicy): void {
  checkRemap(region, currentEnd, newSize, policy)
  spendVmas(1, 'mremap')
  region.remap(newSize)
}
