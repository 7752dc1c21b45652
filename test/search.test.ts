// Mapping.indexOf() / lastIndexOf(): Python's find()/rfind() over a mapping of
// any size, searched in windows (Buffer's own indexOf() answers wrong past 2 GiB).
import { spawnSync } from 'node:child_process'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { mapAnonymous } from '../lib/index.js'
import { indexOfIn, lastIndexOfIn, SEARCH_STRIDE } from '../lib/search.js'
import { thrown } from './helpers.js'

const GiB = 2 ** 30

/** Python's bytes.find/rfind, one position at a time: what the windows must agree with. */
function naive(haystack: Uint8Array, needle: Uint8Array, start: number, end: number, last: boolean): number {
  const at = (i: number) => needle.every((byte, j) => haystack[i + j] === byte)
  if (start > end) return -1
  const positions = []
  for (let i = start; i + needle.length <= end; i++) if (at(i)) positions.push(i)
  if (positions.length === 0) return -1
  return last ? positions[positions.length - 1]! : positions[0]!
}

describe('searching in windows', () => {
  it('finds what a byte-by-byte search finds, for any stride, needle and range (property)', () => {
    const mapping = mapAnonymous(4096)
    const bytes = mapping.bytes()
    const windowAt = (offset: number, length: number) => Buffer.from(mapping.buffer, offset, length)
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 200 }).map((a) => a.map((b) => b % 3)),
        fc.uint8Array({ minLength: 0, maxLength: 5 }).map((a) => a.map((b) => b % 3)),
        fc.nat(210),
        fc.nat(210),
        fc.integer({ min: 1, max: 24 }),
        (haystack, needle, a, b, stride) => {
          bytes.fill(9)
          bytes.set(haystack)
          const start = Math.min(a, haystack.length)
          const end = Math.min(b, haystack.length)
          expect(indexOfIn(windowAt, needle, start, end, stride)).toBe(naive(haystack, needle, start, end, false))
          expect(lastIndexOfIn(windowAt, needle, start, end, stride)).toBe(naive(haystack, needle, start, end, true))
        },
      ),
      { numRuns: 3000 },
    )
    mapping.unmap()
  })

  it('never asks for a window of 2^31 bytes or more (Buffer answers int32 positions)', () => {
    const lengths: number[] = []
    const windowAt = (_offset: number, length: number) => {
      lengths.push(length)
      return Buffer.alloc(0)
    }
    const needle = new Uint8Array(GiB)
    indexOfIn(windowAt, needle, 0, 9 * GiB)
    lastIndexOfIn(windowAt, needle, 0, 9 * GiB)
    expect(lengths.length).toBeGreaterThan(10)
    expect(Math.max(...lengths)).toBeLessThan(2 ** 31)
  })
})

