// VmFlags as stats() reports them, each transition the seed's VMA flags name:
// madvise sets sr / rr / dc, MAP_SHARED shows sh, mprotect flips rd/wr/ex and
// splits the VMA. Parsing is checked on text, flags on the live kernel.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  MADV,
  MAP,
  PROT,
  VM_FLAG_NAMES,
  map,
  mapAnonymous,
  pageSize,
  parseSmaps,
  smaps,
  smapsStats,
  vmFlags,
  type Mapping,
} from '../lib/index.js'
import { mappedAfterFork } from '../bench/cli/demos/fork-probe.js'
import { repoRoot, thrown } from './helpers.js'

const SMAPS_TEXT = `7f0000000000-7f0000002000 rw-p 00000000 00:00 0 
Size:                  8 kB
Rss:                   4 kB
Private_Dirty:         4 kB
THPeligible:           0
VmFlags: rd wr mr mw me zq ac 
7f0000002000-7f0000003000 r--s 00001000 08:01 42                         /data/file
Size:                  4 kB
Rss:                   0 kB
`

describe('parseSmaps()', () => {
  const [anonymous, file] = parseSmaps(SMAPS_TEXT)

  it('reads each VMA with its sizes in bytes', () => {
    expect(anonymous).toMatchObject({ start: 0x7f0000000000n, end: 0x7f0000002000n, perms: 'rw-p', path: '' })
    expect(anonymous!.sizes).toEqual({ Size: 8192, Rss: 4096, Private_Dirty: 4096 })
    expect(file).toMatchObject({ perms: 'r--s', offset: 0x1000n, path: '/data/file', sizes: { Size: 4096, Rss: 0 } })
  })

  it('keeps a code it has no name for, in the kernel order, named by itself', () => {
    expect(anonymous!.flags!.codes).toEqual(['rd', 'wr', 'mr', 'mw', 'me', 'zq', 'ac'])
    expect(anonymous!.flags!.names).toEqual([
      'readable',
      'writable',
      'may read',
      'may write',
      'may execute',
      'zq',
      'area is accountable',
    ])
  })

  it('leaves flags undefined for a VMA without a VmFlags line (kernels before 3.8)', () => {
    expect(file!.flags).toBeUndefined()
  })

  it("reads another process's smaps by pid, as this one's", () => {
    const own = smaps(process.pid)
    expect(own.length).toBeGreaterThan(10)
    expect(own.some((vma) => vma.path === '[stack]' && vma.flags?.codes.includes('gd'))).toBe(true)
  })

  it('ignores text before the first VMA and returns nothing for empty text', () => {
    expect(parseSmaps('VmFlags: rd\n')).toEqual([])
    expect(parseSmaps('')).toEqual([])
  })
})

describe('vmFlags() and VM_FLAG_NAMES', () => {
  it("names the seed's flags as proc(5) does", () => {
    expect(vmFlags(['rd', 'wr', 'ex', 'sh', 'dc', 'sr', 'rr', 'io']).names).toEqual([
      'readable',
      'writable',
      'executable',
      'shared',
      'do not copy area on fork',
      'sequential read advise provided',
      'random read advise provided',
      'memory mapped I/O area',
    ])
  })

  it('knows every code proc.rst lists today, and only two-letter codes', () => {
    const documented =
      'rd wr ex sh mr mw me ms gd pf lo io sr rr dc de ac nr ht sf ar wf dd sd mm hg nh mg bt mt um uw ui ur ss sl lf dp gu'
    for (const code of documented.split(' ')) expect(VM_FLAG_NAMES[code], code).toBeTypeOf('string')
    for (const code of Object.keys(VM_FLAG_NAMES)) expect(code).toMatch(/^[a-z]{2}$/)
  })

  it("reads this kernel's VmFlags for every VMA of this process, readable and writable ones among them", () => {
    const vmas = smaps()
    expect(vmas.length).toBeGreaterThan(10)
    for (const vma of vmas) {
      expect(vma.flags, vma.path).toBeDefined()
      for (const code of vma.flags!.codes) expect(code).toMatch(/^[a-z]{2}$/)
    }
    expect(vmas.some((vma) => vma.perms.startsWith('rw') && vma.flags!.codes.includes('wr'))).toBe(true)
  })

  it('does not take a prototype key for a name', () => {
    expect(vmFlags(['constructor', 'toString']).names).toEqual(['constructor', 'toString'])
  })
})

