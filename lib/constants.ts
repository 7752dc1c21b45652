// Constants as the C headers define them on this machine (read by the addon
// at build time). A name the headers lack is absent, not guessed; names every
// Linux that Node 20 runs on has (4.18 and later) are typed as always present,
// and the addon does not build against headers that lack them.
import { native } from './native.js'

/** Memory protection bits for mmap/mprotect (`PROT_*`). */
export const PROT = Object.freeze(native.constants.PROT) as Readonly<{
  /** Pages may not be accessed (guard pages, reservations). */
  NONE: number
  /** Pages may be read. */
  READ: number
  /** Pages may be written. */
  WRITE: number
  /** Pages may be executed. */
  EXEC: number
}>

/** Mapping flags for mmap (`MAP_*`). */
export const MAP = Object.freeze(native.constants.MAP) as Readonly<{
  /** Updates are visible to other mappings of the same file or memory, and reach the file. */
  SHARED: number
  /** Copy-on-write: updates stay in this process. */
  PRIVATE: number
  /** As SHARED, but the kernel refuses unknown flags (needed for SYNC). */
  SHARED_VALIDATE: number
  /** Zero-filled memory backed by no file (fd -1, offset 0). */
  ANONYMOUS: number
  /** Place the mapping exactly at the address, replacing what is there (mman: only inside a mapping it owns). */
  FIXED: number
  /** Place the mapping exactly at the address, failing with EEXIST if anything is mapped there. */
  FIXED_NOREPLACE: number
  /** Fault the pages in at map time. */
  POPULATE: number
  /** Reserve no swap space for the mapping. */
  NORESERVE: number
  /** Take huge pages from the reserved hugetlbfs pool. */
  HUGETLB: number
  /** Bit position of the huge page size (log2) in the flags, with HUGETLB. */
  HUGE_SHIFT: number
  /** HUGETLB with 2 MiB pages. */
  HUGE_2MB: number
  /** HUGETLB with 1 GiB pages. */
  HUGE_1GB: number
  /** Lock the pages in memory, as mlock() does. */
  LOCKED: number
  /** With POPULATE: makes it do nothing (since Linux 2.6.23). */
  NONBLOCK: number
  /** Hint that the mapping is a stack (no transparent huge pages). */
  STACK: number
  /** The mapping grows downward, as a stack does, when the page below it is touched. */
  GROWSDOWN: number
  /** With SHARED_VALIDATE on a DAX file: writes are durable without msync (persistent memory). */
  SYNC: number
  /** Anonymous pages not cleared (only on kernels built for it, embedded systems). */
  UNINITIALIZED?: number
  /** Place the mapping in the first 2 GiB (x86-64 only). */
  '32BIT'?: number
}>

/** Advice for madvise (`MADV_*`). */
export const MADV = Object.freeze(native.constants.MADV) as Readonly<{
  /** No special treatment (the default). */
  NORMAL: number
  /** Expect random access: read ahead less. */
  RANDOM: number
  /** Expect sequential access: read ahead more, free pages behind. */
  SEQUENTIAL: number
  /** Expect access soon: read ahead now. */
  WILLNEED: number
  /** Free the pages now; private anonymous memory reads zeros next time. */
  DONTNEED: number
  /** The pages may be freed lazily, when memory is short. */
  FREE: number
  /** Free the pages and their backing store (shmem, tmpfs). */
  REMOVE: number
  /** A forked child does not get these pages. */
  DONTFORK: number
  /** Undo DONTFORK. */
  DOFORK: number
  /** Let KSM merge identical pages. */
  MERGEABLE: number
  /** Undo MERGEABLE. */
  UNMERGEABLE: number
  /** Use transparent huge pages here. */
  HUGEPAGE: number
  /** Use no transparent huge pages here. */
  NOHUGEPAGE: number
  /** Leave the pages out of core dumps. */
  DONTDUMP: number
  /** Undo DONTDUMP. */
  DODUMP: number
  /** A forked child sees the pages zero-filled. */
  WIPEONFORK: number
  /** Undo WIPEONFORK. */
  KEEPONFORK: number
  /** The pages are unlikely to be used soon: reclaim them first (Linux 5.4). */
  COLD?: number
  /** Reclaim the pages now (Linux 5.4). */
  PAGEOUT?: number
  /** Fault the pages in readable now (Linux 5.14). */
  POPULATE_READ?: number
  /** Fault the pages in writable now (Linux 5.14). */
  POPULATE_WRITE?: number
  /** Collapse the range into transparent huge pages now (Linux 6.1). */
  COLLAPSE?: number
}>

/** Flags for msync (`MS_*`). */
export const MS = Object.freeze(native.constants.MS) as Readonly<{
  /** Schedule the write-back and return. */
  ASYNC: number
  /** Write back and wait until done. */
  SYNC: number
  /** Invalidate other mappings of the file so they see the written data. */
  INVALIDATE: number
}>

/** Flags for memfd_create (`MFD_*`). */
export const MFD = Object.freeze(native.constants.MFD) as Readonly<{
  /** Close the fd on exec. */
  CLOEXEC: number
  /** Allow file seals (F_ADD_SEALS) on the memfd. */
  ALLOW_SEALING: number
  /** Back the memfd with huge pages from the hugetlbfs pool. */
  HUGETLB: number
  /** The memfd can never be made executable (Linux 6.3). */
  NOEXEC_SEAL?: number
  /** The memfd may be executable (Linux 6.3). */
  EXEC?: number
}>

/** Flags for mlock2 / mlockall (`MLOCK_ONFAULT`, `MCL_*`). */
export const MLOCK = Object.freeze(native.constants.MLOCK) as Readonly<{
  /** mlock2: lock pages as they are faulted in, not all now. */
  ONFAULT: number
  /** mlockall: lock every page mapped now. */
  CURRENT: number
  /** mlockall: lock every page mapped from now on. */
  FUTURE: number
}>

/** File seals for memfds (`F_SEAL_*`), as fcntl(F_ADD_SEALS) takes them. */
export const SEAL = Object.freeze(native.constants.SEAL) as Readonly<{
  /** No more seals may be added. */
  SEAL: number
  /** The file may not shrink. */
  SHRINK: number
  /** The file may not grow. */
  GROW: number
  /** The contents may not be written. */
  WRITE: number
}>

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
export const KNOWN_MADV_VALUES: ReadonlySet<number> = new Set(
  Object.values(MADV).filter((v): v is number => v !== undefined),
)
