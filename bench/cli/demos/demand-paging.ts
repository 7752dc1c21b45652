// Seeds 000 and 002: mmap is lazy. Nothing is read or allocated until a page
// is touched; residency, RSS and minor faults grow only as pages are touched.
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Demo, DemoOutput } from './types.js'
import { MAP, PROT, map, mapFile, pageSize, type Mapping } from 'mman'

const MiB = 1024 * 1024

interface Sample {
  step: string
  residentPages: number
  rssKiB: number
  minorFaults: number
}

// Where reads go, so that the optimizer cannot drop them. Written, never read: the point.
// eslint-disable-next-line @typescript-eslint/no-unused-vars
let readSink = 0

/** Reads (file) or writes (anonymous: reading would only map the shared zero page) one byte per page; returns the faults taken. */
function touch(mapping: Mapping, bytes: number, write: boolean): number {
  const view = mapping.bytes(0, bytes)
  const faults = process.resourceUsage().minorPageFault
  let sum = 0
  for (let offset = 0; offset < bytes; offset += pageSize) {
    if (write) view[offset] = 1
    else sum += view[offset]!
  }
  readSink += sum
  return process.resourceUsage().minorPageFault - faults
}

function run(): DemoOutput {
  const size = 64 * MiB
  const dir = mkdtempSync(join(tmpdir(), 'mman-demand-'))
  try {
    // A sparse file: its pages are not in the page cache until something reads them.
    const path = join(dir, 'sparse.bin')
    const fd = openSync(path, 'w')
    ftruncateSync(fd, size)
    closeSync(fd)
    // PROT_NONE guard pages around the anonymous mapping keep the kernel from
    // merging a neighbour into its VMA, whose pages smaps would count too.
    const guard = map(size + 2 * pageSize, PROT.NONE, MAP.PRIVATE | MAP.ANONYMOUS | MAP.NORESERVE, -1)
    const anonymous = map(
      size,
      PROT.READ | PROT.WRITE,
      MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED,
      -1,
      0,
      guard.address + BigInt(pageSize),
    )
    const subjects: [string, Mapping, boolean][] = [
      ['file (64 MiB sparse, read-only), reading', mapFile(path), false],
      ['anonymous (64 MiB), writing', anonymous, true],
    ]
    const text: string[] = []
    const data: Record<string, Sample[]> = {}
    for (const [name, mapping, write] of subjects) {
      const samples: Sample[] = []
      // Faults taken by the touching itself (reading smaps for the samples faults too).
      let faults = 0
      const sample = (step: string) => {
        const residency = mapping.residency()
        samples.push({
          step,
          residentPages: residency.resident,
          rssKiB: mapping.stats().rss / 1024,
          minorFaults: faults,
        })
      }
      const verb = write ? 'write' : 'read'
      sample('mapped')
      faults += touch(mapping, 1 * MiB, write)
      sample(`${verb} the first 1 MiB, a byte per page`)
      faults += touch(mapping, 16 * MiB, write)
      sample(`${verb} the first 16 MiB`)
      faults += touch(mapping, size, write)
      sample(`${verb} all 64 MiB`)
      mapping.unmap()
      data[name] = samples
      text.push(`${name}: ${size / pageSize} pages of ${pageSize} bytes`)
      for (const s of samples) {
        text.push(
          `  ${s.step.padEnd(40)} resident ${String(s.residentPages).padStart(6)} pages   RSS ${String(s.rssKiB).padStart(6)} KiB   minor faults ${String(s.minorFaults).padStart(6)}`,
        )
      }
    }
    guard.unmap()
    text.push(
      'Only touched pages become resident: mapping reads nothing and allocates nothing by itself (demand paging).',
    )
    text.push(
      'File pages come in 16 at a time (fault-around), so reading a file mapping takes about one fault per 16 pages;',
    )
    text.push(
      'each first write to anonymous memory takes its own fault. (Reading anonymous memory would map the shared zero page: no RSS.)',
    )
    return { text, data }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export const demandPaging: Demo = { summary: 'residency, RSS and faults grow only as pages are touched', run }