/** A private read-write mapping between PROT_NONE guards, so no neighbour merges into its VMA. */
function guarded(pages: number, flags = MAP.PRIVATE): { mapping: Mapping; guard: Mapping } {
  const guard = map((pages + 2) * pageSize, PROT.NONE, MAP.PRIVATE | MAP.ANONYMOUS | MAP.NORESERVE, -1)
  const mapping = map(
    pages * pageSize,
    PROT.READ | PROT.WRITE,
    flags | MAP.ANONYMOUS | MAP.FIXED,
    -1,
    0,
    guard.address + BigInt(pageSize),
  )
  return { mapping, guard }
}

const codes = (mapping: Mapping) => mapping.stats().flags!.codes

/** The VmFlags line of the VMA starting at `start`, read from smaps as text, not through the parser under test. */
function rawVmFlags(start: bigint): string[] {
  const lines = readFileSync('/proc/self/smaps', 'utf8').split('\n')
  const header = lines.findIndex((line) => line.startsWith(`${start.toString(16)}-`))
  const flags = lines.slice(header + 1).find((line) => line.startsWith('VmFlags:'))
  return flags!.slice('VmFlags:'.length).trim().split(/\s+/)
}

// VM_SEQ_READ / VM_RAND_READ are kernel hints that a kernel may stop printing;
// the sr/rr checks run where this one prints them (Linux 6.18 does).
const readAdviceShown = (() => {
  const { mapping, guard } = guarded(1)
  mapping.advise(MADV.SEQUENTIAL)
  const shown = rawVmFlags(mapping.address).includes('sr')
  guard.unmap()
  return shown
})()

