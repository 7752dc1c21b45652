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

// The native handle is referenced until its Region is collected; the addon
// unmaps once the handle and every view are gone.
const handles = new FinalizationRegistry<RegionHandle>((handle) => native.dropHandle(handle))

export class Region {
  #size: number
  #generation = 0
  #dropped = false

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
  ) {
    this.#size = size
    handles.register(this, handle, this)
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
    return this.#dropped || native.released(this.handle)
  }

  get address(): bigint {
    return this.#dropped ? 0n : native.address(this.handle)
  }

  /** munmap(2) of the whole region and whatever was placed inside it. Does nothing the second time. */
  unmap(): void {
    if (this.#dropped) return
    // Never refused: it is how memory comes back.
    noteUnmap()
    check(native.munmap(this.handle), 'munmap', (code) =>
      code === 'EBUSY' ? 'an async msync/populate on this mapping has not finished' : undefined,
    )
    // Nothing will use the handle again: let the addon free it now rather than after a GC.
    this.#dropped = true
    handles.unregister(this)
    native.dropHandle(this.handle)
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
