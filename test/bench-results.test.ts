// The results file: what --json writes and what is read back.
import { describe, expect, it } from 'vitest'
import { parseResults, ResultsFileError, RESULTS_FORMAT, rowKey } from '../bench/results-file.js'
import { unitsOf } from '../bench/units.js'
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
    expect(file).toMatchObject({ format: RESULTS_FORMAT, version: 1, mman: '0.1.0', node: 'v20.20.2', machine: { cpu: 'Test CPU', thp: 'madvise' }, options: { quick: false } })
    expect(file.suites.map((s) => s.suite)).toEqual(['zeroing', 'file', 'overhead', 'loop', 'ipc'])
    for (const section of file.suites) {
      expect(section.rows.length).toBeGreaterThan(0)
      expect(section.conclusions.length).toBeGreaterThan(0)
      for (const row of section.rows) for (const field of ['minMs', 'medianMs', 'maxMs']) expect(typeof row[field]).toBe('number')
      expect(section.units).toMatchObject({ minMs: 'ms', medianMs: 'ms', maxMs: 'ms' })
    }
    expect(file.suites.find((s) => s.suite === 'ipc')!.unmeasured).toEqual([expect.objectContaining({ status: 'not installed', detail: 'npm i shm-typed-array' })])
  })

  it('names the unit of every numeric field the suites write', () => {
    for (const section of fixtureFile().suites) expect(unitsOf(section.rows).unknown, section.suite).toEqual([])
    expect(unitsOf([{ medianMs: 1, fancyNewField: 2, label: 'x' }])).toEqual({ units: { medianMs: 'ms' }, unknown: ['fancyNewField'] })
  })

  it('reads back what it wrote', () => {
    const file = fixtureFile()
    expect(parseResults(text(file), 'x.json')).toEqual(JSON.parse(text(file)))
  })

  it('names rows by mode and case, the same across runs', () => {
    const [zeroing, , , , ipc] = fixtureFile().suites
    expect(rowKey(zeroing!.rows[1]!)).toBe('mmap-memset1 @ 100 MiB')
    expect(rowKey(ipc!.rows[0]!)).toBe('channel @ 64 B')
  })

  it('refuses what is not a results file, with the reason', () => {
    expectRefused('{"format": ', /^x\.json is not JSON/)
    expectRefused('[{"suite": "zeroing"}]', /bare list of rows, written by mman bench before results format 1/)
    expectRefused('{"rows": []}', /not an mman bench results file/)
    expectRefused(edited((f) => (f.version = 2)), /results format version 2; this mman reads version 1/)
    expectRefused(edited((f) => delete f.machine), /machine is not an object/)
    expectRefused(edited((f) => (f.suites[0].rows[0].medianMs = 'fast')), /suites\[0\]\.rows\[0\]\.medianMs is not a number/)
    expectRefused(edited((f) => (f.suites[0].rows[0].minMs = 1e9)), /suites\[0\]\.rows\[0\] has minMs .* out of order/)
    expectRefused(edited((f) => f.suites[0].rows.push(f.suites[0].rows[0])), /suites\[0\] has two rows named 'malloc-memset0 @ 100 MiB'/)
    expectRefused(edited((f) => (f.suites[1].rows[0].suite = 'zeroing')), /suites\[1\]\.rows\[0\]\.suite is not 'file'/)
    expectRefused(edited((f) => (f.suites[4].unmeasured[0].status = 'missing')), /status is neither 'not installed' nor 'failed'/)
  })
})
