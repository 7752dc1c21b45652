// Bar charts with min–max whiskers, one group of bars per size (or case), as
// standalone SVG that renders in a browser.

export interface Bar {
  label: string
  value: number
  min: number
  max: number
}

export interface BarGroup {
  label: string
  bars: Bar[]
}

export interface ChartSpec {
  title: string
  subtitle?: string
  unit: string
  groups: BarGroup[]
  /** Log scale, for values spanning decades. */
  log?: boolean
}

const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f',
  '#bab0ac', '#1b9e77', '#d95f02', '#7570b3', '#e7298a', '#66a61e', '#a6761d']

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

function niceTicks(max: number): number[] {
  const step0 = max / 5
  const magnitude = 10 ** Math.floor(Math.log10(step0))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= step0) ?? step0
  const ticks: number[] = []
  for (let t = 0; t <= max * 1.0001; t += step) ticks.push(t)
  if (ticks[ticks.length - 1]! < max) ticks.push(ticks[ticks.length - 1]! + step)
  return ticks
}

function tickLabel(value: number): string {
  if (value >= 1000 || value < 0.01) return value.toExponential(0).replace('e+', 'e')
  return String(Number(value.toPrecision(3)))
}

export function barChart(spec: ChartSpec): string {
  const labels = [...new Set(spec.groups.flatMap((g) => g.bars.map((b) => b.label)))]
  const color = (label: string) => PALETTE[labels.indexOf(label) % PALETTE.length]!
  const values = spec.groups.flatMap((g) => g.bars.flatMap((b) => [b.value, b.max, b.min])).filter((v) => v > 0 && Number.isFinite(v))
  const top = Math.max(...values, 1e-9)
  const bottom = Math.min(...values, top)
  const barWidth = 14
  const gap = 24
  const left = 70
  const plotTop = spec.subtitle ? 56 : 44
  const plotHeight = 300
  const legendRows = Math.ceil(labels.length / 2)
  const groupWidth = (g: BarGroup) => g.bars.length * barWidth
  const plotWidth = spec.groups.reduce((w, g) => w + groupWidth(g) + gap, gap)
  const width = Math.max(left + plotWidth + 20, 640)
  const height = plotTop + plotHeight + 40 + legendRows * 18 + 20

  let scale: (v: number) => number
  let ticks: number[]
  if (spec.log) {
    const lo = Math.floor(Math.log10(bottom))
    const hi = Math.ceil(Math.log10(top))
    const span = Math.max(hi - lo, 1)
    scale = (v) => plotTop + plotHeight - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / span) * plotHeight
    ticks = Array.from({ length: span + 1 }, (_, i) => 10 ** (lo + i))
  } else {
    ticks = niceTicks(top)
    const max = ticks[ticks.length - 1]!
    scale = (v) => plotTop + plotHeight - (v / max) * plotHeight
  }

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="20" font-size="15" font-weight="bold">${escape(spec.title)}</text>`,
  ]
  if (spec.subtitle) parts.push(`<text x="${left}" y="38" fill="#555">${escape(spec.subtitle)}</text>`)
  for (const tick of ticks) {
    const y = scale(tick).toFixed(1)
    parts.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${y}" y2="${y}" stroke="#e3e3e3"/>`)
    parts.push(`<text x="${left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${tickLabel(tick)}</text>`)
  }
  parts.push(
    `<text transform="translate(16 ${plotTop + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escape(spec.unit)}${spec.log ? ' (log scale)' : ''}</text>`,
  )
  let x = left + gap
  for (const group of spec.groups) {
    for (const bar of group.bars) {
      if (!(bar.value > 0)) {
        x += barWidth
        continue
      }
      const y = scale(bar.value)
      const base = plotTop + plotHeight
      parts.push(
        `<rect x="${x}" y="${y.toFixed(1)}" width="${barWidth - 2}" height="${(base - y).toFixed(1)}" fill="${color(bar.label)}"><title>${escape(
          `${group.label} · ${bar.label}: ${tickLabel(bar.value)} ${spec.unit} [${tickLabel(bar.min)}–${tickLabel(bar.max)}]`,
        )}</title></rect>`,
      )
      const cx = x + (barWidth - 2) / 2
      const yMin = scale(bar.min).toFixed(1)
      const yMax = scale(bar.max).toFixed(1)
      parts.push(`<line x1="${cx}" x2="${cx}" y1="${yMin}" y2="${yMax}" stroke="#222"/>`)
      parts.push(`<line x1="${cx - 3}" x2="${cx + 3}" y1="${yMin}" y2="${yMin}" stroke="#222"/>`)
      parts.push(`<line x1="${cx - 3}" x2="${cx + 3}" y1="${yMax}" y2="${yMax}" stroke="#222"/>`)
      x += barWidth
    }
    const center = x - groupWidth(group) / 2
    parts.push(`<text x="${center}" y="${plotTop + plotHeight + 16}" text-anchor="middle">${escape(group.label)}</text>`)
    x += gap
  }
  parts.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${plotTop + plotHeight}" y2="${plotTop + plotHeight}" stroke="#444"/>`)
  labels.forEach((label, i) => {
    const lx = left + (i % 2) * Math.max(280, (width - left) / 2)
    const ly = plotTop + plotHeight + 36 + Math.floor(i / 2) * 18
    parts.push(`<rect x="${lx}" y="${ly - 9}" width="10" height="10" fill="${color(label)}"/>`)
    parts.push(`<text x="${lx + 15}" y="${ly}">${escape(label)}</text>`)
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