describe('Mapping.stats() flags', () => {
  it('a fresh private anonymous mapping: rd wr, none of sh sr rr dc ex', () => {
    const { mapping, guard } = guarded(4)
    const stats = mapping.stats()
    expect(stats.vmas).toBe(1)
    expect(stats.flags!.codes).toEqual(expect.arrayContaining(['rd', 'wr', 'mr', 'mw']))
    for (const absent of ['sh', 'ms', 'sr', 'rr', 'dc', 'ex']) expect(stats.flags!.codes).not.toContain(absent)
    expect(stats.partialFlags!.codes).toEqual([])
    expect(stats.byVma).toHaveLength(1)
    expect(stats.byVma[0]!.flags).toEqual(stats.flags)
    guard.unmap()
  })

  it('reports exactly the codes the kernel printed, in its order', () => {
    const { mapping, guard } = guarded(2)
    mapping.advise(MADV.DONTFORK)
    expect(codes(mapping)).toEqual(rawVmFlags(mapping.address))
    guard.unmap()
  })

  it.runIf(readAdviceShown)('MADV_SEQUENTIAL sets sr, MADV_RANDOM swaps it for rr, MADV_NORMAL clears both', () => {
    const { mapping, guard } = guarded(4)
    mapping.advise(MADV.SEQUENTIAL)
    expect(codes(mapping)).toContain('sr')
    expect(codes(mapping)).not.toContain('rr')
    mapping.advise(MADV.RANDOM)
    expect(codes(mapping)).toContain('rr')
    expect(codes(mapping)).not.toContain('sr')
    mapping.advise(MADV.NORMAL)
    expect(codes(mapping)).not.toContain('rr')
    expect(codes(mapping)).not.toContain('sr')
    guard.unmap()
  })

  it('MADV_DONTFORK sets dc and a forked child no longer has the range; MADV_DOFORK undoes both', () => {
    const { mapping, guard } = guarded(2)
    expect(mappedAfterFork(mapping.address, mapping.length)).toEqual({ pages: 2, mapped: 2 })
    mapping.advise(MADV.DONTFORK)
    expect(codes(mapping)).toContain('dc')
    expect(mapping.stats().flags!.names).toContain('do not copy area on fork')
    expect(mappedAfterFork(mapping.address, mapping.length)).toEqual({ pages: 2, mapped: 0 })
    // The guard pages around it are still inherited.
    expect(mappedAfterFork(guard.address, guard.length)).toEqual({ pages: 4, mapped: 2 })
    mapping.advise(MADV.DOFORK)
    expect(codes(mapping)).not.toContain('dc')
    expect(mappedAfterFork(mapping.address, mapping.length)).toEqual({ pages: 2, mapped: 2 })
    guard.unmap()
  })

  it('advice on part of a mapping splits it: the flag is partial, each VMA says where', () => {
    const { mapping, guard } = guarded(4)
    mapping.advise(MADV.DONTFORK, { offset: 2 * pageSize, length: 2 * pageSize })
    const stats = mapping.stats()
    expect(stats.vmas).toBe(2)
    expect(stats.flags!.codes).not.toContain('dc')
    expect(stats.partialFlags!.codes).toEqual(['dc'])
    expect(stats.byVma.map((vma) => vma.flags!.codes.includes('dc'))).toEqual([false, true])
    expect(stats.byVma[1]!.start).toBe(mapping.address + BigInt(2 * pageSize))
    expect(mappedAfterFork(mapping.address, mapping.length)).toEqual({ pages: 4, mapped: 2 })
    guard.unmap()
  })

  it('MAP_SHARED shows sh and ms; MAP_PRIVATE shows neither', () => {
    const shared = mapAnonymous(pageSize, { shared: true })
    expect(codes(shared)).toEqual(expect.arrayContaining(['sh', 'ms']))
    expect(mappedAfterFork(shared.address, shared.length).mapped).toBe(1)
    shared.unmap()
    const { mapping, guard } = guarded(1)
    expect(codes(mapping)).not.toContain('sh')
    expect(codes(mapping)).not.toContain('ms')
    guard.unmap()
  })

  it('mprotect flips rd/wr/ex per page and splits the VMA; restoring merges it', () => {
    const { mapping, guard } = guarded(4)
    mapping.protect(PROT.READ, { offset: pageSize, length: pageSize })
    mapping.protect(PROT.READ | PROT.EXEC, { offset: 2 * pageSize, length: pageSize })
    mapping.protect(PROT.NONE, { offset: 3 * pageSize, length: pageSize })
    const stats = mapping.stats()
    expect(stats.byVma.map((vma) => vma.perms)).toEqual(['rw-p', 'r--p', 'r-xp', '---p'])
    const access = stats.byVma.map((vma) => vma.flags!.codes.filter((code) => ['rd', 'wr', 'ex'].includes(code)))
    expect(access).toEqual([['rd', 'wr'], ['rd'], ['rd', 'ex'], []])
    expect(stats.flags!.codes).not.toContain('rd')
    expect(stats.partialFlags!.codes).toEqual(expect.arrayContaining(['rd', 'wr', 'ex']))
    expect(stats.flags!.codes).toEqual(expect.arrayContaining(['mr', 'mw', 'me']))
    mapping.protect(PROT.READ | PROT.WRITE)
    expect(mapping.stats().vmas).toBe(1)
    expect(codes(mapping)).toEqual(expect.arrayContaining(['rd', 'wr']))
    expect(codes(mapping)).not.toContain('ex')
    guard.unmap()
  })
})

