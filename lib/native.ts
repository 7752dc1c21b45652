// The addon, loaded once, with the shape of what it exports. Every native
// call reports failure as a negative errno (never by throwing); lib/ turns
// that into an Error. lib/ also validates every argument before calling.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Opaque native handle of one mapped region (or one sbrk growth). */
export type RegionHandle = { readonly __brand: 'mman.Region' }

type Constants = Record<'PROT' | 'MAP' | 'MADV' | 'MS' | 'MFD' | 'MREMAP' | 'MLOCK' | 'SEAL', Record<string, number>>

export interface Native {
  constants: Constants
  pageSize: number
  mmap(hint: bigint, length: number, prot: number, flags: number, fd: number, offset: number, keepFd: boolean): RegionHandle | number
  fixedPlacement(address: bigint, length: number): number
  munmap(region: RegionHandle): number
  view(region: RegionHandle, offset: number, length: number): ArrayBuffer | number
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
  msyncAsync(region: RegionHandle, offset: number, length: number, flags: number): Promise<number> | number
  madviseAsync(region: RegionHandle, offset: number, length: number, advice: number): Promise<number> | number
  programBreak(): bigint
  heapState(): [current: bigint, toolkitTop: bigint, floor: bigint]
  heapGrow(increment: number): RegionHandle | number
  heapShrink(newTop: bigint): number | 'moved' | 'foreign' | 'escaped' | 'threads'
  fstat(fd: number, out: BigInt64Array): number
  memfdCreate(name: string, flags: number): number
  strerror(errno: number): string
  futexWait(region: RegionHandle, offset: number, expected: number, timeoutMs: number): number
  futexWaitAsync(region: RegionHandle, offset: number, expected: number, timeoutMs: number): Promise<number> | number
  futexWake(region: RegionHandle, offset: number, count: number): number
  gettid(): number
  addSeals(fd: number, seals: number): number
  getSeals(fd: number): number
  forkDemo(regions: RegionHandle[], sleepMs: number, outFd: number): number
  forkProbe(pageAlignedAddress: bigint, pages: number): [mapped: number, childErrno: number] | number
  waitChild(pid: number): [state: 0 | 1 | 2, code: number] | number
  zeroingTrial(mode: string, bytes: number): { ns: number; minorFaults: number; anonHugeKiB: number; mallocUsedMmap?: boolean } | number
  mmapMunmapLoop(iterations: number): number
  threadMinorFaults(): number
}

const require = createRequire(import.meta.url)
// The package root holds binding.gyp: one level above lib/native.ts, two above dist/lib/native.js.
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'binding.gyp'))) {
    if (dirname(dir) === dir) throw new Error('mman: cannot find the package root (binding.gyp) above ' + import.meta.url)
    dir = dirname(dir)
  }
  return dir
}
const loadBinding = require('node-gyp-build') as (dir: string) => unknown

export const native = loadBinding(packageRoot()) as Native
