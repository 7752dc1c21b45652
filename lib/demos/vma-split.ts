// Seed 002: "different page protections means new vma" — mprotect on part of
// a mapping splits its VMA, and restoring the protection merges it back.
import { PROT, MAP, pageSize } from '../constants.js'
import { map, type Mapping } from '../mapping.js'
import type { DemoOutput, Demo } from './types.js'
import { hex } from './types.js'

function describeVmas(mapping: Mapping): { count: number; lines: string[] } {
  const vmas = mapping.vmas()
  return { count: vmas.length, lines: vmas.map((v) => `    ${hex(v.start)}-${hex(v.end)} ${v.perms} (${Number(v.end - v.start) / pageSize} pages)`) }
}

function run(): DemoOutput {
  // A PROT_NONE page on each side keeps neighbouring VMAs from merging into ours.
  const guard = map(5 * pageSize, PROT.NONE, MAP.PRIVATE | MAP.ANONYMOUS | MAP.NORESERVE, -1)
  const mapping = map(3 * pageSize, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED, -1, 0, guard.address + BigInt(pageSize))
  const text = [`A 3-page read-write mapping at ${hex(mapping.address)}, between two PROT_NONE guard pages.`]
  const steps: { step: string; vmas: number }[] = []
  const show = (step: string) => {
    const { count, lines } = describeVmas(mapping)
    steps.push({ step, vmas: count })
    text.push(`${step}: ${count} VMA${count === 1 ? '' : 's'}`, ...lines)
  }
  show('mapped')
  const cases: [string, number][] = [['middle', 1], ['first', 0], ['last', 2]]
  for (const [name, page] of cases) {
    mapping.protect(PROT.READ, { offset: page * pageSize, length: pageSize })
    show(`mprotect(${name} page, PROT_READ)`)
    mapping.protect(PROT.READ | PROT.WRITE, { offset: page * pageSize, length: pageSize })
    show(`mprotect(${name} page, PROT_READ|PROT_WRITE)`)
  }
  guard.unmap()
  return { text, data: { steps } }
}

export const vmaSplit: Demo = { summary: 'mprotect splits a VMA in 3 (or 2), and restoring merges it back', run }
