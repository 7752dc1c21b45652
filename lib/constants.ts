// Constants as the C headers define them on this machine (read by the addon
// at build time). A name the headers lack is absent, not guessed; names every
// Linux that Node 20 runs on has (4.18 and later) are typed as always present,
// and the addon does not build against headers that lack them.
import { native } from './native.js'

/** Memory protection bits for mmap/mprotect (`PROT_*`). */
export const PROT = Object.freeze(native.constants.PROT) as Readonly<{
  NONE: number
  READ: number
  WRITE: number
  EXEC: number
}>

/** Mapping flags for mmap (`MAP_*`). */
export const MAP = Object.freeze(native.constants.MAP) as Readonly<{
  SHARED: number
  PRIVATE: number
  SHARED_VALIDATE: number
  ANONYMOUS: number
  FIXED: number
  FIXED_NOREPLACE: number
  POPULATE: number
  NORESERVE: number
  HUGETLB: number
  HUGE_SHIFT: number
  HUGE_2MB: number
  HUGE_1GB: number
  LOCKED: number
  NONBLOCK: number
  STACK: number
  GROWSDOWN: number
  SYNC: number
  UNINITIALIZED?: number
  '32BIT'?: number
}>

/** Advice for madvise (`MADV_*`). */
export const MADV = Object.freeze(native.constants.MADV) as Readonly<{
  NORMAL: number
  RANDOM: number
  SEQUENTIAL: number
  WILLNEED: number
  DONTNEED: number
  FREE: number
  REMOVE: number
  DONTFORK: number
  DOFORK: number
  MERGEABLE: number
  UNMERGEABLE: number
  HUGEPAGE: number
  NOHUGEPAGE: number
  DONTDUMP: number
  DODUMP: number
  WIPEONFORK: number
  KEEPONFORK: number
  COLD?: number
  PAGEOUT?: number
  POPULATE_READ?: number
  POPULATE_WRITE?: number
  COLLAPSE?: number
}>

/** Flags for msync (`MS_*`). */
export const MS = Object.freeze(native.constants.MS) as Readonly<{ ASYNC: number; SYNC: number; INVALIDATE: number }>

/** Flags for memfd_create (`MFD_*`). */
export const MFD = Object.freeze(native.constants.MFD) as Readonly<{
  CLOEXEC: number
  ALLOW_SEALING: number
  HUGETLB: number
  NOEXEC_SEAL?: number
  EXEC?: number
}>

/** Flags for mlock2 / mlockall (`MLOCK_ONFAULT`, `MCL_*`). */
export const MLOCK = Object.freeze(native.constants.MLOCK) as Readonly<{
  ONFAULT: number
  CURRENT: number
  FUTURE: number
}>

/** File seals for memfds (`F_SEAL_*`), as fcntl(F_ADD_SEALS) takes them. */
export const SEAL = Object.freeze(native.constants.SEAL) as Readonly<{ SEAL: number; SHRINK: number; GROW: number; WRITE: number }>

/** The system page size in bytes (`sysconf(_SC_PAGESIZE)`). */
export const pageSize: number = native.pageSize

function union(values: Record<string, number | undefined>): number {
  return Object.values(values).reduce<number>((bits, value) => bits | (value ?? 0), 0)
}

/** Every PROT bit the headers define. */
export const KNOWN_PROT_BITS = union(PROT)
/** Every MAP flag bit the headers define, including the huge page size field. */
export const KNOWN_MAP_BITS = (() => {
  const { HUGE_SHIFT, ...flags } = MAP
  return union(flags) | (0x3f << HUGE_SHIFT)
})()
export const KNOWN_MS_BITS = union(MS)
export const KNOWN_MFD_BITS = union(MFD)
export const KNOWN_MADV_VALUES: ReadonlySet<number> = new Set(Object.values(MADV).filter((v): v is number => v !== undefined))
