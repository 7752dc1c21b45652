// The only page arithmetic in lib/: the kernel maps, protects and advises
// whole pages, so byte ranges are rounded out to them here and nowhere else.
import { pageSize } from '../constants.js'

/** A page-aligned range inside a region, as the native calls take it. */
export interface PageRange {
  offset: number
  length: number
}

export const roundUpToPage = (bytes: number): number => Math.ceil(bytes / pageSize) * pageSize
export const roundDownToPage = (bytes: number): number => Math.floor(bytes / pageSize) * pageSize
export const pageCount = (range: PageRange): number => range.length / pageSize

/**
 * Bytes [start, end) of a region of `size` bytes, rounded out to whole pages
 * and clamped to the region: what the kernel acts on. An empty range stays
 * empty (length 0: the call does nothing), never a page.
 */
export function pagesOf(start: number, end: number, size: number): PageRange {
  const offset = roundDownToPage(start)
  if (end <= start) return { offset, length: 0 }
  return { offset, length: Math.max(0, Math.min(roundUpToPage(end), size) - offset) }
}
