// What the kernel says about this process's memory: /proc/self/maps as VMAs,
// /proc/self/smaps as VMAs with their accounting and VmFlags, and the
// kernel's own question "which VMA holds address x?".
import { readFileSync } from 'node:fs'
import { invalidArgType, invalidArgValue } from './errors.js'
import { integer, address as validAddress } from './validate.js'
import { combineVmFlags, parseVmFlagsLine, type VmFlags } from './vm-flags.js'

/** One virtual memory area, as a line of /proc/<pid>/maps. */
export interface Vma {
  /** The first address of the area. */
  start: bigint
  /** The first address past the area: it holds [start, end). */
  end: bigint
  /** "rwxp" style: read, write, exec, and s (shared) or p (private). */
  perms: string
  /** Where in the mapped file the area starts (0 for anonymous memory). */
  offset: bigint
  /** Device "major:minor" of the mapped file (00:00 for anonymous memory). */
  dev: string
  /** Inode of the mapped file (0 for anonymous memory). */
  inode: number
  /** File path, "[heap]", "[stack]", "[anon:...]" or "" for anonymous memory. */
  path: string
}

const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) (\S+) (\d+)\s*(.*)$/

/**
 * Parses one line of /proc/<pid>/maps; undefined for a line that is not one.
 * @param line One line of the file, without its newline.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `line` is not a string.
 * @example
 * ```js
 * import { parseMapsLine } from 'mman'
 *
 * const vma = parseMapsLine('7f1c2a000000-7f1c2a021000 rw-p 00000000 00:00 0          [anon:buffers]')
 * console.log(vma.end - vma.start, vma.perms, vma.path, parseMapsLine('Rss: 4 kB'))
 * ```
 *
 * ```text
 * 135168n rw-p [anon:buffers] undefined
 * ```
 */
