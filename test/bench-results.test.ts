// The results file (what --json writes), compare, and the HTML page.
import { describe, expect, it } from 'vitest'
import { chart, heading, list, paragraph, table } from '../bench/report/blocks.js'
import { compareResults, comparisonBlocks } from '../bench/report/compare.js'
import { blocksHtml, htmlReport } from '../bench/report/html.js'
import { markdown } from '../bench/report/markdown.js'
import { presentSection } from '../bench/suites/index.js'
import type { Presentation } from '../bench/report/rows.js'
import {
  parseResults,
  ResultsFileError,
  RESULTS_FORMAT,
  rowKey,
  type ResultsFile,
} from '../bench/report/results-file.js'
import { unitsOf } from '../bench/report/units.js'
import { fixtureFile } from './bench-fixtures.js'

const text = (file: unknown) => JSON.stringify(file)
const edited = (change: (file: Record<string, any>) => void) => {
  const file = JSON.parse(text(fixtureFile()))
  change(file)
  return text(file)
}
const expectRefused = (json: string, message: RegExp) => {
  expect(() => parseResults(json, 'x.json')).toThrow(ResultsFileError)
  expect(() => parseResults(json, 'x.json')).toThrow(message)
}

describe('results file', () => {
  it('carries format, versions, machine, options, and every suite with rows, units, unmeasured rows and conclusions', () => {
    const file = fixtureFile()
    expect(file).toMatchObject({
      format: RESULTS_FORMAT,
      version: 1,
      mman: '0.1.0',
      node: 'v20.20.2',
      machine: { cpu: 'Test CPU', thp: 'madvise' },
      options: { quick: false },
    })
    expect(file.suites.map((s) => s.suite)).toEqual(['zeroing', 'file', 'overhead', 'loop', 'ipc'])
    for (const section of file.suites) {
      expect(section.rows.length).toBeGreaterThan(0)
      expect(section.conclusions.length).toBeGreaterThan(0)
      for (const row of section.rows)
        for (const field of ['minMs', 'medianMs', 'maxMs']) expect(typeof row[field]).toBe('number')
      expect(section.units).toMatchObject({ minMs: 'ms', medianMs: 'ms', maxMs: 'ms' })
    }
    expect(file.suites.find((s) => s.suite === 'ipc')!.unmeasured).toEqual([
      expect.objectContaining({ mode: 'shm-polling', status: 'not installed', detail: 'npm i shm-typed-array' }),
      expect.objectContaining({ mode: 'shm-polling (one pair)', scenario: 'pair', status: 'not installed' }),
    ])
  })

  it('keeps, for every ipc round-trip row, what decided each of its runs: placement, load before, during and after, wait engines', () => {
    const ipc = parseResults(text(fixtureFile()), 'x.json').suites.find((s) => s.suite === 'ipc')!
    const timed = ipc.rows.filter((r) => ['pair', 'idle', 'load'].includes(r.scenario as string))
    expect(timed.length).toBeGreaterThan(0)
    for (const row of timed) {
      expect((row.conditions as unknown[]).length, row.mode).toBe(
        row.runMediansUs ? (row.runMediansUs as number[]).length : row.runs,
      )
      for (const run of row.conditions as Record<string, unknown>[]) {
        expect(Object.keys(run)).toEqual(
          expect.arrayContaining([
            'sameCpuShare',
            'samples',
            'othersRunnableMean',
            'loadAvgBefore',
            'loadAvgAfter',
            'runnableBefore',
            'runnableAfter',
          ]),
        )
      }
    }
    const engines = (transport: string) =>
      (ipc.rows.find((r) => r.mode === transport)!.conditions as { parentEngine?: string; peerEngine?: string }[])[0]
    expect(engines('channel-async')).toMatchObject({ parentEngine: 'io_uring', peerEngine: 'io_uring' })
    expect(engines('channel-async-thread')).toMatchObject({ parentEngine: 'thread', peerEngine: 'thread' })
    expect(engines('process-json')).not.toHaveProperty('parentEngine')
  })

  it('names the unit of every numeric field the suites write', () => {
    for (const section of fixtureFile().suites) expect(unitsOf(section.rows).unknown, section.suite).toEqual([])
    expect(unitsOf([{ medianMs: 1, fancyNewField: 2, label: 'x' }])).toEqual({
      units: { medianMs: 'ms' },
      unknown: ['fancyNewField'],
    })
  })

  it('reads back what it wrote', () => {
    const file = fixtureFile()
    expect(parseResults(text(file), 'x.json')).toEqual(JSON.parse(text(file)))
  })

  it('names rows by mode and case, the same across runs', () => {
    const [zeroing, , , , ipc] = fixtureFile().suites
    expect(rowKey(zeroing!.rows[1]!)).toBe('mmap-memset1 @ 100 MiB')
    expect(rowKey(ipc!.rows[0]!)).toBe('spin (one pair) @ 64 B')
    expect(rowKey(ipc!.rows.find((r) => r.scenario === 'idle')!)).toBe('channel @ 64 B')
  })

  it('refuses what is not a results file, with the reason', () => {
    expectRefused('{"format": ', /^x\.json is not JSON/)
    expectRefused('[{"suite": "zeroing"}]', /bare list of rows, written by mman bench before results format 1/)
    expectRefused('{"rows": []}', /not an mman bench results file/)
    expectRefused(
      edited((f) => (f.version = 2)),
      /results format version 2; this mman reads version 1/,
    )
    expectRefused(
      edited((f) => delete f.machine),
      /machine is not an object/,
    )
    expectRefused(
      edited((f) => (f.suites[0].rows[0].medianMs = 'fast')),
      /suites\[0\]\.rows\[0\]\.medianMs is not a number/,
    )
    expectRefused(
      edited((f) => (f.suites[0].rows[0].minMs = 1e9)),
      /suites\[0\]\.rows\[0\] has minMs .* out of order/,
    )
    expectRefused(
      edited((f) => f.suites[0].rows.push(f.suites[0].rows[0])),
      /suites\[0\] has two rows named 'malloc-memset0 @ 100 MiB'/,
    )
    expectRefused(
      edited((f) => (f.suites[1].rows[0].suite = 'zeroing')),
      /suites\[1\]\.rows\[0\]\.suite is not 'file'/,
    )
    expectRefused(
      edited((f) => (f.suites[4].unmeasured[0].status = 'missing')),
      /status is neither 'not installed' nor 'failed'/,
    )
  })
})

