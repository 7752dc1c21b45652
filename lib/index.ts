/**
 * mman: the Linux memory syscalls for Node.js, with ArrayBuffers over mapped
 * memory. Two layers share one registry: the syscall layer (mmap, munmap,
 * mprotect, ...) shaped like the C calls, and the object layer (Mapping,
 * mapFile, mapAnonymous, map) for programs.
 *
 * The Throws section of a call's page lists its errors by class and code:
 * bad arguments are a TypeError or RangeError with Node's codes, thrown
 * before any syscall; a failing syscall is a {@link SyscallError} whose
 * `code`, `errno` and `syscall` say which. Examples run as written (the
 * tests run every one): each prints what the block after it shows, where `…`
 * stands for what differs from run to run, such as an address.
 * @module mman
 */
export { PROT, MAP, MADV, MS, MFD, MLOCK, pageSize } from './constants.js'
export { regionCounts, type RegionCounts } from './diagnostics.js'
export type { SyscallError } from './errors.js'
export {
  mmap,
  munmap,
  mprotect,
  madvise,
  madviseAsync,
  msync,
  msyncAsync,
  mincore,
  mlock,
  munlock,
  mremap,
  addressOf,
  type MappedMemory,
} from './syscalls.js'
export { brk, sbrk } from './heap.js'
export { fstat, memfdCreate, type Stat } from './fstat.js'
export type { MapPolicy } from './region/policy.js'
export { Mapping, type Range, type Residency } from './mapping.js'
export type { Needle } from './search.js'
export type { ViewSlicer } from './view-slicer.js'
export type { Completion } from './when-done.js'
export { map, mapFile, mapAnonymous, type MapFileOptions, type MapAnonymousOptions } from './constructors.js'
export {
  maps,
  vmasIn,
  vmaAt,
  smaps,
  smapsStats,
  parseMapsLine,
  parseSmaps,
  type Vma,
  type SmapsVma,
  type MemoryStats,
} from './introspect.js'
export { VM_FLAG_NAMES, vmFlags, type VmFlags } from './vm-flags.js'
export { futexWait, futexWaitAsync, futexWake, type WaitResult } from './ipc/futex.js'
export { SharedMemory } from './ipc/shared-memory.js'
export { forkWithMemory, inheritedMemory, type ForkWithMemoryOptions } from './ipc/process.js'
export { clusterForkWithMemory } from './ipc/cluster.js'
export { Mutex, MutexError, type LockResult } from './ipc/mutex.js'
export { Channel } from './ipc/channel.js'
export { ChannelSender } from './ipc/sender.js'
export { ChannelReceiver } from './ipc/receiver.js'
export { ChannelError, type ChannelErrorCode } from './ipc/channel-error.js'
export type { Message } from './ipc/codec.js'
export type { ChannelEndOptions } from './ipc/end.js'
