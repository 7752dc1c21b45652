// Horizontal bars on a linear axis from zero, one row per method: the median
// as the bar, min–max as a whisker, the value written beside it. For figures
// that share one order of magnitude (GB/s of a scan, µs per call), where a
// bar's length is the comparison. A row without a measurement shows why.
import { linearTicks, tickLabel } from './axis.js'
import { escapeXml, svgDocument, textWidth, titleBlock, valueText, type Frame } from './svg.js'

const MMAN_COLOUR = '#4e79a7'
const PEER_COLOUR = '#a9b4bf'

interface BarRow {
  label: string
  /** Omitted when the row was not measured: `note` says why instead. */
  median?: number
  min?: number
  max?: number
  note?: string
  /** Drawn in the accent colour: mman's own rows, against the peers' in grey. */
  mman?: boolean
}

export interface BarChartSpec extends Frame {
  /** The axis title, with its unit. */
  axis: string
  /** Written after each value, e.g. "GB/s". */
  unit: string
  rows: BarRow[]
  /** Say which end is better, e.g. "higher is faster". */
  reading?: string
}

const ROW = 28
const BAR = 14

export function barChart(spec: BarChartSpec): string {
  const labelWidth = Math.min(340, Math.max(...spec.rows.map((r) => textWidth(r.label))) + 12)
  const left = labelWidth + 8
  const plotWidth = 460
  const right = 110
  const width = left + plotWidth + right
  const { parts, bottom } = titleBlock(spec, 12)
  const plotTop = bottom + 12
  const plotHeight = spec.rows.length * ROW
  const measured = spec.rows.filter((r) => r.median !== undefined)
  const ticks = linearTicks(Math.max(...measured.map((r) => r.max ?? r.median!), 0))
  const top = ticks[ticks.length - 1]!
  const x = (value: number) => left + (value / top) * plotWidth

  for (const tick of ticks) {
    const tx = x(tick).toFixed(1)
    parts.push(
      `<line x1="${tx}" x2="${tx}" y1="${plotTop}" y2="${plotTop + plotHeight}" stroke="${tick === 0 ? '#444' : '#e3e3e3'}"/>`,
    )
    parts.push(
      `<text x="${tx}" y="${plotTop + plotHeight + 16}" text-anchor="middle" fill="#333">${tickLabel(tick)}</text>`,
    )
  }
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${plotTop + plotHeight + 36}" text-anchor="middle">${escapeXml(spec.axis)}${
      spec.reading === undefined ? '' : ` — ${escapeXml(spec.reading)}`
    }</text>`,
  )
  spec.rows.forEach((row, i) => {
    const cy = plotTop + i * ROW + ROW / 2
    parts.push(
      `<text x="${labelWidth}" y="${cy}" text-anchor="end" dominant-baseline="central">${escapeXml(row.label)}</text>`,
    )
    if (row.median === undefined) {
      parts.push(
        `<text x="${left + 6}" y="${cy}" dominant-baseline="central" fill="#777" font-style="italic">${escapeXml(row.note ?? 'not measured')}</text>`,
      )
      return
    }
    const colour = row.mman === true ? MMAN_COLOUR : PEER_COLOUR
    const summary =
      `${row.label}: median ${valueText(row.median)} ${spec.unit}` +
      (row.min === undefined ? '' : ` [${valueText(row.min)}–${valueText(row.max!)}]`)
    parts.push(
      `<rect class="median" x="${left}" y="${(cy - BAR / 2).toFixed(1)}" width="${(x(row.median) - left).toFixed(1)}" height="${BAR}" fill="${colour}" fill-opacity="0.85"><title>${escapeXml(summary)}</title></rect>`,
    )
    let labelAt = x(row.median)
    if (row.min !== undefined && row.max !== undefined) {
      const [x1, x2] = [x(row.min).toFixed(1), x(row.max).toFixed(1)]
      parts.push(`<line class="range" x1="${x1}" x2="${x2}" y1="${cy}" y2="${cy}" stroke="#222"/>`)
      for (const end of [x1, x2])
        parts.push(`<line x1="${end}" x2="${end}" y1="${cy - 5}" y2="${cy + 5}" stroke="#222"/>`)
      labelAt = Math.max(labelAt, x(row.max))
    }
    parts.push(
      `<text x="${(labelAt + 6).toFixed(1)}" y="${cy}" dominant-baseline="central" fill="#333">${valueText(row.median)} ${escapeXml(spec.unit)}</text>`,
    )
  })
  const legendY = plotTop + plotHeight + 58
  parts.push(`<rect x="${left}" y="${legendY - 6}" width="16" height="10" fill="${MMAN_COLOUR}"/>`)
  parts.push(`<text x="${left + 22}" y="${legendY}" dominant-baseline="central" fill="#444">mman</text>`)
  parts.push(`<rect x="${left + 70}" y="${legendY - 6}" width="16" height="10" fill="${PEER_COLOUR}"/>`)
  parts.push(`<text x="${left + 92}" y="${legendY}" dominant-baseline="central" fill="#444">others</text>`)
  parts.push(
    `<text x="${left + 150}" y="${legendY}" dominant-baseline="central" fill="#444">bar: median · whisker: min–max</text>`,
  )
  return svgDocument(width, legendY + 14, parts, spec.title)
}
