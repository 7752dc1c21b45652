// The object layer: a Mapping owns one mapped region and hands out views of
// it, whole or in windows small enough for one ArrayBuffer. Its methods turn
// offsets into pages and hand them to the operations the syscall layer uses too.
import { illegalConstructor, invalidState, outOfRange } from './errors.js'
import { MADV, MAP, MLOCK, MS, PROT } from './constants.js'
import { smapsStats, vmasIn, type MemoryStats, type Vma } from './introspect.js'
import type { MappedRegion } from './region/map.js'
import * as operations from './region/operations.js'
import { pagesOf, type PageRange } from './region/pages.js'
import { mapPolicy, type MapPolicy } from './region/policy.js'
import { Region } from './region/region.js'
import { createView } from './region/views.js'
import { indexOfIn, lastIndexOfIn, needleBytes, searchBound, type Needle } from './search.js'
import { viewSlicer, type ViewSlicer } from './view-slicer.js'
import { whenDone, type Completion } from './when-done.js'
import { boolean, flag, integer, MAX_VIEW_LENGTH, options as optionsObject } from './validate.js'

/** A byte range of a mapping; both default to the whole mapping. */
export interface Range {
  /** Bytes from the start of the mapping (default 0). */
  offset?: number
  /** Bytes from `offset` (default: to the end of the mapping). */
  length?: number
}

/** Which pages of a range are resident in memory (mincore). */
export interface Residency {
  /** Pages the range covers. */
  pages: number
  /** How many of them are resident. */
  resident: number
  /** One byte per page: 1 when resident, 0 when not. */
  bitmap: Uint8Array
}

/**
 * A mapping made by map(), mapFile() or mapAnonymous(): its views, the calls
 * on its pages, and its lifetime (unmap() or `using`; otherwise unmapped when
 * the Mapping and every view of it have been garbage-collected).
 */
export class Mapping implements Disposable {
  readonly #region: Region
  readonly #delta: number
  #length: number
  #prot: number
  readonly #flags: number
  readonly #fd: number
  readonly #offset: number
  #buffer: ArrayBuffer | undefined
  // A shared file mapping made writable: the only kind whose file resize() may change.
  readonly #writesFile: boolean

  /** @internal Use map(), mapFile() or mapAnonymous(). */
  constructor(mapped: MappedRegion, fd?: number) {
    if (!((mapped as Partial<MappedRegion> | null)?.region instanceof Region)) throw illegalConstructor('map(), mapFile() or mapAnonymous()')
    this.#region = mapped.region
    this.#delta = mapped.delta
    this.#length = mapped.length
    this.#prot = mapped.prot
    this.#flags = mapped.flags
    this.#fd = fd ?? mapped.fd
    this.#offset = mapped.offset
    this.#writesFile = mapped.region.backing === 'file' && (mapped.flags & MAP.SHARED) !== 0 && (mapped.prot & PROT.WRITE) !== 0
  }

  /** Mapped length in bytes, as requested (the kernel maps whole pages). */
  get length(): number {
    return this.#length
  }

  /** Current protection (PROT bits), as last set by map or protect(). */
  get prot(): number {
    return this.#prot
  }

  /** The MAP flags the mapping was made with. */
  get flags(): number {
    return this.#flags
  }

  /**
   * The caller's file descriptor that was mapped, or -1: for anonymous memory,
   * and for a file mapped by path. A file mapping (by path or fd) also keeps a
   * duplicate of the fd open until unmap(), to check the file's size when it
   * is remapped; that one is not handed out.
   */
  get fd(): number {
    return this.#fd
  }

  /** The file offset of byte 0 of the mapping. */
  get offset(): number {
    return this.#offset
  }

  /** True once unmap() ran. */
  get unmapped(): boolean {
    return this.#region.unmapped
  }

  /** Virtual address of byte 0 (information only). */
  get address(): bigint {
    this.#live()
    return this.#region.address + BigInt(this.#delta)
  }

  /**
   * One ArrayBuffer over the whole mapping. Mappings longer than
   * `buffer.constants.MAX_LENGTH` have none: use window() or bytes().
   */
  get buffer(): ArrayBuffer {
    this.#live()
    if (this.#length > MAX_VIEW_LENGTH) {
      throw outOfRange(
        'length',
        `<= ${MAX_VIEW_LENGTH} (buffer.constants.MAX_LENGTH) for one ArrayBuffer; use window(offset, length) or bytes(offset, length)`,
        this.#length,
      )
    }
    // A buffer the user detached (transfer()) is replaced, not handed out empty.
    if (this.#buffer === undefined || this.#buffer.byteLength !== this.#length) {
      this.#buffer = createView(this.#region, this.#delta, this.#length, 'mmap')
    }
    return this.#buffer
  }

