// The charts' structure: readable ticks, a median mark and its spread for
// every measured row, unmeasured rows named. (How they look is checked by eye
// in a browser, never here.)
import { describe, expect, it } from 'vitest'
import { linearTicks, logAxis, tickLabel } from '../bench/report/charts/axis.js'
import type { Row } from '../bench/report/rows.js'
import { barChart } from '../bench/report/charts/bars.js'
import { dotChart } from '../bench/report/charts/dots.js'
import { presentSection } from '../bench/suites/index.js'
import { rendered, suiteResults } from './bench-fixtures.js'

const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!)
const count = (svg: string, pattern: RegExp) => svg.match(pattern)?.length ?? 0

/** Opening and closing tags pair up (the charts use no self-nesting beyond svg > element > title). */
function expectBalanced(svg: string) {
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true)
  expect(svg.trim().endsWith('</svg>')).toBe(true)
  for (const tag of ['text', 'rect', 'circle', 'title', 'svg']) {
    const opened = count(svg, new RegExp(`<${tag}[ >]`, 'g'))
    const selfClosed = count(svg, new RegExp(`<${tag}[^>]*/>`, 'g'))
    expect(count(svg, new RegExp(`</${tag}>`, 'g')), tag).toBe(opened - selfClosed)
  }
}

describe('axis', () => {
  it('labels ticks as people write them: no exponents, thousands grouped, powers of ten for the tiny', () => {
    expect([0, 2.5, 5000, 15000, 20000, 1234567, 0.001, 0.05].map(tickLabel)).toEqual([
      '0',
      '2.5',
      '5000',
      '15 000',
      '20 000',
      '1 230 000',
      '0.001',
      '0.05',
    ])
    expect([1e-5, 2e-5, 1e8].map(tickLabel)).toEqual(['10⁻⁵', '2×10⁻⁵', '10⁸'])
  })

  it('puts 4 to 7 evenly spaced, distinctly labelled ticks from 0 past the maximum', () => {
    for (const max of [0.0073, 1, 8.55, 16.25, 16252, 99999, 3.3e6]) {
      const ticks = linearTicks(max)
      expect(ticks[0]).toBe(0)
      expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(max)
      expect(ticks.length).toBeGreaterThanOrEqual(3)
      expect(ticks.length).toBeLessThanOrEqual(7)
      const labels = ticks.map(tickLabel)
      expect(new Set(labels).size).toBe(labels.length)
      expect(labels.join(' ')).not.toMatch(/e[+-]?\d/)
    }
    expect(linearTicks(16252).map(tickLabel)).toEqual(['0', '5000', '10 000', '15 000', '20 000'])
  })

  it('covers a log range with whole decades, and 2 and 5 between them when it is short', () => {
    expect(logAxis(1.87, 3630)).toEqual({
      lo: 0,
      hi: 4,
      ticks: [1, 10, 100, 1000, 10000],
      guides: [2, 5, 20, 50, 200, 500, 2000, 5000],
    })
    expect(logAxis(0.3, 8)).toMatchObject({ ticks: [0.1, 0.2, 0.5, 1, 2, 5, 10], guides: [] })
    expect(logAxis(5, 5)).toMatchObject({ lo: 0, hi: 1 })
  })
})

describe('bar chart', () => {
  const svg = barChart({
    title: 'T <&>',
    axis: 'µs per pair',
    unit: 'µs',
    rows: [
      { label: 'C loop', median: 3.2, min: 2, max: 3.6 },
      { label: 'mman', median: 11.8, min: 7.7, max: 16.3, mman: true },
      { label: 'koffi', note: 'not installed: npm i koffi' },
    ],
  })

  it('draws a bar, a min–max whisker and a value for each measured row, and names the unmeasured one', () => {
    expectBalanced(svg)
    expect(svg).toContain('T &lt;&amp;&gt;')
    expect(count(svg, /class="median"/g)).toBe(2)
    expect(count(svg, /class="range"/g)).toBe(2)
    expect(texts(svg)).toEqual(expect.arrayContaining(['3.2 µs', '11.8 µs', 'not installed: npm i koffi']))
  })

  it('has a linear axis from 0 with readable ticks', () => {
    expect(texts(svg)).toEqual(expect.arrayContaining(['0', '5', '10', '15', '20']))
    expect(texts(svg).join(' ')).not.toMatch(/\de\d/)
  })
})

describe('dot chart', () => {
  const svg = dotChart({
    title: 'Round trips',
    axis: 'µs',
    unit: 'µs',
    series: ['64 B', '1 MiB'],
    legend: { spread: 'fastest to p99', mark: 'p99' },
    reference: { value: 1, label: 'B' },
    tickSuffix: '×',
    groups: [
      {
        label: 'group',
        rows: [
          {
            label: 'Channel',
            points: [
              { series: '64 B', median: 2.9, low: 1.9, high: 27, mark: 27 },
              { series: '1 MiB', median: 193, low: 168, high: 260, mark: 260 },
            ],
          },
          { label: 'shm', points: [], note: 'not installed: npm i shm-typed-array' },
        ],
      },
    ],
  })

  it('draws each median as a dot over its spread, the p99 mark, and names the unmeasured row', () => {
    expectBalanced(svg)
    expect(count(svg, /<circle class="median"/g)).toBe(2)
    expect(count(svg, /class="range"/g)).toBe(2)
    expect(count(svg, /class="mark"/g)).toBe(2)
    expect(texts(svg)).toEqual(
      expect.arrayContaining(['not installed: npm i shm-typed-array', 'group', 'B', '64 B', '1 MiB', 'p99', 'median']),
    )
  })

  it('has a log axis of whole decades, labelled with the suffix', () => {
    expect(texts(svg)).toEqual(expect.arrayContaining(['1×', '10×', '100×', '1000×', 'µs (log scale)']))
  })

  it("draws every suite's chart from its rows, with a median mark for every measured row", () => {
    for (const result of suiteResults()) {
      const { svg: chart } = rendered(presentSection(result)!)
      expectBalanced(chart)
      const medians = count(chart, /class="median"/g)
      // The file chart shows the scans; the IPC chart the pair and the stand-alone round trips (load, fan-out and idle CPU are tables).
      const charted = (r: Row) =>
        result.suite === 'file'
          ? r.mode.startsWith('scan-')
          : result.suite === 'ipc'
            ? ['idle', 'pair'].includes(r.scenario as string)
            : !r.mode.startsWith('seed-')
      const expected = result.rows.filter(charted).length
      expect(medians, result.suite).toBe(expected)
      for (const entry of result.unmeasured) expect(chart).toContain(`${entry.status}: ${entry.detail}`)
      expect(texts(chart).join(' '), result.suite).not.toMatch(/\de[+-]?\d/)
    }
  })
})
