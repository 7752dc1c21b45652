// Seed 002: "different page protections means new vma" — mprotect on part of
// a mapping splits its VMA, and restoring the protection merges it back.
// Seed 003's find_vma() question, "which VMA holds address x?", is asked of
// the middle page at each step, and of the first byte past the mapping.
import type { DemoOutput, Demo } from './types.js'
import { hex } from './types.js'
import { MAP, PROT, map, pageSize, vmaAt, type Mapping, type Vma } from 'mman'

const range = (vma: Vma) => `${hex(vma.start)}-${hex(vma.end)} ${vma.perms}`

function describeVmas(mapping: Mapping): { count: number; lines: string[] } {
  const vmas = mapping.vmas()
  return { count: vmas.length, lines: vmas.map((v) => `    ${range(v)} (${Number(v.end - v.start) / pageSize} pages)`) }
}

function lookup(address: bigint): { address: string; vma: string | null; line: string } {
  const vma = vmaAt(address)
  const found = vma === undefined ? null : range(vma)
  return { address: hex(address), vma: found, line: `    vmaAt(${hex(address)}) -> ${found ?? 'nothing mapped'}` }
}

function run(): DemoOutput {
  // A PROT_NONE page on each side keeps neighbouring VMAs from merging into ours.
  const guard = map(5 * pageSize, PROT.NONE, MAP.PRIVATE | MAP.ANONYMOUS | MAP.NORESERVE, -1)
  const mapping = map(
    3 * pageSize,
    PROT.READ | PROT.WRITE,
    MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED,
    -1,
    0,
    guard.address + BigInt(pageSize),
  )
  const middle = mapping.address + BigInt(pageSize)
  const text = [`A 3-page read-write mapping at ${hex(mapping.address)}, between two PROT_NONE guard pages.`]
  const steps: { step: string; vmas: number; middlePageVma: string | null }[] = []
  const show = (step: string) => {
    const { count, lines } = describeVmas(mapping)
    const middleLookup = lookup(middle)
    steps.push({ step, vmas: count, middlePageVma: middleLookup.vma })
    text.push(`${step}: ${count} VMA${count === 1 ? '' : 's'}`, ...lines, middleLookup.line)
  }
  show('mapped')
  const cases: [string, number][] = [
    ['middle', 1],
    ['first', 0],
    ['last', 2],
  ]
  for (const [name, page] of cases) {
    mapping.protect(PROT.READ, { offset: page * pageSize, length: pageSize })
    show(`mprotect(${name} page, PROT_READ)`)
    mapping.protect(PROT.READ | PROT.WRITE, { offset: page * pageSize, length: pageSize })
    show(`mprotect(${name} page, PROT_READ|PROT_WRITE)`)
  }
  const pastEnd = lookup(mapping.address + BigInt(3 * pageSize))
  text.push('The first byte past the mapping is in the guard page:', pastEnd.line)
  guard.unmap()
  return { text, data: { steps, pastEnd: { address: pastEnd.address, vma: pastEnd.vma } } }
}

export const vmaSplit: Demo = {
  summary: 'mprotect splits a VMA in 3 (or 2), and restoring merges it back; vmaAt() finds the VMA of an address',
  run,
}