describe('mappedAfterFork()', () => {
  it('widens the range to whole pages and counts what is not mapped at all as 0', () => {
    const { mapping, guard } = guarded(2)
    expect(mappedAfterFork(mapping.address + 1n, pageSize)).toEqual({ pages: 2, mapped: 2 })
    expect(mappedAfterFork(mapping.address + BigInt(pageSize) - 1n, 2)).toEqual({ pages: 2, mapped: 2 })
    guard.unmap()
    expect(mappedAfterFork(0n, 3 * pageSize)).toEqual({ pages: 3, mapped: 0 })
    expect(mappedAfterFork(2n ** 64n - BigInt(pageSize), pageSize)).toEqual({ pages: 1, mapped: 0 })
  })
})

describe('bad arguments', () => {
  it.each([
    ['vmFlags(string)', () => vmFlags('rd' as never), 'ERR_INVALID_ARG_TYPE'],
    ['vmFlags([number])', () => vmFlags([1] as never), 'ERR_INVALID_ARG_TYPE'],
    ['parseSmaps(number)', () => parseSmaps(1 as never), 'ERR_INVALID_ARG_TYPE'],
    ['smaps(path)', () => smaps('../1' as never), 'ERR_INVALID_ARG_TYPE'],
    ['smaps(0)', () => smaps(0), 'ERR_OUT_OF_RANGE'],
    ['smapsStats(string)', () => smapsStats('0' as never, 1n), 'ERR_INVALID_ARG_TYPE'],
    ['smapsStats(negative)', () => smapsStats(0n, -1n), 'ERR_OUT_OF_RANGE'],
  ])('%s', (_label, call, code) => {
    expect(thrown(call).code).toBe(code)
  })
})

describe('mman demo vma-flags', () => {
  interface Step {
    step: string
    vmas: { perms: string; flags: string[] }[]
    flags: string[]
    partialFlags: string[]
    added: string[]
    removed: string[]
    child?: { pages: number; mapped: number }
  }

  it('shows each transition: sr, rr, dc with the child losing the range, the mprotect split, sh', () => {
    const child = spawnSync(
      process.execPath,
      [join(repoRoot, 'dist/bench/cli/index.js'), 'demo', 'vma-flags', '--json'],
      { encoding: 'utf8' },
    )
    expect(child.stderr).toBe('')
    expect(child.status).toBe(0)
    const steps = (JSON.parse(child.stdout) as { steps: Step[] }).steps
    const [mapped, sequential, random, normal, dontfork, dofork, split, merged, shared] = steps
    expect(steps).toHaveLength(9)
    expect(mapped!.child).toEqual({ pages: 4, mapped: 4 })
    expect(mapped!.flags).toEqual(expect.arrayContaining(['rd', 'wr']))
    if (readAdviceShown) {
      expect(sequential).toMatchObject({ step: 'madvise(MADV_SEQUENTIAL)', added: ['sr'], removed: [] })
      expect(random).toMatchObject({ added: ['rr'], removed: ['sr'] })
      expect(normal).toMatchObject({ added: [], removed: ['rr'] })
    }
    expect(dontfork).toMatchObject({ added: ['dc'], removed: [], child: { pages: 4, mapped: 0 } })
    expect(dofork).toMatchObject({ added: [], removed: ['dc'], child: { pages: 4, mapped: 4 } })
    expect(split!.vmas.map((vma) => vma.perms)).toEqual(['rw-p', 'r--p', 'r-xp', '---p'])
    expect(split!.vmas[2]!.flags).toEqual(expect.arrayContaining(['rd', 'ex']))
    expect(split!.vmas[3]!.flags).not.toEqual(expect.arrayContaining(['rd']))
    expect(split!.partialFlags).toEqual(expect.arrayContaining(['rd', 'wr', 'ex']))
    expect(merged!.vmas).toHaveLength(1)
    expect(merged!.removed).toEqual(['ex'])
    expect(shared!.vmas[0]!.perms).toBe('rw-s')
    expect(shared!.added).toEqual(expect.arrayContaining(['sh', 'ms']))
    expect(shared!.child).toEqual({ pages: 1, mapped: 1 })
  })
})
