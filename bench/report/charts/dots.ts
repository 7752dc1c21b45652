// Dots on a log axis, one row per method: the median as a dot drawn over its
// spread (a line), optionally a second mark (p99), and several series (sizes)
// side by side within a row. For figures spanning decades, where bars on a
// log axis would start from an arbitrary floor and hide the medians.
import { logAxis, tickLabel } from './axis.js'
import { escapeXml, PALETTE, svgDocument, textWidth, titleBlock, valueText, type Frame } from './svg.js'

interface DotPoint {
  /** Which series (colour); the chart's `series` lists them in order. */
  series: string
  median: number
  /** The spread drawn as a line under the dot. */
  low: number
  high: number
  /** A second mark, e.g. the 99th percentile. */
  mark?: number
}

interface DotRow {
  label: string
  points: DotPoint[]
  /** Shown instead of points when the row was not measured. */
  note?: string
}

export interface DotGroup {
  /** A heading above the group's rows (none for a single group). */
  label?: string
  rows: DotRow[]
}

export interface DotChartSpec extends Frame {
  /** The axis title, with its unit. */
  axis: string
  unit: string
  series: string[]
  groups: DotGroup[]
  /** What the line and the second mark show, e.g. { spread: 'min–max over 15 runs', mark: 'p99' }. */
  legend: { spread: string; mark?: string }
  /** A vertical reference line, e.g. 1× for ratios. */
  reference?: { value: number; label: string }
  /** Appended to tick labels, e.g. "×". */
  tickSuffix?: string
}

const SERIES_GAP = 8
const HEADING = 22

