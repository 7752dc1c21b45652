// What the addon tracks, for programs that check themselves for leaks (the
// soak does): regions not yet disposed, and unmapped ranges still reserved
// because a view of them may be in use.
import { native } from './native.js'

/** How many regions and reserved ranges mman tracks now, in the whole process. */
export interface RegionCounts {
  /** Mappings and sbrk growths not yet released (live, or unmapped with views awaiting the collector). */
  regions: number
  /**
   * Unmapped ranges still reserved (zero-filled, no pages) because a view of
   * them may still be in use; each is unmapped once its views are collected.
   * Also counts what an ended worker thread left mapped because another
   * thread may still use it (a store moved out with transfer()).
   */
  reservedRanges: number
}

/**
 * Regions and reserved ranges mman tracks now (see `RegionCounts`).
 * @example
 * ```js
 * import { mapAnonymous, regionCounts } from 'mman'
 *
 * const before = regionCounts().regions
 * const m = mapAnonymous(4096)
 * console.log(regionCounts().regions - before)
 * m.unmap()
 * console.log(regionCounts().regions - before)
 * ```
 *
 * ```text
 * 1
 * 0
 * ```
 */
export function regionCounts(): RegionCounts {
  const [regions, reservedRanges] = native.lifetimeCounts()
  return { regions, reservedRanges }
}
