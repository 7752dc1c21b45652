// `mman info [--json]`: what this machine offers the toolkit: page size, huge pages, limits, constants.
import { readFileSync } from 'node:fs'
import { release } from 'node:os'
import { constants as bufferConstants } from 'node:buffer'
import { MADV, MAP, PROT, pageSize } from 'mman'
import { NO_OPERANDS, type Args } from '../args.js'
import type { Command } from '../command.js'
import { selectedMode } from '../../report/machine.js'

const OPTIONS = { json: { type: 'boolean', help: 'the same as one JSON object' } } as const

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
    thp: {
      enabled: thp === null ? null : selectedMode(thp),
      shmem: thpShmem === null ? null : selectedMode(thpShmem),
      enabledLine: thp,
      shmemLine: thpShmem,
    },
    hugetlbPages: numberOrNull(read('/proc/sys/vm/nr_hugepages')),
    mmapMinAddr: numberOrNull(read('/proc/sys/vm/mmap_min_addr')),
    maxMapCount: numberOrNull(read('/proc/sys/vm/max_map_count')),
    populateAdvice: MADV.POPULATE_READ !== undefined,
    PROT,
    MAP,
  }
}

function run({ values }: Args<typeof OPTIONS>): number {
  const f = facts()
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(f, null, 2)}\n`)
    return 0
  }
  const or = (value: string | number | boolean | null) => (value === null ? 'unavailable' : String(value))
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

export const info: Command<typeof OPTIONS> = {
  line: {
    summary: 'page size, huge page modes and limits of this machine',
    options: OPTIONS,
    operands: NO_OPERANDS,
    about:
      'Prints the kernel, Node, page size, largest view, transparent huge page modes,\n' +
      'hugetlb pages, mmap limits and the PROT/MAP constants from the C headers.',
  },
  run,
}