export function parseMapsLine(line: string): Vma | undefined {
  if (typeof line !== 'string') throw invalidArgType('line', 'of type string', line)
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

/** /proc/<pid>/<file> for 'self' or a process id. */
function procFile(pid: unknown, file: string): string {
  return `/proc/${pid === 'self' ? pid : integer(pid, 'pid', 1, 0x7fffffff)}/${file}`
}

/**
 * The VMAs of this process (or of `pid`), in address order.
 * @param pid A process id, or 'self' (the default) for this process.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `pid` is neither 'self' nor a number or bigint.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `pid` is below 1, fractional or above 2^31 - 1.
 * - {@link SyscallError} `ENOENT` (`open`): no process has that id (or /proc is not mounted).
 * - {@link SyscallError} `EACCES` (`open`): the process belongs to another user, or ptrace rules forbid reading its
 *   memory map.
 * @example
 * ```js
 * import { mapAnonymous, maps } from 'mman'
 *
 * const m = mapAnonymous(8192, { shared: true })
 * const vma = maps().find((each) => each.start === m.address)
 * console.log(vma.perms, vma.end - vma.start, vma.path)
 * ```
 *
 * ```text
 * rw-s 8192n /dev/zero (deleted)
 * ```
 */
export function maps(pid: number | 'self' = 'self'): Vma[] {
  return readFileSync(procFile(pid, 'maps'), 'utf8')
    .split('\n')
    .map(parseMapsLine)
    .filter((vma): vma is Vma => vma !== undefined)
}

/**
 * The VMAs that overlap [start, end).
 * @param start The first address of the range (a bigint, or a safe integer).
 * @param end The first address past the range.
 * @param all The VMAs to choose from (default: this process's, read now).
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `start` or `end` is not a bigint or a number, or `all` is not an array.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `start` or `end` is negative, fractional, or 2^64 or more.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: an element of `all` has no bigint `start` and `end`.
 * - {@link SyscallError} `ENOENT` (`open`): /proc is not mounted.
 * @example
 * ```js
 * import { mapAnonymous, vmasIn, PROT, pageSize } from 'mman'
 *
 * const m = mapAnonymous(3 * pageSize, { shared: true })
 * m.protect(PROT.READ, { offset: pageSize, length: pageSize })
 * console.log(vmasIn(m.address, m.address + BigInt(m.length)).map((vma) => vma.perms))
 * ```
 *
 * ```text
 * [ 'rw-s', 'r--s', 'rw-s' ]
 * ```
 */
export function vmasIn(start: bigint, end: bigint, all?: Vma[]): Vma[] {
  const from = validAddress(start, 'start')
  const to = validAddress(end, 'end')
  return (all === undefined ? maps() : vmaList(all, 'all')).filter((vma) => vma.start < to && from < vma.end)
}

/**
 * The VMA that holds `address`, or undefined when nothing is mapped there:
 * the kernel's find_vma() question (its `vma_lookup()`), asked of
 * /proc/self/maps. A VMA holds [start, end): its last byte is `end - 1n`, and
 * `end` is outside it. Only compares addresses; nothing at `address` is read.
 * @param address Any address (a bigint, or a safe integer).
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `address` is not a bigint or a number.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `address` is negative, fractional, or 2^64 or more.
 * - {@link SyscallError} `ENOENT` (`open`): /proc is not mounted.
 * @example
 * ```js
 * import { mapAnonymous, vmaAt } from 'mman'
 *
 * const m = mapAnonymous(8192, { shared: true })
 * const vma = vmaAt(m.address + 100n)
 * console.log(vma.start === m.address, vma.end - vma.start, vmaAt(0n))
 * ```
 *
 * ```text
 * true 8192n undefined
 * ```
 */
export function vmaAt(address: bigint | number): Vma | undefined
/**
 * The VMA of `vmas` (e.g. `maps(pid)` or `smaps()`) that holds `address`, or
 * undefined when none does; returns the element itself, with its extra fields.
 * @param address Any address (a bigint, or a safe integer).
 * @param vmas The VMAs to search.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `address` is not a bigint or a number, or `vmas` is not an array.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `address` is negative, fractional, or 2^64 or more.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: an element of `vmas` has no bigint `start` and `end`.
 * @example
 * ```js
 * import { mapAnonymous, smaps, vmaAt } from 'mman'
 *
 * const m = mapAnonymous(8192, { shared: true })
 * m.bytes()[0] = 1
 * const vma = vmaAt(m.address, smaps())
 * console.log(vma.sizes.Rss, vma.flags.codes.includes('sh'))
 * ```
 *
 * ```text
 * 4096 true
 * ```
 */
export function vmaAt<V extends Vma>(address: bigint | number, vmas: readonly V[]): V | undefined
export function vmaAt(address: bigint | number, vmas?: readonly Vma[]): Vma | undefined {
  const at = validAddress(address, 'address')
  const all = vmas === undefined ? maps() : vmaList(vmas)
  return all.find((vma) => vma.start <= at && at < vma.end)
}

function vmaList(vmas: unknown, name = 'vmas'): readonly Vma[] {
  if (!Array.isArray(vmas)) throw invalidArgType(name, 'an array of VMAs', vmas)
  for (const vma of vmas as unknown[]) {
    const { start, end } = (typeof vma === 'object' && vma !== null ? vma : {}) as Partial<Vma>
    if (typeof start !== 'bigint' || typeof end !== 'bigint') {
      throw invalidArgValue(name, vma, 'must hold VMAs with bigint start and end (as maps() returns them)')
    }
  }
  return vmas as readonly Vma[]
}

/** One VMA of /proc/<pid>/smaps: its maps line, its sizes, and its VmFlags. */
export interface SmapsVma extends Vma {
  /** Every "<Name>: <n> kB" line (Size, Rss, Pss, Private_Dirty, ...) in bytes, under its smaps name. */
  sizes: Record<string, number>
  /** The VmFlags line; undefined when the kernel printed none (before Linux 3.8). */
  flags: VmFlags | undefined
}

/**
 * Parses the text of /proc/<pid>/smaps into its VMAs, in order.
 * @param text The whole file.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `text` is not a string.
 * @example
 * ```js
 * import { parseSmaps } from 'mman'
 *
 * const [vma] = parseSmaps(`7f1c2a000000-7f1c2a002000 rw-s 00000000 00:01 42   /dev/zero (deleted)
 * Size:                  8 kB
 * Rss:                   4 kB
 * VmFlags: rd wr sh mr mw me ms
 * `)
 * console.log(vma.path, vma.sizes, vma.flags.names.slice(0, 3))
 * ```
 *
 * ```text
 * /dev/zero (deleted) { Size: 8192, Rss: 4096 } [ 'readable', 'writable', 'shared' ]
 * ```
 */
export function parseSmaps(text: string): SmapsVma[] {
  if (typeof text !== 'string') throw invalidArgType('text', 'of type string', text)
  const vmas: SmapsVma[] = []
  for (const line of text.split('\n')) {
    const vma = parseMapsLine(line)
    if (vma !== undefined) {
      vmas.push({ ...vma, sizes: {}, flags: undefined })
      continue
    }
    const current = vmas.at(-1)
    if (current === undefined) continue
    const size = /^(\w+):\s+(\d+) kB$/.exec(line)
    if (size !== null) current.sizes[size[1]!] = Number(size[2]) * 1024
    current.flags = parseVmFlagsLine(line) ?? current.flags
  }
  return vmas
}

/**
 * The VMAs of this process (or of `pid`) with sizes and VmFlags, from /proc/<pid>/smaps.
 * @param pid A process id, or 'self' (the default) for this process.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `pid` is neither 'self' nor a number or bigint.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `pid` is below 1, fractional or above 2^31 - 1.
 * - {@link SyscallError} `ENOENT` (`open`): no process has that id (or /proc is not mounted).
 * - {@link SyscallError} `EACCES` (`open`): the process belongs to another user, or ptrace rules forbid reading its
 *   memory map.
 * @example
 * ```js
 * import { mapAnonymous, smaps, pageSize } from 'mman'
 *
 * const m = mapAnonymous(4 * pageSize, { shared: true })
 * m.bytes(0, pageSize).fill(1)
 * const vma = smaps().find((each) => each.start === m.address)
 * console.log(vma.sizes.Size / pageSize, vma.sizes.Rss / pageSize, vma.flags.codes.slice(0, 3))
 * ```
 *
 * ```text
 * 4 1 [ 'rd', 'wr', 'sh' ]
 * ```
 */
export function smaps(pid: number | 'self' = 'self'): SmapsVma[] {
  return parseSmaps(readFileSync(procFile(pid, 'smaps'), 'utf8'))
}

/** Memory accounting of a range, summed over its VMAs from /proc/self/smaps, in bytes. */
export interface MemoryStats {
  /** Size: the virtual size of the VMAs. */
  size: number
  /** Rss: bytes resident in memory. */
  rss: number
  /** Pss: resident bytes, each shared page divided among the processes that map it. */
  pss: number
  /** Shared_Clean: resident pages other processes map too, unmodified. */
  sharedClean: number
  /** Shared_Dirty: resident pages other processes map too, modified. */
  sharedDirty: number
  /** Private_Clean: resident pages only this process maps, unmodified. */
  privateClean: number
  /** Private_Dirty: resident pages only this process maps, modified (copies made by copy-on-write count here). */
  privateDirty: number
  /** Anonymous: resident pages backed by no file (including copies of file pages). */
  anonymous: number
  /** AnonHugePages: anonymous memory in transparent huge pages. */
  anonHugePages: number
  /** Swap: bytes swapped out. */
  swap: number
  /** How many VMAs the range spans. */
  vmas: number
  /**
   * False when a VMA reaches outside the range: the kernel merged a
   * neighbouring mapping with the same flags into it, and its figures are in.
   */
  exact: boolean
  /**
   * VmFlags every VMA of the range has (`sr` after MADV_SEQUENTIAL, `dc`
   * after MADV_DONTFORK, `sh` for MAP_SHARED, ...); undefined when the kernel
   * prints no VmFlags.
   */
  flags: VmFlags | undefined
  /**
   * VmFlags only some of the VMAs have: after protect() made one page
   * read-only, `wr` is here rather than in `flags`. Empty for a single VMA.
   */
  partialFlags: VmFlags | undefined
  /** Each VMA of the range with its own sizes and VmFlags, in address order: nothing summed away. */
  byVma: SmapsVma[]
}

type SummedField = { [K in keyof MemoryStats]: MemoryStats[K] extends number ? K : never }[keyof MemoryStats]

const SMAPS_FIELDS: Record<string, Exclude<SummedField, 'vmas'>> = {
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
 * @param start The first address of the range.
 * @param end The first address past the range.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `start` or `end` is not a bigint or a number.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `start` or `end` is negative, fractional, or 2^64 or more.
 * - {@link SyscallError} `ENOENT` (`open`): /proc is not mounted.
 * @example
 * ```js
 * import { mapAnonymous, smapsStats, pageSize } from 'mman'
 *
 * const m = mapAnonymous(4 * pageSize, { shared: true })
 * m.bytes(0, 2 * pageSize).fill(1)
 * const stats = smapsStats(m.address, m.address + BigInt(m.length))
 * console.log(stats.rss / pageSize, stats.vmas, stats.exact)
 * ```
 *
 * ```text
 * 2 1 true
 * ```
 */
export function smapsStats(start: bigint, end: bigint): MemoryStats {
  const from = validAddress(start, 'start')
  const to = validAddress(end, 'end')
  const byVma = smaps().filter((vma) => vma.start < to && from < vma.end)
  const stats: MemoryStats = {
    size: 0,
    rss: 0,
    pss: 0,
    sharedClean: 0,
    sharedDirty: 0,
    privateClean: 0,
    privateDirty: 0,
    anonymous: 0,
    anonHugePages: 0,
    swap: 0,
    vmas: byVma.length,
    exact: byVma.every((vma) => vma.start >= from && vma.end <= to),
    flags: undefined,
    partialFlags: undefined,
    byVma,
  }
  for (const vma of byVma) {
    for (const [name, bytes] of Object.entries(vma.sizes)) {
      const key = SMAPS_FIELDS[name]
      if (key !== undefined) stats[key] += bytes
    }
  }
  const flags = byVma.map((vma) => vma.flags)
  if (flags.every((each) => each !== undefined)) {
    const { everywhere, somewhere } = combineVmFlags(flags)
    stats.flags = everywhere
    stats.partialFlags = somewhere
  }
  return stats
}
