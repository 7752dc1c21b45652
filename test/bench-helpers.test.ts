// The pieces of bench/ that compute and format results (the suites themselves
// run in CI's smoke run, never as tests).
import { describe, expect, it } from 'vitest'
import { chart, heading, list, paragraph, table } from '../bench/report/blocks.js'
import { duration, fmt } from '../bench/report/format.js'
import { markdown } from '../bench/report/markdown.js'
import { batchMedians, median, pairedRatio, seededRandom, summarize } from '../bench/suites/stats.js'
import { countByte } from '../bench/suites/file/trial.js'
import { zeroingTrial } from '../bench/suites/zeroing/trial.js'
import { runChild, sanitized } from './helpers.js'

describe('stats', () => {
  it('summarizes with min, median (even and odd counts) and max', () => {
    expect(summarize([3, 1, 2])).toEqual({ min: 1, median: 2, max: 3 })
    expect(median([4, 1, 3, 2])).toBe(2.5)
  })

  it('pairs ratios by repetition, so a slow moment hits both sides', () => {
    expect(pairedRatio([2, 20, 4], [1, 10, 4])).toEqual({ min: 1, median: 2, max: 2 })
  })

  it('summarizes the medians of consecutive batches, fewer batches for short series', () => {
    const values = [1, 1, 1, 1, 1, 9, 9, 9, 9, 9, 5, 5, 5, 5, 5]
    expect(batchMedians(values, 3)).toEqual({ min: 1, median: 5, max: 9, count: 3 })
    expect(batchMedians([1, 2, 3], 10)).toEqual({ min: 2, median: 2, max: 2, count: 1 })
  })

  it('draws the same offsets from the same seed', () => {
    const a = seededRandom(7)
    const b = seededRandom(7)
    const draws = Array.from({ length: 5 }, () => a())
    expect(draws).toEqual(Array.from({ length: 5 }, () => b()))
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true)
  })
})

describe('report', () => {
  it('formats numbers to about three significant digits', () => {
    expect(fmt(1234.5)).toBe('1235')
    expect(fmt(0.012345)).toBe('0.0123')
    expect(fmt(undefined)).toBe('–')
  })

  it('writes blocks as markdown: one blank line between them, tables with figures right-aligned, no chart', () => {
    const blocks = [
      heading(2, 'T'),
      paragraph([{ strong: 'bold' }, ' and ', { code: 'a|b' }]),
      table(['a', 'b'], [[1, 'x|y']]),
      chart('<svg/>'),
      list(['one', 'two']),
    ]
    expect(markdown(blocks)).toBe(
      '## T\n\n**bold** and `a|b`\n\n| a | b |\n|---|---:|\n| 1 | x\\|y |\n\n- one\n- two\n',
    )
    expect(markdown([table(['a', 'b'], [], true)])).toBe('| a | b |\n|---|---|\n')
  })

  it('writes times in the unit that suits them', () => {
    expect([duration(0.00289), duration(65.9), duration(1200), duration(0.0000021)]).toEqual([
      '2.89 µs',
      '65.9 ms',
      '1.20 s',
      '2.10 ns',
    ])
  })
})

describe('trial kernels', () => {
  it('counts a byte value the way every file method does', () => {
    expect(countByte(Buffer.from('a\nb\n\nc'), 0x0a)).toBe(3)
  })

  it('takes one fault per page for mmap + memset and for malloc + memset', () => {
    const bytes = 4 * 1024 * 1024
    const b = zeroingTrial('mmap-memset1', bytes)
    expect(b.minorFaults).toBeGreaterThanOrEqual(bytes / 4096)
    const a = zeroingTrial('malloc-memset0', bytes)
    expect(a.minorFaults).toBeGreaterThanOrEqual(bytes / 4096)
    const js = zeroingTrial('js-mmap-fill1', bytes)
    expect(js.minorFaults).toBeGreaterThanOrEqual(bytes / 4096)
    expect(() => zeroingTrial('no-such-mode', bytes)).toThrow(/EINVAL/)
  })

  it.skipIf(sanitized)(
    "sees glibc's malloc serve a large block with mmap, and raise its threshold after freeing one",
    () => {
      // Above the threshold's 32 MiB ceiling: always mmap. A page: always the heap.
      expect(zeroingTrial('malloc-memset0', 64 * 1024 * 1024).mallocUsedMmap).toBe(true)
      expect(zeroingTrial('malloc-memset0', 4096).mallocUsedMmap).toBe(false)
      // In a fresh process the first 4 MiB block is mmapped; freeing it raises the
      // threshold, so the second comes from the heap, and the third reuses the
      // pages the heap kept: no faults at all.
      const child = runChild(`
      import { zeroingTrial } from './dist/bench/suites/zeroing/trial.js'
      const [first, second, third] = [1, 2, 3].map(() => zeroingTrial('malloc-memset0', 4 << 20))
      console.log(first.mallocUsedMmap, second.mallocUsedMmap, third.mallocUsedMmap, third.minorFaults < first.minorFaults / 10)
    `)
      expect(child.stdout).toBe('true false false true\n')
    },
  )
})
