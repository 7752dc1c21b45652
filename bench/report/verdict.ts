// How two measured rows compare: the ratio of their medians, and whether the
// difference stands out of their spread. Every "faster", "slower" and "within
// noise" in a conclusion or in `mman bench compare` comes from here.
import { fmt } from './format.js'

/** A measurement summarized over its repetitions. */
export interface Spread {
  min: number
  median: number
  max: number
}

export type Direction = 'faster' | 'slower' | 'within noise'

export interface Comparison {
  direction: Direction
  /** How many times faster or slower, by medians (≥ 1). */
  factor: number
  /** a's median over b's. */
  ratio: number
  /** False when both sides are single measurements: the direction then rests on the medians alone. */
  spreadKnown: boolean
}

/**
 * How `a` compares with `b`, for a measure where `better` values win (times:
 * lower; throughputs: higher). `a` is faster when its median lies beyond b's
 * whole range and b's median beyond a's whole range (the tails may overlap);
 * anything less is within noise.
 */
export function compareSpreads(a: Spread, b: Spread, better: 'lower' | 'higher' = 'lower'): Comparison {
  const ratio = a.median / b.median
  const spreadKnown = a.min !== a.max || b.min !== b.max
  const below = (x: Spread, y: Spread) => x.median < y.min && x.max < y.median
  const above = (x: Spread, y: Spread) => x.median > y.max && x.min > y.median
  let direction: Direction = 'within noise'
  if (below(a, b)) direction = better === 'lower' ? 'faster' : 'slower'
  else if (above(a, b)) direction = better === 'lower' ? 'slower' : 'faster'
  const factor = ratio >= 1 ? ratio : 1 / ratio
  return { direction, factor, ratio, spreadKnown }
}

const times = (factor: number) => `${fmt(factor)}×`

const single = (comparison: Comparison) => (comparison.spreadKnown ? '' : ' (one measurement each)')

/** "8.24× faster", "17× slower", or "within noise (1.02×)": how a relates to b. */
export function relationText(comparison: Comparison): string {
  if (comparison.direction === 'within noise') return `within noise (${times(comparison.ratio)})`
  return `${times(comparison.factor)} ${comparison.direction}${single(comparison)}`
}

/** A sentence part: "the Channel is 17× slower than process.send", "A is within noise of B (median ratio 1.02×)". */
export function relationClause(subject: string, object: string, comparison: Comparison): string {
  if (comparison.direction === 'within noise')
    return `${subject} is within noise of ${object} (median ratio ${times(comparison.ratio)})`
  return `${subject} is ${times(comparison.factor)} ${comparison.direction} than ${object}${single(comparison)}`
}

/** The same without the factor, for a sentence that has just given the ratio: "D is faster than B", "E is within noise of B". */
export function verdictClause(subject: string, object: string, comparison: Comparison): string {
  if (comparison.direction === 'within noise') return `${subject} is within noise of ${object}`
  return `${subject} is ${comparison.direction} than ${object}${single(comparison)}`
}