describe('compare', () => {
  it("gives, per row, B's median over A's and a verdict from both spreads", () => {
    const a = fixtureFile()
    const b = fixtureFile({ zeroingScale: 0.5, node: 'v24.1.0' })
    const comparison = compareResults(a, b, 'a.json', 'b.json')
    const zeroing = comparison.suites.find((s) => s.suite === 'zeroing')!
    const row = zeroing.rows.find((r) => r.key === 'mmap-memset1 @ 100 MiB')!
    expect(row).toMatchObject({ ratio: 0.5, verdict: 'faster', text: '2.00× faster' })
    const file = comparison.suites.find((s) => s.suite === 'file')!
    expect(file.rows.every((r) => r.verdict === 'within noise' && r.ratio === 1)).toBe(true)
    expect(comparison.counts.faster).toBe(zeroing.rows.length)
    expect(comparison.b.machine).toContain('Node v24.1.0')
  })

  it('shows rows one side could not measure, with the reason', () => {
    const b = JSON.parse(text(fixtureFile())) as ResultsFile
    const ipc = b.suites.find((s) => s.suite === 'ipc')!
    ipc.rows = ipc.rows.filter((r) => r.mode !== 'worker')
    ipc.unmeasured.push({ suite: 'ipc', mode: 'worker', label: 'worker postMessage', status: 'failed', detail: 'boom' })
    const comparison = compareResults(fixtureFile(), b, 'a.json', 'b.json')
    const rows = comparison.suites.find((s) => s.suite === 'ipc')!.rows
    expect(rows.find((r) => r.key === 'worker @ 64 B')).toMatchObject({ bMissing: 'not in B' })
    expect(rows.find((r) => r.key === 'worker @ 64 B')!.verdict).toBeUndefined()
    expect(rows.find((r) => r.key === 'worker')).toMatchObject({ aMissing: 'not in A', bMissing: 'failed: boom' })
    expect(rows.find((r) => r.key === 'shm-polling')).toMatchObject({
      aMissing: 'not installed: npm i shm-typed-array',
    })
    const compared = markdown(comparisonBlocks(comparison))
    expect(compared).toContain('| worker postMessage, 64 B | 35.0 µs [33.3 µs–36.8 µs] | not in B | – | – |')
    expect(compared).toMatch(/B is faster in 0 rows, slower in 0, within noise in \d+\./)
  })

  it('refuses a quick run against a full one, and runs with nothing in common', () => {
    expect(() => compareResults(fixtureFile({ quick: true }), fixtureFile(), 'q.json', 'f.json')).toThrow(
      /q\.json is a --quick smoke run and f\.json a full run/,
    )
    const onlyLoop = { ...fixtureFile(), suites: fixtureFile().suites.filter((s) => s.suite === 'loop') }
    const onlyIpc = { ...fixtureFile(), suites: fixtureFile().suites.filter((s) => s.suite === 'ipc') }
    expect(() => compareResults(onlyLoop, onlyIpc, 'a.json', 'b.json')).toThrow(
      /a\.json \(suites: loop\) and b\.json \(suites: ipc\) have no suite in common/,
    )
  })
})

