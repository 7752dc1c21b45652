// Output of the suites: markdown tables on stdout, JSON rows, SVG charts.
import { writeFileSync } from 'node:fs'
import { extname } from 'node:path'

/** One measured row; every suite writes at least these fields. */
export interface Row {
  suite: string
  mode: string
  sizeMiB?: number
  reps: number
  minMs: number
  medianMs: number
  maxMs: number
  minorFaults?: number
  [extra: string]: unknown
}

/** A finished suite: its rows, the text report, and its chart. */
export interface SuiteResult {
  suite: string
  rows: Row[]
  markdown: string
  svg: string
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const lines = [`| ${headers.join(' | ')} |`, `|${headers.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`]
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`)
  return lines.join('\n')
}

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

/** Where a suite's SVG goes: the path itself for one suite, else path-<suite>.svg. */
export function svgPath(path: string, suite: string, suiteCount: number): string {
  if (suiteCount === 1) return path
  const ext = extname(path) || '.svg'
  return `${path.slice(0, path.length - extname(path).length)}-${suite}${ext}`
}

export function writeOutputs(results: SuiteResult[], json?: string, svg?: string): void {
  if (json !== undefined) writeFileSync(json, `${JSON.stringify(results.flatMap((r) => r.rows), null, 2)}\n`)
  if (svg !== undefined) {
    for (const result of results) writeFileSync(svgPath(svg, result.suite, results.length), result.svg)
  }
}
