// What this machine offers the toolkit: page size, huge pages, limits, constants.
import { readFileSync } from 'node:fs'
import { release } from 'node:os'
import { constants as bufferConstants } from 'node:buffer'
import { MADV, MAP, PROT, pageSize } from '../../index.js'

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8').trim()
  } catch {
    return fallback
  }
}

export function info(): number {
  const lines = [
    `kernel            ${release()} (${process.arch})`,
    `node              ${process.version}, N-API ${process.versions.napi}`,
    `page size         ${pageSize} bytes`,
    `largest view      ${bufferConstants.MAX_LENGTH} bytes (buffer.constants.MAX_LENGTH; Mapping.window() reaches past it)`,
    `THP enabled       ${readOr('/sys/kernel/mm/transparent_hugepage/enabled', 'unavailable')}`,
    `THP shmem         ${readOr('/sys/kernel/mm/transparent_hugepage/shmem_enabled', 'unavailable')}`,
    `hugetlb pages     ${readOr('/proc/sys/vm/nr_hugepages', 'unavailable')} reserved`,
    `mmap_min_addr     ${readOr('/proc/sys/vm/mmap_min_addr', 'unavailable')}`,
    `max_map_count     ${readOr('/proc/sys/vm/max_map_count', 'unavailable')}`,
    `populate advice   ${MADV.POPULATE_READ === undefined ? 'no (Linux < 5.14 headers)' : 'MADV_POPULATE_READ/WRITE'}`,
    `PROT              ${JSON.stringify(PROT)}`,
    `MAP               ${JSON.stringify(MAP)}`,
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
  return 0
}
