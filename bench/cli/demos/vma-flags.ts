// Seed 003's VMA flags, watched change in /proc/self/smaps: MADV_SEQUENTIAL
// sets VM_SEQ_READ (sr), MADV_RANDOM VM_RAND_READ (rr), MADV_DONTFORK
// VM_DONTCOPY (dc) and a forked child then lacks the range, MAP_SHARED shows
// VM_SHARED (sh), and mprotect flips VM_READ/WRITE/EXEC (rd wr ex) page by
// page, splitting the VMA.
import type { Demo, DemoOutput } from './types.js'
import { hex } from './types.js'
import { mappedAfterFork, type ForkedChildView } from './fork-probe.js'
import { MADV, MAP, PROT, VM_FLAG_NAMES, map, mapAnonymous, pageSize, type Mapping, type SmapsVma } from 'mman'

// The seed's names for the flags it lists, by their smaps code.
const SEED_NAMES: Record<string, string> = {
  rd: 'VM_READ',
  wr: 'VM_WRITE',
  ex: 'VM_EXEC',
  sh: 'VM_SHARED',
  io: 'VM_IO',
  dc: 'VM_DONTCOPY',
  sr: 'VM_SEQ_READ',
  rr: 'VM_RAND_READ',
}

interface Step {
  step: string
  vmas: { range: string; perms: string; flags: string[] }[]
  /** Codes every VMA of the mapping has, and those only some have. */
  flags: string[]
  partialFlags: string[]
  added: string[]
  removed: string[]
  child?: ForkedChildView
}

const PAGES = 4

function explain(code: string): string {
  const seed = SEED_NAMES[code]
  return `${code} (${seed ? `${seed}: ` : ''}${VM_FLAG_NAMES[code] ?? "not in mman's table"})`
}

function vmaLine(vma: SmapsVma): { range: string; perms: string; flags: string[] } {
  return { range: `${hex(vma.start)}-${hex(vma.end)}`, perms: vma.perms, flags: vma.flags?.codes ?? [] }
}

function run(): DemoOutput {
  // A PROT_NONE page on each side keeps neighbouring VMAs from merging into ours.
  const guard = map((PAGES + 2) * pageSize, PROT.NONE, MAP.PRIVATE | MAP.ANONYMOUS | MAP.NORESERVE, -1)
  const mapping = map(
    PAGES * pageSize,
    PROT.READ | PROT.WRITE,
    MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED,
    -1,
    0,
    guard.address + BigInt(pageSize),
  )
  const address = mapping.address
  const shared = mapAnonymous(pageSize, { shared: true })
  const text = [`A ${PAGES}-page private anonymous mapping at ${hex(address)}, between PROT_NONE guard pages.`, '']
  const steps: Step[] = []
  let before: string[] = []

  const show = (step: string, of: Mapping = mapping, forkCheck = false) => {
    const stats = of.stats()
    const everywhere = stats.flags?.codes ?? []
    const partial = stats.partialFlags?.codes ?? []
    const all = [...everywhere, ...partial]
    const record: Step = {
      step,
      vmas: stats.byVma.map(vmaLine),
      flags: everywhere,
      partialFlags: partial,
      added: all.filter((code) => !before.includes(code)),
      removed: before.filter((code) => !all.includes(code)),
    }
    if (forkCheck) record.child = mappedAfterFork(of.address, of.length)
    steps.push(record)
    before = all
    text.push(`${step}: ${stats.vmas} VMA${stats.vmas === 1 ? '' : 's'}`)
    for (const vma of record.vmas) text.push(`    ${vma.range} ${vma.perms}  VmFlags: ${vma.flags.join(' ')}`)
    if (partial.length > 0) text.push(`    on some of its VMAs only: ${partial.join(' ')}`)
    if (steps.length > 1) {
      for (const code of record.added) text.push(`    + ${explain(code)}`)
      for (const code of record.removed) text.push(`    - ${explain(code)}`)
    }
    if (record.child)
      text.push(`    a child forked now finds ${record.child.mapped} of its ${record.child.pages} pages mapped`)
  }

  try {
    show('mapped', mapping, true)
    mapping.advise(MADV.SEQUENTIAL)
    show('madvise(MADV_SEQUENTIAL)')
    mapping.advise(MADV.RANDOM)
    show('madvise(MADV_RANDOM)')
    mapping.advise(MADV.NORMAL)
    show('madvise(MADV_NORMAL)')
    mapping.advise(MADV.DONTFORK)
    show('madvise(MADV_DONTFORK)', mapping, true)
    mapping.advise(MADV.DOFORK)
    show('madvise(MADV_DOFORK)', mapping, true)
    mapping.protect(PROT.READ, { offset: pageSize, length: pageSize })
    mapping.protect(PROT.READ | PROT.EXEC, { offset: 2 * pageSize, length: pageSize })
    mapping.protect(PROT.NONE, { offset: 3 * pageSize, length: pageSize })
    show('mprotect(page 1 PROT_READ, page 2 PROT_READ|PROT_EXEC, page 3 PROT_NONE)')
    mapping.protect(PROT.READ | PROT.WRITE)
    show('mprotect(all pages, PROT_READ|PROT_WRITE)')
    text.push('', `A 1-page MAP_SHARED anonymous mapping at ${hex(shared.address)}, compared with the private one:`)
    show('mmap(MAP_SHARED | MAP_ANONYMOUS)', shared, true)
  } finally {
    shared.unmap()
    guard.unmap()
  }
  return { text, data: { address: hex(address), pages: PAGES, steps } }
}

export const vmaFlags: Demo = {
  summary:
    'VmFlags as madvise, mprotect and MAP_SHARED change them (sr rr dc sh rd/wr/ex); a forked child lacks a MADV_DONTFORK range',
  run,
}
