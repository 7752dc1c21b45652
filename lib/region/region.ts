// One native region (a mapping, or an sbrk growth) as lib/ tracks it: it owns
// the handle, the size and the generation, and changes them itself.
import { ftruncateSync } from 'node:fs'
import { check } from '../errors.js'
import { fstatRaw } from '../fstat.js'
import { native, type RegionHandle } from '../native.js'
import { roundUpToPage } from './pages.js'
import { noteUnmap } from './vma-budget.js'

export type RegionKind = 'mapped' | 'heap'

/**
 * What backs the pages, which decides whether the region may grow: 'file' (a
 * regular file: not past its end), 'shmem' (shared anonymous or device memory,
 * whose object keeps its size), or 'private' memory.
 */
export type Backing = 'private' | 'shmem' | 'file'

/**
 * What keeps the native region (the addon unmaps it once nothing does): its
 * handle, held by the Region object until it is collected ('owner': a
 * Mapping, SharedMemory), or its views alone ('views': the syscall layer and
 * sbrk hand out only buffers, so the handle is let go with the first view).
 */
export type Keeper = 'owner' | 'views'

// Drops the handle of an owner collected without unmap(). An owner unmapped
// first is not unregistered: dropping a handle dropped already does nothing.
const handles = new FinalizationRegistry<RegionHandle>((handle) => native.dropHandle(handle))

// Owners are registered at the end of the job that made them, and those
// unmapped by then never are: a registration, and the collector's work and
// the callback that follow it, cost about as much as the mmap() itself.
// A job that maps many registers them every REGISTER_BATCH mappings, so the
// list does not keep thousands of unmapped Regions alive into old space.
let unregistered: Region[] = []
const REGISTER_BATCH = 64

function registerOwners(): void {
  const owners = unregistered
  unregistered = []
  for (const region of owners) {
    if (!region.unmappedByOwner) handles.register(region, region.handle)
  }
}

export class Region {
  #size: number
  #generation = 0
  #unmapped = false
  #holdsHandle = true
  // Made on first use: most regions never have one.
  #settledListeners: Set<() => void> | undefined

  /**
   * @param size bytes, page-rounded for mappings
   * @param fileOffset for file mappings: the file offset the region starts at
   */
  constructor(
    readonly handle: RegionHandle,
    size: number,
    readonly kind: RegionKind,
    readonly backing: Backing = 'private',
    readonly fileOffset = 0,
    readonly keeper: Keeper = 'owner',
  ) {
    this.#size = size
    if (keeper === 'owner') {
      if (unregistered.length === 0) queueMicrotask(registerOwners)
      else if (unregistered.length >= REGISTER_BATCH) registerOwners()
      unregistered.push(this)
    }
  }

  /** Unmapped through this object (not by a parent or brk()): its handle is dropped already. */
  get unmappedByOwner(): boolean {
    return this.#unmapped
  }

  get size(): number {
    return this.#size
  }

  /** Bumped by remap(): views of an older generation were detached. */
  get generation(): number {
    return this.#generation
  }

  /** Unmapped explicitly, or together with the region it was placed in (MAP_FIXED), or released by brk(). */
  get unmapped(): boolean {
    return this.#unmapped || native.released(this.handle)
  }

  get address(): bigint {
    return this.#unmapped ? 0n : native.address(this.handle)
  }

  /** Whether the next view made takes the handle over (the first view of a region its views keep, see Keeper). */
  get handleGoesToNextView(): boolean {
    return this.keeper === 'views' && this.#holdsHandle
  }

  /** The addon let go of the handle with the view just made. */
  handleTakenByView(): void {
    this.#holdsHandle = false
  }

  /**
   * Calls `listener` as each async call on this region settles, before that
   * call's caller goes on (see unmapOnceIdle); returns what stops it.
   */
  onAsyncSettled(listener: () => void): () => void {
    const listeners = (this.#settledListeners ??= new Set())
    listeners.add(listener)
    return () => listeners.delete(listener)
  }

  /** An async call on this region settled (operations.ts). */
  asyncSettled(): void {
    if (this.#settledListeners === undefined) return
    for (const listener of this.#settledListeners) listener()
  }

  /** munmap(2) of the whole region and whatever was placed inside it. Does nothing the second time. */
  unmap(): void {
    if (this.#unmapped) return
    // Never refused: it is how memory comes back.
    noteUnmap()
    // Nothing will use the handle again: the addon lets it go with the unmap rather than after a GC.
    check(native.munmap(this.handle, this.#holdsHandle), 'munmap', (code) =>
      code === 'EBUSY' ? 'an async msync/populate on this mapping has not finished' : undefined,
    )
    this.#unmapped = true
    this.#holdsHandle = false
  }

  /** mremap(2) to `newSize` bytes (policy checked by the caller): it may move, and every view is detached. */
  remap(newSize: number): void {
    check(native.mremap(this.handle, newSize), 'mremap', (code) =>
      code === 'EBUSY'
        ? 'the mapping has MAP.FIXED mappings inside it or an async operation in flight, or views that may still be ' +
          'in use pin its old range and this kernel cannot move it without unmapping that (MREMAP_DONTUNMAP)'
        : undefined,
    )
    this.#size = roundUpToPage(newSize)
    this.#generation++
  }

  /** The size the mapped file has now (the region keeps its own duplicate of the fd). */
  fileSize(syscall: string): number {
    return fstatRaw(native.regionFd(this.handle), syscall).size
  }

  /** ftruncate(2) of the mapped file (through the fd the region keeps). */
  truncateFile(size: number): void {
    ftruncateSync(native.regionFd(this.handle), size)
  }
}