export function dotChart(spec: DotChartSpec): string {
  const rows = spec.groups.flatMap((g) => g.rows)
  const labelWidth = Math.min(
    340,
    Math.max(...rows.map((r) => textWidth(r.label)), ...spec.groups.map((g) => textWidth(g.label ?? '', 12) - 12)) + 12,
  )
  const left = labelWidth + 8
  const plotWidth = 600
  const width = left + plotWidth + 40
  const { parts, bottom } = titleBlock(spec, 12)
  const rowHeight = Math.max(20, spec.series.length * SERIES_GAP + 10)
  const legendTop = bottom + 8
  const legendHeight = spec.series.length > 1 ? 36 : 20
  // A reference line's label sits above the plot, under the key.
  const plotTop = legendTop + legendHeight + 8 + (spec.reference ? 14 : 0)
  const headings = spec.groups.filter((g) => g.label !== undefined).length
  const plotHeight = rows.length * rowHeight + headings * HEADING

  const points = rows.flatMap((r) => r.points)
  const positives = points.flatMap((p) => [p.low, p.median, p.high, p.mark ?? p.median]).filter((v) => v > 0)
  if (spec.reference) positives.push(spec.reference.value)
  const axis = logAxis(Math.min(...positives), Math.max(...positives))
  const x = (value: number) => left + ((Math.log10(value) - axis.lo) / (axis.hi - axis.lo)) * plotWidth
  const clampX = (value: number) => (value > 0 ? Math.min(Math.max(x(value), left), left + plotWidth) : left)
  const colour = (series: string) => PALETTE[spec.series.indexOf(series) % PALETTE.length]!

  // Legend: series swatches, then what each mark means.
  let lx = left
  if (spec.series.length > 1) {
    for (const series of spec.series) {
      parts.push(`<circle cx="${lx + 5}" cy="${legendTop + 6}" r="4.5" fill="${colour(series)}"/>`)
      parts.push(`<text x="${lx + 14}" y="${legendTop + 6}" dominant-baseline="central">${escapeXml(series)}</text>`)
      lx += textWidth(series) + 34
    }
  }
  // The key draws each mark as the plot does, then says what it stands for.
  const keyY = legendTop + (spec.series.length > 1 ? 26 : 6)
  let kx = left
  const keyText = (text: string) => {
    parts.push(`<text x="${kx}" y="${keyY}" dominant-baseline="central" fill="#444">${escapeXml(text)}</text>`)
    kx += textWidth(text) * 0.9 + 20
  }
  parts.push(`<circle cx="${kx + 4}" cy="${keyY}" r="4" fill="#666"/>`)
  kx += 13
  keyText('median')
  parts.push(`<line x1="${kx}" x2="${kx + 22}" y1="${keyY}" y2="${keyY}" stroke="#666" stroke-width="1.5"/>`)
  kx += 28
  keyText(spec.legend.spread)
  if (spec.legend.mark !== undefined) {
    parts.push(`<path d="M${kx} ${keyY} l4 -4 l4 4 l-4 4 z" fill="white" stroke="#666" stroke-width="1.3"/>`)
    kx += 13
    keyText(spec.legend.mark)
  }

  // Row bands first, so that the grid and the marks lie on top of them.
  let y = plotTop
  let band = 0
  for (const group of spec.groups) {
    if (group.label !== undefined) y += HEADING
    for (let i = 0; i < group.rows.length; i++, y += rowHeight) {
      if (band++ % 2 === 0)
        parts.push(`<rect x="${left}" y="${y}" width="${plotWidth}" height="${rowHeight}" fill="#f5f5f5"/>`)
    }
  }
  for (const guide of axis.guides) {
    const gx = x(guide).toFixed(1)
    parts.push(
      `<line x1="${gx}" x2="${gx}" y1="${plotTop}" y2="${plotTop + plotHeight}" stroke="#ebebeb" stroke-dasharray="2 3"/>`,
    )
  }
  for (const tick of axis.ticks) {
    const tx = x(tick).toFixed(1)
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${plotTop}" y2="${plotTop + plotHeight}" stroke="#d9d9d9"/>`)
    parts.push(
      `<text x="${tx}" y="${plotTop + plotHeight + 16}" text-anchor="middle" fill="#333">${tickLabel(tick)}${spec.tickSuffix ?? ''}</text>`,
    )
  }
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${plotTop + plotHeight + 36}" text-anchor="middle">${escapeXml(spec.axis)} (log scale)</text>`,
  )
  if (spec.reference) {
    const rx = x(spec.reference.value).toFixed(1)
    parts.push(
      `<line x1="${rx}" x2="${rx}" y1="${plotTop - 4}" y2="${plotTop + plotHeight}" stroke="#888" stroke-dasharray="4 3"/>`,
    )
    parts.push(
      `<text x="${rx}" y="${plotTop - 7}" text-anchor="middle" fill="#555">${escapeXml(spec.reference.label)}</text>`,
    )
  }

  y = plotTop
  for (const group of spec.groups) {
    if (group.label !== undefined) {
      parts.push(
        `<text x="12" y="${y + HEADING / 2 + 2}" dominant-baseline="central" font-weight="bold">${escapeXml(group.label)}</text>`,
      )
      y += HEADING
    }
    for (const row of group.rows) {
      const cy = y + rowHeight / 2
      parts.push(
        `<text x="${labelWidth}" y="${cy}" text-anchor="end" dominant-baseline="central">${escapeXml(row.label)}</text>`,
      )
      if (row.points.length === 0) {
        parts.push(
          `<text x="${left + 6}" y="${cy}" dominant-baseline="central" fill="#777" font-style="italic">${escapeXml(row.note ?? 'not measured')}</text>`,
        )
      }
      for (const point of row.points) {
        const offset = (spec.series.indexOf(point.series) - (spec.series.length - 1) / 2) * SERIES_GAP
        const py = (cy + offset).toFixed(1)
        const c = colour(point.series)
        const [x1, x2] = [clampX(point.low), clampX(point.high)]
        parts.push(
          `<line class="range" x1="${x1.toFixed(1)}" x2="${x2.toFixed(1)}" y1="${py}" y2="${py}" stroke="${c}" stroke-width="1.5" stroke-opacity="0.7"/>`,
        )
        if (point.mark !== undefined && point.mark > 0) {
          const mx = clampX(point.mark)
          parts.push(
            `<path class="mark" d="M${(mx - 4).toFixed(1)} ${py} l4 -4 l4 4 l-4 4 z" fill="white" stroke="${c}" stroke-width="1.3"/>`,
          )
        }
        const summary =
          `${group.label === undefined ? '' : `${group.label} · `}${row.label}${spec.series.length > 1 ? ` · ${point.series}` : ''}: ` +
          `median ${valueText(point.median)} ${spec.unit} [${valueText(point.low)}–${valueText(point.high)}]` +
          (point.mark === undefined ? '' : `, ${spec.legend.mark} ${valueText(point.mark)}`)
        parts.push(
          `<circle class="median" cx="${clampX(point.median).toFixed(1)}" cy="${py}" r="4" fill="${c}" stroke="white" stroke-width="1"><title>${escapeXml(summary)}</title></circle>`,
        )
      }
      y += rowHeight
    }
  }
  parts.push(
    `<line x1="${left}" x2="${left + plotWidth}" y1="${plotTop + plotHeight}" y2="${plotTop + plotHeight}" stroke="#444"/>`,
  )
  return svgDocument(width, plotTop + plotHeight + 50, parts, spec.title)
}