describe('HTML report', () => {
  const file = fixtureFile({ quick: true })
  const presentations = new Map<string, Presentation>(file.suites.map((s) => [s.suite, presentSection(s)!]))
  const html = htmlReport(file, presentations)

  it('is one self-contained page: no script, no outside resource', () => {
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html).not.toMatch(/<script|<link|<img|src=|url\(/i)
    expect(html).not.toMatch(/href="(?!#)/)
  })

  it('names the machine: CPU, kernel, THP mode, Node and mman versions', () => {
    for (const fact of [
      '2 × Test CPU',
      'Linux 6.18.0-test (x64)',
      'enabled: madvise, shmem: never',
      'v20.20.2',
      '0.1.0',
      'A quick smoke run',
    ])
      expect(html).toContain(fact)
  })

  it('has every suite with its chart inline, its tables and its conclusions', () => {
    for (const section of file.suites) {
      const start = html.indexOf(`<section id="${section.suite}">`)
      expect(start, section.suite).toBeGreaterThan(0)
      const body = html.slice(start, html.indexOf('</section>', start))
      expect(body).toContain('<svg xmlns=')
      expect(body).toContain('<table>')
      expect(body).toContain(
        section.conclusions[0]!.replace(/&/g, '&amp;')
          .replace(/</g, '&lt;')
          .replace(/>/g, '&gt;')
          .replace(/"/g, '&quot;'),
      )
    }
  })

  it('writes each block as its element: headings, right-aligned number columns, lists, code and strong spans, escaping, charts inline', () => {
    const blocks = [
      heading(2, 'A <b>'),
      table(['x', 'n'], [['a', 1]]),
      list([[{ strong: 'one' }, ' ', { code: 'two' }], 'three']),
      paragraph('p & q'),
      chart('<svg xmlns="x"></svg>\n'),
    ]
    expect(blocksHtml(blocks)).toBe(
      '<h2>A &lt;b&gt;</h2>\n<table>\n<thead><tr><th>x</th><th class="num">n</th></tr></thead>\n<tbody><tr><td>a</td><td class="num">1</td></tr></tbody>\n</table>\n' +
        '<ul>\n<li><strong>one</strong> <code>two</code></li>\n<li>three</li>\n</ul>\n<p>p &amp; q</p>\n<figure>\n<svg xmlns="x"></svg>\n</figure>',
    )
  })
})