  /**
   * A new ArrayBuffer over [offset, offset + length) of the mapping, at most
   * `buffer.constants.MAX_LENGTH` bytes (4 GiB on Node 20, 2^53 - 1 from Node 22 on).
   * @param offset Bytes from the start of the mapping.
   * @param length Bytes to view (default: the rest of the mapping; ERR_OUT_OF_RANGE
   *   when that is more than MAX_LENGTH bytes, never a shorter view).
   */
  window(offset: number, length?: number): ArrayBuffer {
    const range = this.#range({ offset, length }, MAX_VIEW_LENGTH)
    return createView(this.#region, this.#delta + range.offset, range.length, 'mmap')
  }

  /**
   * A Uint8Array over [offset, offset + length) (default: the rest of the mapping).
   * @param offset Bytes from the start of the mapping (default 0).
   * @param length Bytes to view (default: the rest of the mapping; ERR_OUT_OF_RANGE
   *   when that is more than `buffer.constants.MAX_LENGTH` bytes, never a shorter view).
   */
  bytes(offset = 0, length?: number): Uint8Array {
    const range = this.#range({ offset, length }, MAX_VIEW_LENGTH)
    if (this.#length <= MAX_VIEW_LENGTH) return new Uint8Array(this.buffer, range.offset, range.length)
    return new Uint8Array(this.window(range.offset, range.length))
  }

  /**
   * The mapping as an object with `byteLength` and `slice(start, end)` (taking
   * ArrayBuffer.prototype.slice's arguments) whose slices are views of the
   * mapping instead of copies: for readers that read a file by slicing an
   * ArrayBuffer, such as hyparquet (`parquetRead({ file: m.viewSlicer() })`:
   * its AsyncBuffer). A slice is at most `buffer.constants.MAX_LENGTH` bytes.
   */
  viewSlicer(): ViewSlicer {
    this.#live()
    return viewSlicer(this)
  }

  /**
   * Where `needle` first occurs wholly inside [start, end) of the mapping, in
   * bytes from its start, or -1: Python's `mmap.find(sub, start, end)`, with
   * Buffer's kinds of needle. Right at any offset of any mapping (Buffer's own
   * indexOf() answers wrong past 2 GiB); it reads the memory, as a view would.
   * An empty needle is found at `start`.
   * @param needle Bytes (an ArrayBuffer, TypedArray or DataView), a string (as
   *   UTF-8) or one byte value (0-255); at most 1 GiB.
   * @param start Where the search begins (default 0); a negative value counts from the end.
   * @param end Where it ends (default: the end of the mapping); a negative value counts from the end.
   */
  indexOf(needle: Needle, start: number = 0, end: number = this.#length): number {
    this.#live()
    const [bytes, from, to] = this.#search(needle, start, end)
    return indexOfIn((offset, length) => this.#windowAt(offset, length), bytes, from, to)
  }

  /**
   * Where `needle` last occurs wholly inside [start, end), or -1: Python's
   * `mmap.rfind(sub, start, end)`. An empty needle is found at `end`.
   * @param needle Bytes, a string (as UTF-8) or one byte value (0-255); at most 1 GiB.
   * @param start Where the search range begins (default 0); a negative value counts from the end.
   * @param end Where it ends (default: the end of the mapping); a negative value counts from the end.
   */
  lastIndexOf(needle: Needle, start: number = 0, end: number = this.#length): number {
    this.#live()
    const [bytes, from, to] = this.#search(needle, start, end)
    return lastIndexOfIn((offset, length) => this.#windowAt(offset, length), bytes, from, to)
  }

  /**
   * mprotect(2) on the pages of a range (default: all).
   * @param prot The new PROT bits.
   * @param options The range (default: all), and `allowWriteExec: true` to permit PROT.WRITE | PROT.EXEC together.
   */
  protect(prot: number, options?: Range & Pick<MapPolicy, 'allowWriteExec'>): void {
    const opts = optionsObject<Range & MapPolicy>(options)
    const pages = this.#pages(opts)
    const value = operations.protect(this.#region, pages, prot, mapPolicy(opts))
    if (pages.offset <= this.#delta && pages.offset + pages.length >= this.#delta + this.#length) this.#prot = value
  }

  /**
   * madvise(2) on the pages of a range (default: all).
   * @param advice One MADV value.
   * @param range The part of the mapping, in bytes from its start (default: all of it); calls round it out to whole pages.
   */
  advise(advice: number, range?: Range): void {
    operations.advise(this.#region, this.#pages(optionsObject<Range>(range)), advice)
  }

  /**
   * msync(2): writes dirty pages of a shared file mapping back to the file.
   * Blocks until done unless `async` (MS.ASYNC); see syncAsync().
   * @param options The range (default: all); `async: true` for MS.ASYNC, `invalidate: true` adds MS.INVALIDATE.
   */
  sync(options?: Range & { async?: boolean; invalidate?: boolean }): void {
    const opts = optionsObject<Range & { async?: boolean; invalidate?: boolean }>(options)
    operations.sync(this.#region, this.#pages(opts), syncOptionFlags(opts))
  }

  /**
   * msync(MS_SYNC) on the libuv thread pool: the event loop keeps running while pages are written.
   * @param range The part of the mapping, in bytes from its start (default: all of it); calls round it out to whole pages.
   */
  async syncAsync(range?: Range): Promise<void> {
    await operations.syncAsync(this.#region, this.#pages(optionsObject<Range>(range)), MS.SYNC)
  }

  /**
   * Faults the pages of a range in now (MADV_POPULATE_READ/WRITE), so later
   * access takes no page faults. `write` defaults to true for writable
   * mappings, except copy-on-write file mappings (writing would copy every page).
   * @param options The range (default: all); `write` faults pages in writable (MADV_POPULATE_WRITE).
   */
  populate(options?: Range & { write?: boolean }): void {
    const opts = optionsObject<Range & { write?: boolean }>(options)
    operations.advise(this.#region, this.#pages(opts), this.#populateAdvice(opts))
  }

  /**
   * populate() on the libuv thread pool.
   * @param options The range (default: all); `write` faults pages in writable (MADV_POPULATE_WRITE).
   */
  async populateAsync(options?: Range & { write?: boolean }): Promise<void> {
    const opts = optionsObject<Range & { write?: boolean }>(options)
    await operations.adviseAsync(this.#region, this.#pages(opts), this.#populateAdvice(opts))
  }

  /**
   * mincore(2): which pages of a range are resident.
   * @param range The part of the mapping, in bytes from its start (default: all of it); calls round it out to whole pages.
   */
  residency(range?: Range): Residency {
    const bitmap = operations.residency(this.#region, this.#pages(optionsObject<Range>(range)))
    let resident = 0
    for (let i = 0; i < bitmap.length; i++) {
      bitmap[i]! &= 1
      resident += bitmap[i]!
    }
    return { pages: bitmap.length, resident, bitmap }
  }

  /**
   * mlock(2) the pages of a range; `onFault` locks them as they are faulted in (MLOCK_ONFAULT).
   * @param options The range (default: all); `onFault: true` locks pages as they are touched instead of faulting them in now.
   */
  lock(options?: Range & { onFault?: boolean }): void {
    const opts = optionsObject<Range & { onFault?: boolean }>(options)
    const onFault = flag(opts.onFault, 'options.onFault')
    operations.lock(this.#region, this.#pages(opts), onFault ? MLOCK.ONFAULT : 0)
  }

  /**
   * munlock(2) the pages of a range.
   * @param range The part of the mapping, in bytes from its start (default: all of it); calls round it out to whole pages.
   */
  unlock(range?: Range): void {
    operations.unlock(this.#region, this.#pages(optionsObject<Range>(range)))
  }

  /**
   * mremap(2): resizes the mapping to `newLength` bytes; it may move. Every
   * view taken before is detached; take new ones (buffer, bytes(), window()).
   * @param newLength The new length in bytes (> 0).
   * @param policy `allowBeyondEOF: true` lets a file mapping grow past the file's current size.
   */
  remap(newLength: number, policy?: Pick<MapPolicy, 'allowBeyondEOF'>): this {
    this.#live()
    const opts = mapPolicy(policy)
    const length = integer(newLength, 'newLength', 1)
    operations.remap(this.#region, this.#delta + this.#length, this.#delta + length, opts)
    this.#length = length
    this.#buffer = undefined
    return this
  }

  /**
   * Grows or shrinks the mapping, and for a shared file mapping the file with
   * it: the file then ends at `offset + newLength`, as Python's `mmap.resize()`
   * leaves it (so an append-only log grows by resizing). Anonymous private
   * mappings are simply remapped. Views taken before are detached, as by remap().
   * @param newLength The new length in bytes (> 0).
   */
  resize(newLength: number): this {
    this.#live()
    const length = integer(newLength, 'newLength', 1)
    const region = this.#region
    if (region.backing !== 'file') return this.remap(length)
    if (!this.#writesFile) throw invalidState("resize() changes the file, which this mapping does not write: map it with mode 'rw'")
    const before = region.fileSize('fstat')
    const after = this.#offset + length
    if (after > before) {
      region.truncateFile(after)
      try {
        return this.remap(length)
      } catch (error) {
        region.truncateFile(before)
        throw error
      }
    }
    // Shrink the mapping first: no mapped page may lie past end-of-file (SIGBUS).
    this.remap(length)
    region.truncateFile(after)
    return this
  }

  /**
   * The VMAs (lines of /proc/self/maps) this mapping spans: one, or more after
   * protect() split it. A neighbouring mapping with the same flags may have
   * merged into the same VMA.
   */
  vmas(): Vma[] {
    const { start, end } = this.#addressRange()
    return vmasIn(start, end)
  }

  /**
   * /proc/self/smaps accounting (Rss, Pss, Private_Dirty, AnonHugePages, ...)
   * of this mapping's VMAs, in bytes. `exact` is false when the kernel merged
   * a neighbouring mapping into one of them, whose pages are then counted too.
   */
  stats(): MemoryStats {
    const { start, end } = this.#addressRange()
    return smapsStats(start, end)
  }

  /** munmap(2). Detaches every view first. Calling it again does nothing. */
  unmap(): void {
    if (this.#region.unmapped) return
    this.#region.unmap()
    this.#buffer = undefined
  }

  /**
   * unmap() once `done` has settled (a promise, fulfilled or rejected) or
   * finished (a stream: 'finish', once end() was called and every write was
   * handed to the kernel; or 'close', which also follows an error, or one
   * that had already happened). For views given to
   * `socket.write()` or `res.end()`: Node sends from them in place, without a
   * copy, until the write is done, and a mapping unmapped before that sends
   * zero-filled bytes to a slow reader. `m.unmapAfter(res)`, right after
   * `res.end(m.bytes())`, unmaps when the response has been handed over.
   * @param done A promise, or a Node stream (http.ServerResponse, net.Socket,
   *   any Writable); anything else is ERR_INVALID_ARG_TYPE.
   * @returns A promise that resolves once the mapping is unmapped.
   */
  unmapAfter(done: Completion): Promise<void> {
    return whenDone(done, 'done').then(() => this.unmap())
  }

  /** unmap(), for `using`: the mapping is unmapped when the block ends. */
  [Symbol.dispose](): void {
    this.unmap()
  }

  #live(): void {
    if (this.#region.unmapped) throw invalidState('the mapping was unmapped')
  }

  #addressRange(): { start: bigint; end: bigint } {
    this.#live()
    const start = this.#region.address
    return { start, end: start + BigInt(this.#region.size) }
  }

  /**
   * A validated range of the mapping, relative to its byte 0. A length left
   * out means the rest of the mapping: where that is more than `maxLength`,
   * it is refused like a length given too large, never cut short.
   */
  #range(range: Range, maxLength = Number.MAX_SAFE_INTEGER): { offset: number; length: number } {
    this.#live()
    const offset = range.offset === undefined ? 0 : integer(range.offset, 'offset', 0, this.#length)
    const rest = this.#length - offset
    if (range.length !== undefined) return { offset, length: integer(range.length, 'length', 0, Math.min(rest, maxLength)) }
    if (rest > maxLength) {
      throw outOfRange(
        'length',
        `<= ${maxLength} (buffer.constants.MAX_LENGTH) for one view; left out, it is the rest of the mapping ` +
          `from offset ${offset}: pass a length, or view the mapping in windows`,
        rest,
      )
    }
    return { offset, length: rest }
  }

  #search(needle: unknown, start: unknown, end: unknown): [Uint8Array, number, number] {
    return [needleBytes(needle), searchBound(start, 'start', this.#length), searchBound(end, 'end', this.#length)]
  }

  /** A Buffer over part of the mapping, for searching: of its one buffer where it has one, else a window. */
  #windowAt(offset: number, length: number): Buffer {
    return this.#length <= MAX_VIEW_LENGTH ? Buffer.from(this.buffer, offset, length) : Buffer.from(this.window(offset, length))
  }

  /** A range rounded out to whole pages, relative to the region (what syscalls take). */
  #pages(range: Range): PageRange {
    const { offset, length } = this.#range(range)
    const start = this.#delta + offset
    return pagesOf(start, start + length, this.#region.size)
  }

  #populateAdvice(opts: { write?: boolean }): number {
    if (MADV.POPULATE_READ === undefined || MADV.POPULATE_WRITE === undefined) {
      throw invalidState('this system has no MADV_POPULATE_READ/WRITE (Linux >= 5.14)')
    }
    const copyOnWriteFile = (this.#flags & MAP.PRIVATE) !== 0 && (this.#flags & MAP.ANONYMOUS) === 0
    const write = opts.write === undefined ? (this.#prot & PROT.WRITE) !== 0 && !copyOnWriteFile : boolean(opts.write, 'options.write')
    return write ? MADV.POPULATE_WRITE : MADV.POPULATE_READ
  }
}

/** MS flags from sync()'s options. */
function syncOptionFlags(opts: { async?: boolean; invalidate?: boolean }): number {
  const async = flag(opts.async, 'options.async')
  const invalidate = flag(opts.invalidate, 'options.invalidate')
  return (async ? MS.ASYNC : MS.SYNC) | (invalidate ? MS.INVALIDATE : 0)
}
