// What machine and which versions a set of figures comes from: written into
// every results file and report, since absolute times mean little without it.
import { readFileSync } from 'node:fs'
import { arch, cpus, release, totalmem } from 'node:os'
import { pageSize } from 'mman'

export interface Machine {
  /** The CPU model string, as the kernel reports it. */
  cpu: string | null
  cpus: number
  memoryBytes: number
  kernel: string
  arch: string
  pageSize: number
  /** The selected mode of /sys/kernel/mm/transparent_hugepage/enabled (always, madvise, never), or null when unavailable. */
  thp: string | null
  thpShmem: string | null
  /** glibc's version: its malloc decides whether a large block is mmapped. */
  glibc: string | null
}

/** The mode in brackets of a sysfs choice line such as `always [madvise] never`. */
export function selectedMode(line: string): string | null {
  return /\[([^\]]+)\]/.exec(line)?.[1] ?? null
}

function sysfsMode(path: string): string | null {
  try {
    return selectedMode(readFileSync(path, 'utf8'))
  } catch {
    return null
  }
}

export function thisMachine(): Machine {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header
  return {
    cpu: cpus()[0]?.model.trim() || null,
    cpus: cpus().length,
    memoryBytes: totalmem(),
    kernel: release(),
    arch: arch(),
    pageSize,
    thp: sysfsMode('/sys/kernel/mm/transparent_hugepage/enabled'),
    thpShmem: sysfsMode('/sys/kernel/mm/transparent_hugepage/shmem_enabled'),
    glibc: header?.glibcVersionRuntime ?? null,
  }
}

/** One line that says what machine and versions the figures come from. */
export function machineLine(machine: Machine, node: string, mman: string): string {
  const gib = machine.memoryBytes / 2 ** 30
  return (
    `${machine.cpus} × ${machine.cpu ?? 'unknown CPU'}, ${gib >= 10 ? gib.toFixed(0) : gib.toFixed(1)} GiB, ` +
    `Linux ${machine.kernel} (${machine.arch}), THP ${machine.thp ?? 'unavailable'}, ` +
    `glibc ${machine.glibc ?? 'unknown'}, Node ${node}, mman ${mman}`
  )
}
