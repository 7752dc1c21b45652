// Transparent huge pages: MADV_HUGEPAGE asks for 2 MiB pages; smaps shows
// them as AnonHugePages, and one fault maps 512 small pages' worth.
import { readFileSync } from 'node:fs'
import type { Demo, DemoOutput } from './types.js'
import { mapAnonymous } from 'mman'

const MiB = 1024 * 1024

function thpMode(): string | undefined {
  try {
    return /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1]
  } catch {
    return undefined
  }
}

function fill(hugePages: boolean): { anonHugeKiB: number; minorFaults: number; ms: number } {
  const mapping = mapAnonymous(16 * MiB, { hugePages })
  const faults = process.resourceUsage().minorPageFault
  const start = process.hrtime.bigint()
  mapping.bytes().fill(1)
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  const result = {
    anonHugeKiB: mapping.stats().anonHugePages / 1024,
    minorFaults: process.resourceUsage().minorPageFault - faults,
    ms,
  }
  mapping.unmap()
  return result
}

function run(): DemoOutput {
  const mode = thpMode()
  if (mode === undefined || mode === 'never') {
    return {
      text: [
        `Transparent huge pages are unavailable here (${mode === undefined ? 'no /sys/kernel/mm/transparent_hugepage' : 'enabled = never'}): MADV_HUGEPAGE has no effect.`,
      ],
      data: { thp: mode ?? 'unavailable', available: false },
    }
  }
  const small = fill(false)
  const huge = fill(true)
  return {
    text: [
      `THP mode: ${mode}${mode === 'madvise' ? ' (only regions that ask with MADV_HUGEPAGE get huge pages)' : ''}`,
      `16 MiB without MADV_HUGEPAGE: AnonHugePages ${small.anonHugeKiB} KiB, ${small.minorFaults} minor faults, ${small.ms.toFixed(2)} ms to fill`,
      `16 MiB with MADV_HUGEPAGE:    AnonHugePages ${huge.anonHugeKiB} KiB, ${huge.minorFaults} minor faults, ${huge.ms.toFixed(2)} ms to fill`,
      huge.anonHugeKiB > 0
        ? 'Each huge-page fault maps 2 MiB at once: far fewer faults for the same bytes.'
        : 'The kernel had no free huge pages to give this time (fragmented memory); the advice is only a request.',
    ],
    data: { thp: mode, available: true, withoutAdvice: small, withAdvice: huge },
  }
}

export const hugepages: Demo = {
  summary: 'MADV_HUGEPAGE and AnonHugePages in smaps (says so when THP is unavailable)',
  run,
}