describe('Mapping.indexOf() and lastIndexOf()', () => {
  it('follow Python find()/rfind() and take what Buffer.indexOf() takes', () => {
    const mapping = mapAnonymous(4096)
    mapping.bytes().set(Buffer.from('abcabc\u00e9'))
    expect(mapping.indexOf('bc')).toBe(1)
    expect(mapping.indexOf('bc', 2)).toBe(4)
    expect(mapping.indexOf('bc', 2, 5)).toBe(-1) // must lie wholly inside [start, end)
    expect(mapping.indexOf('bc', 2, 6)).toBe(4)
    expect(mapping.lastIndexOf('bc')).toBe(4)
    expect(mapping.lastIndexOf('bc', 0, 5)).toBe(1)
    expect(mapping.indexOf('\u00e9')).toBe(6) // a string is its UTF-8 bytes
    expect(mapping.indexOf(0x63)).toBe(2) // a number is one byte
    expect(mapping.indexOf(Uint8Array.of(0x61, 0x62), 1)).toBe(3)
    expect(mapping.indexOf(new DataView(Uint8Array.of(0, 0, 0x63).buffer, 2))).toBe(2)
    expect(mapping.indexOf(Uint8Array.of(0x61).buffer)).toBe(0)
    expect(mapping.indexOf('c', -4093)).toBe(5) // negative: from the end
    expect(mapping.indexOf('a', 0, -4093)).toBe(0)
    expect(mapping.indexOf('')).toBe(0)
    expect(mapping.indexOf('', 7)).toBe(7)
    expect(mapping.lastIndexOf('')).toBe(4096)
    expect(mapping.indexOf('a', 5, 2)).toBe(-1)
    expect(mapping.indexOf('zz')).toBe(-1)
    mapping.unmap()
  })

  // What CPython 3's mmap.find()/rfind() answer for these (run on a 10-byte
  // mmap holding b'abcabcabca'): out-of-range bounds are clamped, not refused.
  // Before: ERR_OUT_OF_RANGE for every bound beyond -length..length.
  it('clamp start and end to the mapping as Python does', () => {
    const mapping = mapAnonymous(10)
    mapping.bytes().set(Buffer.from('abcabcabca'))
    const python: [string, number, number | undefined, number, number][] = [
      ['', 2, 1, -1, -1],
      ['', 5, 5, 5, 5],
      ['', 20, 30, 10, 10],
      ['', -100, -50, 0, 0],
      ['a', -3, undefined, 9, 9],
      ['a', 100, undefined, -1, -1],
      ['bc', -100, 100, 1, 7],
      ['', 11, 12, 10, 10],
      ['a', 0, -1, 0, 6],
      ['ca', -2, undefined, 8, 8],
      ['a', -(2 ** 53) + 1, 2 ** 53 - 1, 0, 9],
    ]
    for (const [needle, start, end, find, rfind] of python) {
      expect([needle, start, end, mapping.indexOf(needle, start, end)]).toEqual([needle, start, end, find])
      expect([needle, start, end, mapping.lastIndexOf(needle, start, end)]).toEqual([needle, start, end, rfind])
    }
    mapping.unmap()
  })

  const python = spawnSync(
    'python3',
    [
      '-c',
      `
import json, mmap
data = b'one two ones'
m = mmap.mmap(-1, len(data))
m.write(data)
bounds = range(-len(data) - 3, len(data) + 3)
print(json.dumps([[p.decode(), i, j, m.find(p, i, j), m.rfind(p, i, j)]
                  for i in bounds for j in bounds for p in [b'o', b'on', b'two', b'ones', b's', b'']]))
`,
    ],
    { encoding: 'utf8' },
  )
  it.runIf(python.status === 0)(
    "answer what CPython's mmap.find()/rfind() answer for every start and end around the mapping",
    () => {
      const mapping = mapAnonymous(12)
      mapping.bytes().set(Buffer.from('one two ones'))
      const cases = JSON.parse(python.stdout) as [string, number, number, number, number][]
      const answers = cases.map(([needle, start, end]) => [
        needle,
        start,
        end,
        mapping.indexOf(needle, start, end),
        mapping.lastIndexOf(needle, start, end),
      ])
      expect(answers).toEqual(cases)
      mapping.unmap()
    },
  )

  it('refuse what they cannot search, with codes', () => {
    const mapping = mapAnonymous(4096)
    const longNeedle = mapAnonymous(GiB + 1, { noReserve: true })
    expect(thrown(() => mapping.indexOf({} as never)).code).toBe('ERR_INVALID_ARG_TYPE')
    expect(thrown(() => mapping.indexOf(256)).code).toBe('ERR_OUT_OF_RANGE')
    expect(thrown(() => mapping.indexOf(1.5)).code).toBe('ERR_OUT_OF_RANGE')
    expect(thrown(() => mapping.indexOf('a', Number.NaN)).code).toBe('ERR_OUT_OF_RANGE')
    expect(thrown(() => mapping.indexOf('a', 2 ** 53)).code).toBe('ERR_OUT_OF_RANGE')
    expect(thrown(() => mapping.indexOf('a', 0, -Infinity)).code).toBe('ERR_OUT_OF_RANGE')
    expect(thrown(() => mapping.indexOf('a', '1' as never)).code).toBe('ERR_INVALID_ARG_TYPE')
    expect(thrown(() => mapping.indexOf(longNeedle.bytes(0, GiB + 1))).code).toBe('ERR_OUT_OF_RANGE')
    longNeedle.unmap()
    mapping.unmap()
    expect(thrown(() => mapping.indexOf('a')).code).toBe('ERR_INVALID_STATE')
  })

  // 3 GiB: one buffer on every line (Buffer.indexOf() on it says -2147483643
  // for a match at 2^31 + 5). 5.5 GiB: windows on Node 20, one buffer from 22.
  describe.each([3 * GiB, 5.5 * GiB])('in %d bytes of memory', (length) => {
    const needle = 'mman-needle'
    const places = [
      5,
      SEARCH_STRIDE - 4, // across the first windows' border
      2 * SEARCH_STRIDE - needle.length, // ends on a border
      2 * SEARCH_STRIDE, // starts on it
      2 ** 31 + 100, // where Buffer's indexOf() answers a negative number
      3 * SEARCH_STRIDE - 1,
      4 * GiB - 3, // across 4 GiB
      4 * GiB + 100,
      length - needle.length, // at the very end
    ].filter((at) => at + needle.length <= length)

    it('indexOf() and lastIndexOf() find every needle at its offset, and honour [start, end)', () => {
      const mapping = mapAnonymous(length, { noReserve: true })
      for (const at of places) mapping.bytes(at, needle.length).set(Buffer.from(needle))
      const forward = []
      for (let at = mapping.indexOf(needle); at !== -1; at = mapping.indexOf(needle, at + 1)) forward.push(at)
      expect(forward).toEqual(places)
      const backward = []
      for (let at = mapping.lastIndexOf(needle); at !== -1; at = mapping.lastIndexOf(needle, 0, at + needle.length - 1))
        backward.push(at)
      expect(backward).toEqual([...places].reverse())

      const past2GiB = 2 ** 31 + 100
      expect(mapping.indexOf(needle, 2 ** 31 + 1, past2GiB + needle.length)).toBe(past2GiB)
      expect(mapping.indexOf(needle, 2 ** 31 + 1, past2GiB + needle.length - 1)).toBe(-1)
      expect(mapping.lastIndexOf(needle, 2 ** 31 + 1, past2GiB + needle.length)).toBe(past2GiB)
      expect(mapping.indexOf(0x6d, 2 ** 31 + needle.length)).toBe(past2GiB) // one byte: 'm'
      expect(mapping.lastIndexOf(needle, -length, -1)).toBe(places[places.length - 2])
      mapping.unmap()
    })
  })
})
