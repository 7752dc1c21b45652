import { describe, expect, it } from 'vitest'
import { MAP, PROT, maps, map, parseMapsLine, pageSize } from '../lib/index.js'
import { mapFile } from '../lib/index.js'
import { fencedMapping } from './helpers.js'

describe('maps()', () => {
  it('parses /proc/self/maps into VMAs, including file paths and pseudo-paths', () => {
    const vmas = maps()
    expect(vmas.length).toBeGreaterThan(10)
    expect(vmas.some((v) => v.path === '[stack]')).toBe(true)
    expect(vmas.some((v) => v.path === process.execPath && v.perms.includes('x'))).toBe(true)
    for (let i = 1; i < vmas.length; i++) expect(vmas[i]!.start >= vmas[i - 1]!.end).toBe(true)
  })

  it('parses a line with and without a path, and rejects non-lines', () => {
    expect(parseMapsLine('7f00-7f10 r-xp 00001000 08:01 1234   /usr/lib/x.so')).toEqual({
      start: 0x7f00n,
      end: 0x7f10n,
      perms: 'r-xp',
      offset: 0x1000n,
      dev: '08:01',
      inode: 1234,
      path: '/usr/lib/x.so',
    })
    expect(parseMapsLine('1000-2000 rw-p 00000000 00:00 0 ')?.path).toBe('')
    expect(parseMapsLine('Rss:   4 kB')).toBeUndefined()
  })
})

describe('Mapping.vmas() and stats()', () => {
  it('shows one VMA, three after protecting the middle page, one again after restoring', () => {
    const { guard, mapping } = fencedMapping(3)
    expect(mapping.vmas().map((v) => v.perms)).toEqual(['rw-p'])
    mapping.protect(PROT.READ, { offset: pageSize, length: pageSize })
    expect(mapping.vmas().map((v) => v.perms)).toEqual(['rw-p', 'r--p', 'rw-p'])
    mapping.protect(PROT.READ | PROT.WRITE)
    expect(mapping.vmas()).toHaveLength(1)
    guard.unmap()
  })

  it('counts resident and dirty bytes from smaps as pages are written', () => {
    // PROT_NONE guards keep the kernel from merging a neighbour into our VMA.
    const { guard, mapping } = fencedMapping(8)
    expect(mapping.stats()).toMatchObject({ rss: 0, privateDirty: 0, anonymous: 0, exact: true })
    mapping.bytes(0, 3 * pageSize).fill(1)
    const stats = mapping.stats()
    expect(stats.rss).toBe(3 * pageSize)
    expect(stats.privateDirty).toBe(3 * pageSize)
    expect(stats.anonymous).toBe(3 * pageSize)
    expect(stats.size).toBe(8 * pageSize)
    guard.unmap()
  })

  it('says when a merged neighbour makes the figures inexact', () => {
    const guard = map(4 * pageSize, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1)
    const inner = map(
      pageSize,
      PROT.READ | PROT.WRITE,
      MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED,
      -1,
      0,
      guard.address + BigInt(pageSize),
    )
    const stats = inner.stats()
    expect(stats.exact).toBe(false)
    expect(stats.size).toBeGreaterThanOrEqual(4 * pageSize)
    guard.unmap()
  })

  it('shows a file mapping as shared clean pages with its path', () => {
    const mapping = mapFile('/etc/hostname')
    void mapping.bytes()[0]
    expect(mapping.vmas()[0]!.path).toBe('/etc/hostname')
    expect(mapping.stats().privateDirty).toBe(0)
    mapping.unmap()
  })
})
