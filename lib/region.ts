// The registry behind both API layers: every ArrayBuffer the toolkit hands
// out is an external buffer over a native region, recorded here so that any
// view of it (TypedArray, DataView, Buffer) leads back to that region.
import { ftruncateSync } from 'node:fs'
import { check, invalidArgType, invalidArgValue, invalidState } from './errors.js'
import { pageSize } from './constants.js'
import { fstatRaw } from './fstat.js'
import { native, type RegionHandle } from './native.js'

export type RegionKind = 'mapped' | 'heap'

// The native handle is referenced until its Region is collected; the addon
// unmaps once the handle and every view are gone.
const handles = new FinalizationRegistry<RegionHandle>((handle) => native.dropHandle(handle))

// On Node >= 24, markAsUntransferable() gives a buffer a V8 detach key, and
// detaching it through Node-API would abort the process; transfer(0) detaches
// the same way but throws instead. A buffer that cannot be detached stays
// attached to the zero-filled placeholder mman keeps at an unmapped range.
type Transferable = ArrayBuffer & { transfer?: (length?: number) => ArrayBuffer }
if (typeof (ArrayBuffer.prototype as Transferable).transfer === 'function') {
  native.setDetacher((buffer) => {
    try {
      ;(buffer as Transferable).transfer!(0)
      return true
    } catch {
      return false
    }
  })
}

/** One native region as lib/ tracks it. Sizes are in bytes, page-rounded for mappings. */
export class Region {
  /**
   * What backs the pages, which decides whether the region may grow:
   * 'file' (a regular file: not past its end), 'shmem' (shared anonymous or
   * device memory, whose object keeps its size), or 'private' memory.
   */
  backing: 'private' | 'shmem' | 'file' = 'private'
  /** For file mappings: the file offset the region starts at. */
  fileOffset = 0
  // Bumped by remap(): views of an older generation were detached.
  generation = 0

  constructor(
    readonly handle: RegionHandle,
    public size: number,
    readonly kind: RegionKind,
  ) {
    handles.register(this, handle, this)
  }

  #dropped = false

  /** Unmapped explicitly, or together with the region it was placed in (MAP_FIXED), or released by brk(). */
  get unmapped(): boolean {
    return this.#dropped || native.released(this.handle)
  }

  /** munmap(2) of the whole region and whatever was placed inside it; 0 or -errno. */
  unmap(): number {
    if (this.#dropped) return 0
    const rc = native.munmap(this.handle)
    if (rc === 0) {
      // Nothing will use the handle again: let the addon free it now rather than after a GC.
      this.#dropped = true
      handles.unregister(this)
      native.dropHandle(this.handle)
    }
    return rc
  }

  get address(): bigint {
    return this.#dropped ? 0n : native.address(this.handle)
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

interface ViewRecord {
  region: Region
  offset: number
  length: number
  generation: number
}

const views = new WeakMap<ArrayBuffer, ViewRecord>()

/** An external ArrayBuffer over [offset, offset + length) of the region. */
export function createView(region: Region, offset: number, length: number, syscall: string): ArrayBuffer {
  const buffer = check(native.view(region.handle, offset, length), syscall)
  views.set(buffer, { region, offset, length, generation: region.generation })
  return buffer
}

/** A byte range inside one region. */
export interface Span {
  region: Region
  start: number
  end: number
  /** True when the span is exactly the ArrayBuffer it came from. */
  wholeBuffer: boolean
}

function bufferOf(value: unknown, name: string): { buffer: ArrayBuffer; byteOffset: number; byteLength: number } {
  if (value instanceof ArrayBuffer) return { buffer: value, byteOffset: 0, byteLength: value.byteLength }
  if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer) {
    try {
      return { buffer: value.buffer, byteOffset: value.byteOffset, byteLength: value.byteLength }
    } catch {
      // A DataView over a detached buffer throws on byteOffset: it names nothing any more.
      return { buffer: value.buffer, byteOffset: 0, byteLength: 0 }
    }
  }
  throw invalidArgType(name, 'an ArrayBuffer, TypedArray or DataView returned by mman', value)
}

/**
 * The region and byte range that `value` names. Throws ERR_INVALID_ARG_VALUE
 * for memory the toolkit did not map, ERR_INVALID_STATE after unmap/remap
 * (unless `allowUnmapped`).
 */
export function spanOf(value: unknown, name: string, allowUnmapped = false): Span {
  const { buffer, byteOffset, byteLength } = bufferOf(value, name)
  const record = views.get(buffer)
  if (record === undefined) {
    throw invalidArgValue(name, value, 'is not memory mapped by mman (only buffers it returned can be passed)')
  }
  const { region } = record
  if (!allowUnmapped) {
    if (region.unmapped) throw invalidState(`the memory behind "${name}" was unmapped`)
    if (record.generation !== region.generation) {
      throw invalidState(`"${name}" was detached when its mapping was remapped; take a new view`)
    }
  }
  const start = record.offset + byteOffset
  return {
    region,
    start,
    end: start + byteLength,
    wholeBuffer: byteOffset === 0 && byteLength === record.length,
  }
}



/**
 * The span rounded out to whole pages, clamped to its region: what the kernel
 * acts on. An empty span stays empty (length 0: the call does nothing), never
 * a page.
 */
export function pageRange(span: Span): { offset: number; length: number } {
  const offset = Math.floor(span.start / pageSize) * pageSize
  if (span.end <= span.start) return { offset, length: 0 }
  const end = Math.min(Math.ceil(span.end / pageSize) * pageSize, span.region.size)
  return { offset, length: Math.max(0, end - offset) }
}

/** Throws unless the region is a mapping (not sbrk memory). */
export function requireMapped(span: Span, name: string, syscall: string): void {
  if (span.region.kind !== 'mapped') {
    throw invalidArgValue(name, 'heap memory', `is memory from sbrk()/brk(), which ${syscall}() does not take`)
  }
}
