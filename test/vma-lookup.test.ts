// vmaAt(): the kernel's "is anything mapped at address x?" (find_vma), with
// VMAs' half-open bounds: the last byte is inside, the byte at `end` is not.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { PROT, maps, pageSize, smaps, vmaAt } from '../lib/index.js'
import { fencedMapping, repoRoot, thrown } from './helpers.js'

describe('vmaAt()', () => {
  it("finds a mapping's VMA from its first byte, a byte inside and its last byte", () => {
    const { guard, mapping } = fencedMapping(3)
    const start = mapping.address
    const end = start + BigInt(3 * pageSize)
    for (const address of [start, start + 4097n, end - 1n]) {
      expect(vmaAt(address)).toMatchObject({ start, end, perms: 'rw-p' })
    }
    // The first byte after it belongs to the next VMA: the PROT_NONE guard page.
    expect(vmaAt(end)).toMatchObject({ start: end, perms: '---p' })
    expect(vmaAt(Number(start))).toMatchObject({ start, end })
    guard.unmap()
  })

  it('follows a split: each page of a mapping split by mprotect is found in its own VMA', () => {
    const { guard, mapping } = fencedMapping(3)
    mapping.protect(PROT.READ, { offset: pageSize, length: pageSize })
    const middle = mapping.address + BigInt(pageSize)
    expect(vmaAt(middle)).toMatchObject({ start: middle, end: middle + BigInt(pageSize), perms: 'r--p' })
    expect(vmaAt(middle - 1n)).toMatchObject({ end: middle, perms: 'rw-p' })
    expect(vmaAt(middle + BigInt(pageSize))).toMatchObject({ start: middle + BigInt(pageSize), perms: 'rw-p' })
    guard.unmap()
  })

  it('answers undefined for an unmapped gap, on both of its edges, and for page 0', () => {
    const snapshot = maps()
    const index = snapshot.findIndex((vma, i) => i + 1 < snapshot.length && vma.end < snapshot[i + 1]!.start)
    expect(index).toBeGreaterThanOrEqual(0)
    const before = snapshot[index]!
    const after = snapshot[index + 1]!
    expect(vmaAt(before.end - 1n, snapshot)).toBe(before)
    expect(vmaAt(before.end, snapshot)).toBeUndefined()
    expect(vmaAt(after.start - 1n, snapshot)).toBeUndefined()
    expect(vmaAt(after.start, snapshot)).toBe(after)
    // vm.mmap_min_addr keeps the lowest page unmapped in every process.
    expect(vmaAt(0n)).toBeUndefined()
    expect(vmaAt(2n ** 64n - 1n, [])).toBeUndefined()
  })

  it('returns the entry of the list it is given: from smaps(), with its flags', () => {
    const { guard, mapping } = fencedMapping(1)
    const vma = vmaAt(mapping.address, smaps())
    expect(vma?.flags?.codes).toEqual(expect.arrayContaining(['rd', 'wr']))
    expect(vma?.sizes.Size).toBe(pageSize)
    guard.unmap()
  })

  it.each([
    ['a string', () => vmaAt('0x1000' as never), 'ERR_INVALID_ARG_TYPE'],
    ['null', () => vmaAt(null as never), 'ERR_INVALID_ARG_TYPE'],
    ['a negative number', () => vmaAt(-1), 'ERR_OUT_OF_RANGE'],
    ['a fraction', () => vmaAt(4096.5), 'ERR_OUT_OF_RANGE'],
    ['a bigint of 2^64', () => vmaAt(2n ** 64n), 'ERR_OUT_OF_RANGE'],
    ['a negative bigint', () => vmaAt(-1n), 'ERR_OUT_OF_RANGE'],
    ['vmas not an array', () => vmaAt(0n, 'maps' as never), 'ERR_INVALID_ARG_TYPE'],
    ['vmas holding a non-VMA', () => vmaAt(0n, [{ start: 0, end: 1 }] as never), 'ERR_INVALID_ARG_VALUE'],
    ['vmas holding null', () => vmaAt(0n, [null] as never), 'ERR_INVALID_ARG_VALUE'],
  ])('rejects %s', (_label, call, code) => {
    expect(thrown(call).code).toBe(code)
  })
})

describe('mman demo vma-split', () => {
  it('asks vmaAt() for the middle page at each step: its own VMA only while it alone is read-only', () => {
    const child = spawnSync(
      process.execPath,
      [join(repoRoot, 'dist/bench/cli/index.js'), 'demo', 'vma-split', '--json'],
      { encoding: 'utf8' },
    )
    expect(child.stderr).toBe('')
    const { steps, pastEnd } = JSON.parse(child.stdout) as {
      steps: { middlePageVma: string }[]
      pastEnd: { vma: string }
    }
    const pages = (vma: string) => {
      const [start, end] = vma
        .split(' ')[0]!
        .split('-')
        .map((hex) => BigInt(hex))
      return Number(end! - start!) / pageSize
    }
    expect(steps.map((step) => [step.middlePageVma.split(' ')[1], pages(step.middlePageVma)])).toEqual([
      ['rw-p', 3],
      ['r--p', 1],
      ['rw-p', 3],
      ['rw-p', 2],
      ['rw-p', 3],
      ['rw-p', 2],
      ['rw-p', 3],
    ])
    expect(pastEnd.vma).toMatch(/ ---p$/)
  })
})
