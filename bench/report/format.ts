// How the reports write figures: about three significant digits, spreads as
// "median [min–max]", times in the unit that suits them.

/** A number with about three significant digits. */
export function fmt(value: number | undefined, digits = 3): string {
  if (value === undefined || !Number.isFinite(value)) return '–'
  if (value === 0) return '0'
  const magnitude = Math.floor(Math.log10(Math.abs(value)))
  const decimals = Math.max(0, digits - 1 - magnitude)
  return value.toFixed(Math.min(decimals, 6))
}

/** "median [min–max]" */
export function spread(median: number, min: number, max: number, digits = 3): string {
  return `${fmt(median, digits)} [${fmt(min, digits)}–${fmt(max, digits)}]`
}

export function ratioText(median: number, min: number, max: number): string {
  return `${fmt(median)}× [${fmt(min)}–${fmt(max)}]`
}

/** A time in ms written in the unit that suits it: "2.89 µs", "65.9 ms", "1.20 s". */
export function duration(ms: number): string {
  if (!Number.isFinite(ms)) return '–'
  if (ms >= 1000) return `${fmt(ms / 1000)} s`
  if (ms >= 1) return `${fmt(ms)} ms`
  if (ms >= 0.001) return `${fmt(ms * 1e3)} µs`
  return `${fmt(ms * 1e6)} ns`
}
