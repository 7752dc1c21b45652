// Axis arithmetic for the charts: where ticks go and how they read. Labels
// are what a person would write on a chart by hand: 0, 2.5, 15 000, 0.001,
// 10⁻⁵ — never 2e4 (and never two ticks with the same label).

/** Ticks from 0 to at least `max` in at most 6 equal steps of 1, 2, 2.5 or 5 × 10^k. */
export function linearTicks(max: number): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1]
  const magnitude = 10 ** Math.floor(Math.log10(max))
  const step = [0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5].map((m) => m * magnitude).find((s) => max / s <= 6)!
  const count = Math.ceil(max / step - 1e-9)
  return Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)))
}

export interface LogAxis {
  /** The axis runs from 10^lo to 10^hi. */
  lo: number
  hi: number
  /** Labelled ticks: every decade, and 2 and 5 between them when the axis spans at most two decades. */
  ticks: number[]
  /** Unlabelled guides at 2 and 5 within each decade on longer axes. */
  guides: number[]
}

/** A log axis covering [min, max] (both > 0), widened to whole decades. */
export function logAxis(min: number, max: number): LogAxis {
  if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max))
    return { lo: 0, hi: 1, ticks: [1, 2, 5, 10], guides: [] }
  const lo = Math.floor(Math.log10(min) + 1e-9)
  let hi = Math.ceil(Math.log10(max) - 1e-9)
  if (hi <= lo) hi = lo + 1
  const ticks: number[] = []
  const guides: number[] = []
  for (let exponent = lo; exponent <= hi; exponent++) {
    const decade = 10 ** exponent
    ticks.push(Number(decade.toPrecision(12)))
    if (exponent < hi)
      (hi - lo <= 2 ? ticks : guides).push(Number((2 * decade).toPrecision(12)), Number((5 * decade).toPrecision(12)))
  }
  return { lo, hi, ticks, guides }
}

const SUPERSCRIPT: Record<string, string> = {
  '-': '⁻',
  0: '⁰',
  1: '¹',
  2: '²',
  3: '³',
  4: '⁴',
  5: '⁵',
  6: '⁶',
  7: '⁷',
  8: '⁸',
  9: '⁹',
}
const superscript = (n: number) => [...String(n)].map((c) => SUPERSCRIPT[c]).join('')

/** Groups the integer part in threes from 10 000 up: 15000 -> "15 000" (5000 stays "5000"). */
function grouped(text: string): string {
  const [whole, fraction] = text.split('.') as [string, string | undefined]
  const digits = whole.replace('-', '')
  const body = digits.length > 4 ? digits.replace(/\B(?=(\d{3})+(?!\d))/g, ' ') : digits
  return `${whole.startsWith('-') ? '-' : ''}${body}${fraction === undefined ? '' : `.${fraction}`}`
}

/** A tick label: plain decimals from 0.001 to 9 999 999 (three significant digits), powers of ten outside. */
export function tickLabel(value: number): string {
  if (value === 0) return '0'
  if (!Number.isFinite(value)) return String(value)
  const magnitude = Math.abs(value)
  if (magnitude >= 0.001 && magnitude < 1e7) return grouped(String(Number(value.toPrecision(3))))
  const exponent = Math.floor(Math.log10(magnitude) + 1e-9)
  const mantissa = Number((value / 10 ** exponent).toPrecision(2))
  return `${mantissa === 1 ? '' : mantissa === -1 ? '-' : `${mantissa}×`}10${superscript(exponent)}`
}
