// Summaries of repeated measurements: min/median/max, and ratios paired by repetition.

export interface Summary {
  min: number
  median: number
  max: number
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { min: NaN, median: NaN, max: NaN }
  return { min: Math.min(...values), median: median(values), max: Math.max(...values) }
}

/**
 * Ratios a[i] / b[i] of measurements taken in the same repetition, so that a
 * slow moment of the machine hits both sides; summarized.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): Summary {
  const ratios: number[] = []
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (b[i]! > 0) ratios.push(a[i]! / b[i]!)
  }
  return summarize(ratios)
}

/**
 * The medians of `batches` runs of consecutive values (fewer when there are
 * under 5 values a batch), summarized: how far the median of a long series
 * moves within it, where single values may span decades.
 */
export function batchMedians(values: readonly number[], batches: number): Summary & { count: number } {
  const count = Math.max(1, Math.min(batches, Math.floor(values.length / 5)))
  const size = values.length / count
  const medians = Array.from({ length: count }, (_, i) =>
    median(values.slice(Math.round(i * size), Math.round((i + 1) * size))),
  )
  return { ...summarize(medians), count }
}

/** A deterministic PRNG (mulberry32), so every method reads the same random offsets. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
