// `mman info [--json]`: what this machine offers the toolkit: page size, huge pages, limits, constants.
import { readFileSync } from 'node:fs'
import { release } from 'node:os'
import { constants as bufferConstants } from 'node:buffer'
import { MADV, MAP, PROT, pageSize } from 'mman'
import { UsageError } from '../args.js'
import { selectedMode } from '../../report/machine.js'

export const infoUsage = `Usage: mman info [--json]

Prints the kernel, Node, page size, largest view, transparent huge page modes,
hugetlb pages, mmap limits and the PROT/MAP constants from the C headers.
  --json   the same as one JSON object
`

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch {
    return null
  }
}

const numberOrNull = (text: string | null) => (text === null ? null : Number(text))

function facts() {
  const thp = read('/sys/kernel/mm/transparent_hugepage/enabled')
  const thpShmem = read('/sys/kernel/mm/transparent_hugepage/shmem_enabled')
  return {
    kernel: release(),
    arch: process.arch,
    node: process.version,
    napi: Number(process.versions.napi),
    pageSize,
    largestViewBytes: bufferConstants.MAX_LENGTH,
    thp: { enabled: thp === null ? null : selectedMode(thp), shmem: thpShmem === null ? null : selectedMode(thpShmem), enabledLine: thp, shmemLine: thpShmem },
    hugetlbPages: numberOrNull(read('/proc/sys/vm/nr_hugepages')),
    mmapMinAddr: numberOrNull(read('/proc/sys/vm/mmap_min_addr')),
    maxMapCount: numberOrNull(read('/proc/sys/vm/max_map_count')),
    populateAdvice: MADV.POPULATE_READ !== undefined,
    PROT,
    MAP,
  }
}

export function info(argv: string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(infoUsage)
    return 0
  }
  const unknown = argv.find((arg) => arg !== '--json')
  if (unknown !== undefined) throw new UsageError(`unknown argument '${unknown}'`, infoUsage)
  const f = facts()
  if (argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(f, null, 2)}\n`)
    return 0
  }
  const or = (value: unknown) => (value === null ? 'unavailable' : String(value))
  const lines = [
    `kernel            ${f.kernel} (${f.arch})`,
    `node              ${f.node}, N-API ${f.napi}`,
    `page size         ${f.pageSize} bytes`,
    `largest view      ${f.largestViewBytes} bytes (buffer.constants.MAX_LENGTH; Mapping.window() reaches past it)`,
    `THP enabled       ${or(f.thp.enabledLine)}`,
    `THP shmem         ${or(f.thp.shmemLine)}`,
    `hugetlb pages     ${or(f.hugetlbPages)} reserved`,
    `mmap_min_addr     ${or(f.mmapMinAddr)}`,
    `max_map_count     ${or(f.maxMapCount)}`,
    `populate advice   ${f.populateAdvice ? 'MADV_POPULATE_READ/WRITE' : 'no (Linux < 5.14 headers)'}`,
    `PROT              ${JSON.stringify(PROT)}`,
    `MAP               ${JSON.stringify(MAP)}`,
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  return 0
}
