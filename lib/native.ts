// The library's addon, loaded once, with the shape of what it exports. Every
// native call reports failure as a negative errno (never by throwing); lib/
// turns that into an Error. lib/ also validates every argument before calling.
import { loadAddon, packageRoot } from './addon.js'

/** Native handle of one mapped region (or one sbrk growth): a number that means nothing to anyone else. */
export type RegionHandle = number & { readonly __brand: 'mman.Region' }

type Constants = Record<'PROT' | 'MAP' | 'MADV' | 'MS' | 'MFD' | 'MREMAP' | 'MLOCK' | 'SEAL', Record<string, number>>

export interface Native {
  constants: Constants
  pageSize: number
  /** Whether this runtime can make SharedArrayBuffers over memory it did not allocate (Node >= 22.23). */
  sharedViews: boolean
  /** A string says why MAP_FIXED was refused. */
  mmap(
    hint: bigint,
    length: number,
    prot: number,
    flags: number,
    fd: number,
    offset: number,
    keepFd: boolean,
  ): RegionHandle | number | 'unaligned' | 'not-owned' | 'overlaps'
  /** dropHandle: lib/ lets go of the handle once the region is unmapped. */
  munmap(region: RegionHandle, dropHandle: boolean): number
  /** dropHandle: from now on the views alone keep the region. */
  view(region: RegionHandle, offset: number, length: number, dropHandle: boolean): ArrayBuffer | number
  sharedView(region: RegionHandle, offset: number, length: number): SharedArrayBuffer | number
  address(region: RegionHandle): bigint
  released(region: RegionHandle): boolean
  lifetimeCounts(): [regions: number, zombieRanges: number]
  setDetacher(detach: (buffer: ArrayBuffer) => boolean): number
  regionFd(region: RegionHandle): number
  dropHandle(region: RegionHandle): void
  mprotect(region: RegionHandle, offset: number, length: number, prot: number): number
  madvise(region: RegionHandle, offset: number, length: number, advice: number): number
  msync(region: RegionHandle, offset: number, length: number, flags: number): number
  mincore(region: RegionHandle, offset: number, length: number, out: Uint8Array): number
  mlock(region: RegionHandle, offset: number, length: number, flags: number): number
  munlock(region: RegionHandle, offset: number, length: number): number
  mremap(region: RegionHandle, newLength: number): number
  /** Teardown of a worker's env (see lib/region/teardown.ts): every view held alive, returning how many are in doubt; */
  holdViews(): number
  /** every view released to the collector. */
  releaseViews(): void
  /** Lines of /proc/self/maps: the process's VMAs. */
  vmaCount(): number
  msyncAsync(region: RegionHandle, offset: number, length: number, flags: number): Promise<number> | number
  madviseAsync(region: RegionHandle, offset: number, length: number, advice: number): Promise<number> | number
  programBreak(): bigint
  heapState(): [current: bigint, toolkitTop: bigint, floor: bigint]
  heapGrow(increment: number): RegionHandle | number | 'thread' | 'threads'
  heapShrink(newTop: bigint): number | 'moved' | 'escaped' | 'thread' | 'threads'
  fstat(fd: number, out: BigInt64Array): number
  memfdCreate(name: string, flags: number): number
  futexWait(region: RegionHandle, offset: number, expected: number, timeoutMs: number): number
  futexWaitAsync(
    region: RegionHandle,
    offset: number,
    expected: number,
    timeoutMs: number,
    mayUseIoUring: boolean,
  ): Promise<number> | number
  futexWake(region: RegionHandle, offset: number, count: number): number
  gettid(): number
  currentCpu(): number
  allocate(fd: number, size: number): number
  addSeals(fd: number, seals: number): number
  getSeals(fd: number): number
}

export const native = loadAddon(packageRoot()) as Native
