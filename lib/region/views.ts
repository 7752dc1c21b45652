// The registry behind both API layers: every ArrayBuffer mman hands out is an
// external buffer over a native region, recorded here so that any view of it
// (TypedArray, DataView, Buffer) leads back to its region and byte range.
import { check, invalidArgType, invalidArgValue, invalidState } from '../errors.js'
import { native } from '../native.js'
import { pagesOf, type PageRange } from './pages.js'
import type { Region } from './region.js'
import { noteViewMade } from './teardown.js'

// On Node >= 24, markAsUntransferable() gives a buffer a V8 detach key, and
// detaching it through Node-API would abort the process; transfer(0) detaches
// the same way but throws instead. A buffer that cannot be detached stays
// attached to the zero-filled placeholder mman keeps at an unmapped range.
// Taken now, as Reflect.apply is: user code replacing either later must not
// run inside the addon's detach loop.
type Transferable = ArrayBuffer & { transfer?: (length?: number) => ArrayBuffer }
const transfer = (ArrayBuffer.prototype as Transferable).transfer
const apply = Reflect.apply
if (typeof transfer === 'function') {
  native.setDetacher((buffer) => {
    try {
      apply(transfer, buffer, [0])
      return true
    } catch {
      return false
    }
  })
}

interface ViewRecord {
  region: Region
  offset: number
  length: number
  generation: number
}

// Returns the object it is given, so that a subclass's private field is
// defined on that object instead of a new one.
class Passthrough {
  constructor(target: object) {
    return target
  }
}

/**
 * The record of a buffer mman made, kept in a private field stamped onto the
 * buffer itself: only this module can read it, nobody can forge it, and it
 * costs a property store, where a WeakMap entry cost the collector work on
 * every scavenge for as long as the buffer lived (measured: ~1.5 us per buffer).
 */
class ViewStamp extends Passthrough {
  #record: ViewRecord

  private constructor(buffer: ArrayBufferLike, record: ViewRecord) {
    super(buffer)
    this.#record = record
  }

  static stamp(buffer: ArrayBufferLike, record: ViewRecord): void {
    new ViewStamp(buffer, record)
  }

  static recordOf(buffer: object): ViewRecord | undefined {
    return #record in buffer ? buffer.#record : undefined
  }
}

/** An external ArrayBuffer over [offset, offset + length) of the region. */
export function createView(region: Region, offset: number, length: number, syscall: string): ArrayBuffer {
  const handOver = region.handleGoesToNextView
  const buffer = check(native.view(region.handle, offset, length, handOver), syscall)
  if (handOver) region.handleTakenByView()
  ViewStamp.stamp(buffer, { region, offset, length, generation: region.generation })
  noteViewMade()
  return buffer
}

/**
 * A SharedArrayBuffer over [offset, offset + length) of the region (where the
 * runtime can make one). It cannot be detached: the memory stays mapped, as it
 * is, until every one of them has been collected in every thread it went to.
 */
export function createSharedView(region: Region, offset: number, length: number): SharedArrayBuffer {
  const buffer = check(native.sharedView(region.handle, offset, length), 'mmap', (code) =>
    code === 'ENOSYS' ? 'this Node cannot make a SharedArrayBuffer over mapped memory (Node >= 22.23 can)' : undefined,
  )
  ViewStamp.stamp(buffer, { region, offset, length, generation: region.generation })
  return buffer
}

/** A byte range inside one region. */
export interface Span {
  region: Region
  start: number
  end: number
  /**
   * True when the span is exactly the ArrayBuffer it came from, and that buffer
   * still names its mapping: a buffer mremap() could not detach (marked
   * untransferable, Node >= 24) is whole but stale.
   */
  wholeBuffer: boolean
}

/** The span rounded out to the pages the kernel acts on. */
export const pagesOfSpan = (span: Span): PageRange => pagesOf(span.start, span.end, span.region.size)

function bufferOf(value: unknown, name: string): { buffer: ArrayBufferLike; byteOffset: number; byteLength: number } {
  if (value instanceof ArrayBuffer || value instanceof SharedArrayBuffer)
    return { buffer: value, byteOffset: 0, byteLength: value.byteLength }
  if (ArrayBuffer.isView(value) && (value.buffer instanceof ArrayBuffer || value.buffer instanceof SharedArrayBuffer)) {
    try {
      return { buffer: value.buffer, byteOffset: value.byteOffset, byteLength: value.byteLength }
    } catch {
      // A DataView over a detached buffer throws on byteOffset: it names nothing any more.
      return { buffer: value.buffer, byteOffset: 0, byteLength: 0 }
    }
  }
  throw invalidArgType(name, 'an ArrayBuffer, SharedArrayBuffer, TypedArray or DataView returned by mman', value)
}

/**
 * The region and byte range that `value` names. Throws ERR_INVALID_ARG_VALUE
 * for memory the toolkit did not map, ERR_INVALID_STATE after unmap/remap
 * (unless `allowUnmapped`).
 */
export function spanOf(value: unknown, name: string, allowUnmapped = false): Span {
  const { buffer, byteOffset, byteLength } = bufferOf(value, name)
  const record = ViewStamp.recordOf(buffer)
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
  const wholeBuffer = byteOffset === 0 && byteLength === record.length && record.generation === region.generation
  return { region, start, end: start + byteLength, wholeBuffer }
}

/** Throws unless the span is in a mapping (not sbrk memory), which `syscall` needs. */
export function requireMapped(span: Span, name: string, syscall: string): void {
  if (span.region.kind !== 'mapped') {
    throw invalidArgValue(name, 'heap memory', `is memory from sbrk()/brk(), which ${syscall}() does not take`)
  }
}
