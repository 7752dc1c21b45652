// What the kernel says about this process's memory: /proc/self/maps as VMAs,
// and /proc/self/smaps accounting for a range of addresses.
import { readFileSync } from 'node:fs'

/** One virtual memory area, as a line of /proc/<pid>/maps. */
export interface Vma {
  start: bigint
  end: bigint
  /** "rwxp" style: read, write, exec, and s (shared) or p (private). */
  perms: string
  offset: bigint
  /** Device "major:minor" of the mapped file (00:00 for anonymous memory). */
  dev: string
  inode: number
  /** File path, "[heap]", "[stack]", "[anon:...]" or "" for anonymous memory. */
  path: string
}

const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) (\S+) (\d+)\s*(.*)$/

/** Parses one line of /proc/<pid>/maps; undefined for a line that is not one. */
export function parseMapsLine(line: string): Vma | undefined {
  const match = MAPS_LINE.exec(line)
  if (match === null) return undefined
  const [, start, end, perms, offset, dev, inode, path] = match
  return {
    start: BigInt(`0x${start}`),
    end: BigInt(`0x${end}`),
    perms: perms!,
    offset: BigInt(`0x${offset}`),
    dev: dev!,
    inode: Number(inode),
    path: path!,
  }
}

/** The VMAs of this process (or of `pid`), in address order. */
export function maps(pid: number | 'self' = 'self'): Vma[] {
  return readFileSync(`/proc/${pid}/maps`, 'utf8')
    .split('\n')
    .map(parseMapsLine)
    .filter((vma): vma is Vma => vma !== undefined)
}

/** The VMAs that overlap [start, end). */
export function vmasIn(start: bigint, end: bigint, all: Vma[] = maps()): Vma[] {
  return all.filter((vma) => vma.start < end && start < vma.end)
}

/** Memory accounting of a range, summed over its VMAs from /proc/self/smaps, in bytes. */
export interface MemoryStats {
  size: number
  rss: number
  pss: number
  sharedClean: number
  sharedDirty: number
  privateClean: number
  privateDirty: number
  anonymous: number
  anonHugePages: number
  swap: number
  /** How many VMAs the range spans. */
  vmas: number
  /**
   * False when a VMA reaches outside the range: the kernel merged a
   * neighbouring mapping with the same flags into it, and its figures are in.
   */
  exact: boolean
}

const SMAPS_FIELDS: Record<string, Exclude<keyof MemoryStats, 'exact'>> = {
  Size: 'size',
  Rss: 'rss',
  Pss: 'pss',
  Shared_Clean: 'sharedClean',
  Shared_Dirty: 'sharedDirty',
  Private_Clean: 'privateClean',
  Private_Dirty: 'privateDirty',
  Anonymous: 'anonymous',
  AnonHugePages: 'anonHugePages',
  Swap: 'swap',
}

/**
 * smaps figures for the VMAs overlapping [start, end). A VMA that only
 * partly overlaps counts whole: the kernel reports per VMA, not per page.
 */
export function smapsStats(start: bigint, end: bigint): MemoryStats {
  const stats: MemoryStats = {
    size: 0, rss: 0, pss: 0, sharedClean: 0, sharedDirty: 0, privateClean: 0, privateDirty: 0,
    anonymous: 0, anonHugePages: 0, swap: 0, vmas: 0, exact: true,
  }
  let inRange = false
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const vma = parseMapsLine(line)
    if (vma !== undefined) {
      inRange = vma.start < end && start < vma.end
      if (inRange) {
        stats.vmas++
        if (vma.start < start || vma.end > end) stats.exact = false
      }
      continue
    }
    if (!inRange) continue
    const field = /^(\w+):\s+(\d+) kB$/.exec(line)
    const key = field ? SMAPS_FIELDS[field[1]!] : undefined
    if (key !== undefined) stats[key] += Number(field![2]) * 1024
  }
  return stats
}
