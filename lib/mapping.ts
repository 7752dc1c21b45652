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
import { unmapOnceIdle, whenDone, type Completion } from './when-done.js'
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
 * @example
 * ```js
 * import { mapFile } from 'mman'
 * import { writeFileSync } from 'node:fs'
 *
 * writeFileSync('hello.txt', 'hello, mapped world')
 * const m = mapFile('hello.txt')
 * console.log(m.length, m.indexOf('world'), Buffer.from(m.bytes(7, 6)).toString())
 * m.unmap()
 * ```
 *
 * ```text
 * 19 14 mapped
 * ```
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
    if (!((mapped as Partial<MappedRegion> | null)?.region instanceof Region))
      throw illegalConstructor('map(), mapFile() or mapAnonymous()')
    this.#region = mapped.region
    this.#delta = mapped.delta
    this.#length = mapped.length
    this.#prot = mapped.prot
    this.#flags = mapped.flags
    this.#fd = fd ?? mapped.fd
    this.#offset = mapped.offset
    this.#writesFile =
      mapped.region.backing === 'file' && (mapped.flags & MAP.SHARED) !== 0 && (mapped.prot & PROT.WRITE) !== 0
  }

  /**
   * Mapped length in bytes, as requested (the kernel maps whole pages).
   * @example
   * ```js
   * import { mapAnonymous } from 'mman'
   *
   * const m = mapAnonymous(5000) // two pages, of which views see 5000 bytes
   * console.log(m.length, m.bytes().length)
   * ```
   *
   * ```text
   * 5000 5000
   * ```
   */
  get length(): number {
    return this.#length
  }

  /**
   * Current protection (PROT bits), as last set by map or protect() of the whole mapping.
   * @example
   * ```js
   * import { mapAnonymous, PROT } from 'mman'
   *
   * const m = mapAnonymous(4096)
   * console.log(m.prot === (PROT.READ | PROT.WRITE))
   * m.protect(PROT.READ)
   * console.log(m.prot === PROT.READ)
   * ```
   *
   * ```text
   * true
   * true
   * ```
   */
  get prot(): number {
    return this.#prot
  }

  /**
   * The MAP flags the mapping was made with.
   * @example
   * ```js
   * import { mapAnonymous, MAP } from 'mman'
   *
   * const m = mapAnonymous(4096, { shared: true })
   * console.log((m.flags & MAP.SHARED) !== 0, (m.flags & MAP.ANONYMOUS) !== 0)
   * ```
   *
   * ```text
   * true true
   * ```
   */
  get flags(): number {
    return this.#flags
  }

  /**
   * The caller's file descriptor that was mapped, or -1: for anonymous memory,
   * and for a file mapped by path. A file mapping (by path or fd) also keeps a
   * duplicate of the fd open until unmap(), to check the file's size when it
   * is remapped; that one is not handed out.
   * @example
   * ```js
   * import { mapFile } from 'mman'
   * import { closeSync, openSync, writeFileSync } from 'node:fs'
   *
   * writeFileSync('data.txt', 'data')
   * const fd = openSync('data.txt', 'r')
   * const byFd = mapFile(fd)
   * closeSync(fd) // the mapping stays usable: it has its own duplicate
   * console.log(byFd.fd === fd, mapFile('data.txt').fd, Buffer.from(byFd.bytes()).toString())
   * ```
   *
   * ```text
   * true -1 data
   * ```
   */
  get fd(): number {
    return this.#fd
  }

  /**
   * The file offset of byte 0 of the mapping.
   * @example
   * ```js
   * import { mapFile } from 'mman'
   * import { writeFileSync } from 'node:fs'
   *
   * writeFileSync('hello.txt', 'hello, mapped world')
   * const m = mapFile('hello.txt', { offset: 7 })
   * console.log(m.offset, m.length, Buffer.from(m.bytes()).toString())
   * ```
   *
   * ```text
   * 7 12 mapped world
   * ```
   */
  get offset(): number {
    return this.#offset
  }

  /**
   * True once unmap() ran (or the mapping it was placed in with MAP.FIXED was unmapped).
   * @example
   * ```js
   * import { mapAnonymous } from 'mman'
   *
   * const m = mapAnonymous(4096)
   * console.log(m.unmapped)
   * m.unmap()
   * console.log(m.unmapped)
   * ```
   *
   * ```text
   * false
   * true
   * ```
   */
  get unmapped(): boolean {
    return this.#region.unmapped
  }

  /**
   * Virtual address of byte 0 (information only).
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped.
   * @example
   * ```js
   * import { mapFile, pageSize } from 'mman'
   * import { writeFileSync } from 'node:fs'
   *
   * writeFileSync('hello.txt', 'hello, mapped world')
   * const m = mapFile('hello.txt', { offset: 7 }) // the kernel maps from the page boundary, byte 0 is 7 bytes in
   * console.log('0x' + m.address.toString(16), m.address % BigInt(pageSize))
   * ```
   *
   * ```text
   * 0x… 7n
   * ```
   */
  get address(): bigint {
    this.#live()
    return this.#region.address + BigInt(this.#delta)
  }

  /**
   * One ArrayBuffer over the whole mapping. Mappings longer than
   * `buffer.constants.MAX_LENGTH` have none: use window() or bytes().
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped.
   * - `RangeError` `ERR_OUT_OF_RANGE`: the mapping is longer than `buffer.constants.MAX_LENGTH` (4 GiB on Node 20).
   * @example
   * ```js
   * import { mapAnonymous } from 'mman'
   *
   * const m = mapAnonymous(4096)
   * const buf = m.buffer
   * console.log(buf === m.buffer, buf.byteLength)
   * m.unmap()
   * console.log(buf.byteLength) // detached: no way to reach unmapped memory
   * try {
   *   m.buffer
   * } catch (error) {
   *   console.log(error.code)
   * }
   * ```
   *
   * ```text
   * true 4096
   * 0
   * ERR_INVALID_STATE
   * ```
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
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped.
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `offset` or `length` is not a number or bigint.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `offset` is negative, fractional or past the end of the mapping; `length`
   *   reaches past the end or is above `buffer.constants.MAX_LENGTH`; `length` is left out and the rest of the
   *   mapping is longer than that.
   * @example
   * ```js
   * import { mapAnonymous } from 'mman'
   *
   * const m = mapAnonymous(3 * 4096)
   * const middle = new Uint32Array(m.window(4096, 4096))
   * middle[0] = 0xdeadbeef
   * console.log(middle.length, m.bytes(4096, 4))
   * ```
   *
   * ```text
   * 1024 Uint8Array(4) [ 239, 190, 173, 222 ]
   * ```
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
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped.
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `offset` or `length` is not a number or bigint.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `offset` is negative, fractional or past the end of the mapping; `length`
   *   reaches past the end or is above `buffer.constants.MAX_LENGTH`; `length` is left out and the rest of the
   *   mapping is longer than that.
   * @example
   * ```js
   * import { mapFile } from 'mman'
   * import { writeFileSync } from 'node:fs'
   *
   * writeFileSync('hello.txt', 'hello, mapped world')
   * const m = mapFile('hello.txt')
   * console.log(Buffer.from(m.bytes(7, 6)).toString(), m.bytes(7).length, m.bytes().length)
   * ```
   *
   * ```text
   * mapped 12 19
   * ```
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
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped.
   * @example
   * ```js
   * import { mapFile } from 'mman'
   * import { writeFileSync } from 'node:fs'
   *
   * writeFileSync('hello.txt', 'hello, mapped world')
   * const m = mapFile('hello.txt')
   * const file = m.viewSlicer()
   * const last = file.slice(-5) // a view, not a copy
   * console.log(file.byteLength, Buffer.from(last).toString())
   * m.unmap()
   * console.log(file.byteLength, last.byteLength)
   * ```
   *
   * ```text
   * 19 world
   * 0 0
   * ```
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
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped.
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `needle` is not a string, number, ArrayBuffer, TypedArray or DataView, or
   *   `start` or `end` is not a number or bigint.
   * - `RangeError` `ERR_OUT_OF_RANGE`: a number `needle` is not an integer from 0 to 255, `needle` is longer than
   *   1 GiB, or `start` or `end` is fractional or outside -length to length.
   * @example
   * ```js
   * import { mapFile } from 'mman'
   * import { writeFileSync } from 'node:fs'
   *
   * writeFileSync('log.txt', 'one\ntwo\nthree\n')
   * const m = mapFile('log.txt')
   * console.log(m.indexOf('two'), m.indexOf(0x0a, 4), m.indexOf(Buffer.from('three')), m.indexOf('four'))
   * ```
   *
   * ```text
   * 4 7 8 -1
   * ```
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
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped.
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `needle` is not a string, number, ArrayBuffer, TypedArray or DataView, or
   *   `start` or `end` is not a number or bigint.
   * - `RangeError` `ERR_OUT_OF_RANGE`: a number `needle` is not an integer from 0 to 255, `needle` is longer than
   *   1 GiB, or `start` or `end` is fractional or outside -length to length.
   * @example
   * ```js
   * import { mapFile } from 'mman'
   * import { writeFileSync } from 'node:fs'
   *
   * writeFileSync('log.txt', 'one\ntwo\nthree\n')
   * const m = mapFile('log.txt')
   * const end = m.lastIndexOf('\n', 0, -1) // the newline before the last line
   * console.log(m.lastIndexOf('\n'), end, Buffer.from(m.bytes(end + 1)).toString().trim())
   * ```
   *
   * ```text
   * 13 7 three
   * ```
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
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped.
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `prot` is not a number or bigint, `options` is not an object, its `offset`
   *   or `length` is not a number or bigint, or its `allowWriteExec` not a boolean.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `prot` is negative, fractional or above 2^31 - 1; `offset` is negative,
   *   fractional or past the end of the mapping, or `length` reaches past it.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: `prot` has bits this system does not define, or PROT.WRITE and PROT.EXEC
   *   without `allowWriteExec`.
   * - {@link SyscallError} `EACCES` (`mprotect`): PROT.WRITE on a shared file mapping whose file is open read-only
   *   (mapFile() in mode 'r'), or PROT.EXEC on a file system mounted noexec.
   * - {@link SyscallError} `ENOMEM` (`mprotect`): splitting the mapping would pass vm.max_map_count.
   * @example
   * ```js
   * import { mapAnonymous, PROT, pageSize } from 'mman'
   *
   * const m = mapAnonymous(2 * pageSize)
   * m.protect(PROT.READ, { offset: pageSize }) // the second page only: writing it now is SIGSEGV
   * console.log(m.vmas().map((vma) => vma.perms), m.prot === (PROT.READ | PROT.WRITE))
   * ```
   *
   * ```text
   * [ 'rw-p', 'r--p' ] true
   * ```
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
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped.
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `advice` is not a number or bigint, `range` is not an object, or its
   *   `offset` or `length` is not a number or bigint.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `advice` is negative, fractional or above 2^31 - 1; `offset` is negative,
   *   fractional or past the end of the mapping, or `length` reaches past it.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: `advice` is not an MADV value this system defines.
   * - {@link SyscallError} `EINVAL` (`madvise`): the advice does not apply to this memory: MADV.DONTNEED on locked
   *   pages, MADV.REMOVE on private memory, MADV.FREE or MADV.WIPEONFORK on shared or file memory,
   *   MADV.POPULATE_WRITE on pages that are not writable, MADV.POPULATE_READ on PROT.NONE pages, or advice this
   *   kernel lacks (MADV.HUGEPAGE without transparent huge pages, MADV.MERGEABLE without KSM).
   * - {@link SyscallError} `EACCES` (`madvise`): MADV.REMOVE on memory that is not shared and writable.
   * - {@link SyscallError} `EFAULT` (`madvise`): MADV.POPULATE_READ/WRITE reached pages past the end of the mapped
   *   file (touching them would raise SIGBUS).
   * - {@link SyscallError} `ENOMEM` (`madvise`): out of memory (populating), or splitting the mapping would pass
   *   vm.max_map_count.
   * - {@link SyscallError} `EAGAIN` (`madvise`): the kernel ran out of a resource for a moment; try again.
   * @example
   * ```js
   * import { mapAnonymous, MADV, pageSize } from 'mman'
   *
   * const m = mapAnonymous(4 * pageSize)
   * m.bytes().fill(1)
   * m.advise(MADV.DONTNEED, { offset: 2 * pageSize }) // the last two pages are dropped: they read zeros now
   * console.log(m.residency().bitmap, m.bytes()[3 * pageSize])
   * ```
   *
   * ```text
   * Uint8Array(4) [ 1, 1, 0, 0 ] 0
   * ```
   */
  advise(advice: number, range?: Range): void {
    operations.advise(this.#region, this.#pages(optionsObject<Range>(range)), advice)
  }

  /**
   * msync(2): writes dirty pages of a shared file mapping back to the file.
   * Blocks until done unless `async` (MS.ASYNC); see syncAsync().
   * @param options The range (default: all); `async: true` for MS.ASYNC, `invalidate: true` adds MS.INVALIDATE.
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped.
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `options` is not an object, its `offset` or `length` is not a number or
   *   bigint, or its `async` or `invalidate` is not a boolean.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `offset` is negative, fractional or past the end of the mapping, or `length`
   *   reaches past it.
   * - {@link SyscallError} `EBUSY` (`msync`): `invalidate` on pages that are locked (lock()).
   * - {@link SyscallError} `EIO` (`msync`): the file system failed to write the pages back.
   * @example
   * ```js
   * import { mapFile } from 'mman'
   * import { readFileSync, writeFileSync } from 'node:fs'
   *
   * writeFileSync('note.txt', 'hello')
   * const m = mapFile('note.txt', { mode: 'rw' })
   * m.bytes().set(Buffer.from('HELLO'))
   * m.sync() // written to the file when it returns
   * console.log(readFileSync('note.txt', 'utf8'))
   * ```
   *
   * ```text
   * HELLO
   * ```
   */
  sync(options?: Range & { async?: boolean; invalidate?: boolean }): void {
    const opts = optionsObject<Range & { async?: boolean; invalidate?: boolean }>(options)
    operations.sync(this.#region, this.#pages(opts), syncOptionFlags(opts))
  }

  /**
   * msync(MS_SYNC) on the libuv thread pool: the event loop keeps running while pages are written.
   * @param range The part of the mapping, in bytes from its start (default: all of it); calls round it out to whole pages.
   * @throws The promise rejects with:
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped.
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `range` is not an object, or its `offset` or `length` is not a number or
   *   bigint.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `offset` is negative, fractional or past the end of the mapping, or `length`
   *   reaches past it.
   * - {@link SyscallError} `EIO` (`msync`): the file system failed to write the pages back.
   * @example
   * ```js
   * import { mapFile } from 'mman'
   * import { readFileSync, writeFileSync } from 'node:fs'
   *
   * writeFileSync('note.txt', 'hello')
   * const m = mapFile('note.txt', { mode: 'rw' })
   * m.bytes()[0] = 0x4a
   * await m.syncAsync()
   * console.log(readFileSync('note.txt', 'utf8'))
   * ```
   *
   * ```text
   * Jello
   * ```
   */
  async syncAsync(range?: Range): Promise<void> {
    await operations.syncAsync(this.#region, this.#pages(optionsObject<Range>(range)), MS.SYNC)
  }

  /**
   * Faults the pages of a range in now (MADV_POPULATE_READ/WRITE), so later
   * access takes no page faults. `write` defaults to true for writable
   * mappings, except copy-on-write file mappings (writing would copy every page).
   * @param options The range (default: all); `write` faults pages in writable (MADV_POPULATE_WRITE).
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped, or the kernel has no MADV_POPULATE_READ/WRITE (before
   *   Linux 5.14).
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `options` is not an object, its `offset` or `length` is not a number or
   *   bigint, or its `write` is not a boolean.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `offset` is negative, fractional or past the end of the mapping, or `length`
   *   reaches past it.
   * - {@link SyscallError} `EINVAL` (`madvise`): `write: true` on pages that are not writable, or pages protected
   *   PROT.NONE.
   * - {@link SyscallError} `EFAULT` (`madvise`): the range reaches pages past the end of the mapped file (mapped
   *   with `allowBeyondEOF`, or the file shrank): touching them would raise SIGBUS.
   * - {@link SyscallError} `ENOMEM` (`madvise`): out of memory.
   * @example
   * ```js
   * import { mapAnonymous, pageSize } from 'mman'
   *
   * const m = mapAnonymous(16 * pageSize, { shared: true })
   * m.populate({ length: 4 * pageSize })
   * console.log(m.residency().resident)
   * ```
   *
   * ```text
   * 4
   * ```
   */
  populate(options?: Range & { write?: boolean }): void {
    const opts = optionsObject<Range & { write?: boolean }>(options)
    operations.advise(this.#region, this.#pages(opts), this.#populateAdvice(opts))
  }

  /**
   * populate() on the libuv thread pool.
   * @param options The range (default: all); `write` faults pages in writable (MADV_POPULATE_WRITE).
   * @throws The promise rejects with:
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped, or the kernel has no MADV_POPULATE_READ/WRITE (before
   *   Linux 5.14).
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `options` is not an object, its `offset` or `length` is not a number or
   *   bigint, or its `write` is not a boolean.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `offset` is negative, fractional or past the end of the mapping, or `length`
   *   reaches past it.
   * - {@link SyscallError} `EINVAL` (`madvise`): `write: true` on pages that are not writable, or pages protected
   *   PROT.NONE.
   * - {@link SyscallError} `EFAULT` (`madvise`): the range reaches pages past the end of the mapped file (mapped
   *   with `allowBeyondEOF`, or the file shrank): touching them would raise SIGBUS.
   * - {@link SyscallError} `ENOMEM` (`madvise`): out of memory.
   * @example
   * ```js
   * import { mapFile } from 'mman'
   * import { writeFileSync } from 'node:fs'
   *
   * writeFileSync('zeros.bin', Buffer.alloc(1 << 20))
   * const m = mapFile('zeros.bin')
   * await m.populateAsync() // page faults taken on the thread pool; reading m now takes none
   * console.log(m.residency().resident === m.residency().pages)
   * ```
   *
   * ```text
   * true
   * ```
   */
  async populateAsync(options?: Range & { write?: boolean }): Promise<void> {
    const opts = optionsObject<Range & { write?: boolean }>(options)
    await operations.adviseAsync(this.#region, this.#pages(opts), this.#populateAdvice(opts))
  }

  /**
   * mincore(2): which pages of a range are resident.
   * @param range The part of the mapping, in bytes from its start (default: all of it); calls round it out to whole pages.
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped.
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `range` is not an object, or its `offset` or `length` is not a number or
   *   bigint.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `offset` is negative, fractional or past the end of the mapping, or `length`
   *   reaches past it.
   * - {@link SyscallError} `EAGAIN` (`mincore`): the kernel ran out of a resource for a moment; try again.
   * @example
   * ```js
   * import { mapAnonymous, pageSize } from 'mman'
   *
   * const m = mapAnonymous(8 * pageSize, { shared: true }) // no transparent huge page fills the rest
   * m.bytes()[0] = 1
   * const { pages, resident, bitmap } = m.residency()
   * console.log(pages, resident, bitmap[0], m.residency({ offset: pageSize }).pages)
   * ```
   *
   * ```text
   * 8 1 1 7
   * ```
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
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped.
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `options` is not an object, its `offset` or `length` is not a number or
   *   bigint, or its `onFault` is not a boolean.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `offset` is negative, fractional or past the end of the mapping, or `length`
   *   reaches past it.
   * - {@link SyscallError} `ENOMEM` (`mlock`): locking would pass RLIMIT_MEMLOCK (without CAP_IPC_LOCK), the
   *   pages include PROT.NONE ones, or splitting the mapping would pass vm.max_map_count.
   * - {@link SyscallError} `EPERM` (`mlock`): RLIMIT_MEMLOCK is 0 and the process lacks CAP_IPC_LOCK.
   * - {@link SyscallError} `EAGAIN` (`mlock`): some of the pages could not be locked.
   * @example
   * ```js
   * import { mapAnonymous, pageSize } from 'mman'
   *
   * const m = mapAnonymous(4 * pageSize, { shared: true })
   * m.lock({ onFault: true }) // pages are locked as they are touched
   * m.bytes()[0] = 1
   * console.log(m.residency().resident, m.stats().byVma[0].sizes.Locked)
   * ```
   *
   * ```text
   * 1 4096
   * ```
   */
  lock(options?: Range & { onFault?: boolean }): void {
    const opts = optionsObject<Range & { onFault?: boolean }>(options)
    const onFault = flag(opts.onFault, 'options.onFault')
    operations.lock(this.#region, this.#pages(opts), onFault ? MLOCK.ONFAULT : 0)
  }

  /**
   * munlock(2) the pages of a range.
   * @param range The part of the mapping, in bytes from its start (default: all of it); calls round it out to whole pages.
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped.
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `range` is not an object, or its `offset` or `length` is not a number or
   *   bigint.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `offset` is negative, fractional or past the end of the mapping, or `length`
   *   reaches past it.
   * - {@link SyscallError} `ENOMEM` (`munlock`): splitting the mapping would pass vm.max_map_count.
   * @example
   * ```js
   * import { mapAnonymous, pageSize } from 'mman'
   *
   * const m = mapAnonymous(2 * pageSize, { shared: true })
   * m.lock()
   * m.unlock({ offset: pageSize })
   * console.log(m.stats().byVma.map((vma) => vma.sizes.Locked))
   * ```
   *
   * ```text
   * [ 4096, 0 ]
   * ```
   */
  unlock(range?: Range): void {
    operations.unlock(this.#region, this.#pages(optionsObject<Range>(range)))
  }

  /**
   * mremap(2): resizes the mapping to `newLength` bytes; it may move. Every
   * view taken before is detached; take new ones (buffer, bytes(), window()).
   * @param newLength The new length in bytes (> 0).
   * @param policy `allowBeyondEOF: true` lets a file mapping grow past the file's current size.
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped.
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `newLength` is not a number or bigint, or `policy` is not an object or its
   *   `allowBeyondEOF` not a boolean.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `newLength` is below 1, fractional or above 2^53 - 1, or a file mapping would
   *   grow past end-of-file without `allowBeyondEOF`.
   * - {@link SyscallError} `EINVAL` (`mremap`): growing shared anonymous or device memory (its kernel object keeps
   *   its size), or a length beyond the address space.
   * - {@link SyscallError} `EBUSY` (`mremap`): the mapping has MAP.FIXED mappings inside it, an async call on it has
   *   not finished, it has SharedArrayBuffer views (they cannot follow a move), or views that may still be in use
   *   pin its old range and this kernel cannot move it without unmapping that (MREMAP_DONTUNMAP).
   * - {@link SyscallError} `ENOMEM` (`mremap`): no room to grow in place or elsewhere, or the process has
   *   vm.max_map_count mappings.
   * - {@link SyscallError} `EAGAIN` (`mremap`): the mapping is locked and growing it would pass RLIMIT_MEMLOCK.
   * @example
   * ```js
   * import { mapAnonymous } from 'mman'
   *
   * const m = mapAnonymous(4096)
   * const before = m.bytes()
   * before[0] = 7
   * m.remap(1 << 20)
   * console.log(before.length, m.length, m.bytes()[0]) // the old view is detached, the contents kept
   * ```
   *
   * ```text
   * 0 1048576 7
   * ```
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
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped, or is a file mapping not in mode 'rw' (its file may not
   *   change).
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `newLength` is not a number or bigint.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `newLength` is below 1, fractional or above 2^53 - 1.
   * - {@link SyscallError} `EPERM` (`ftruncate`): the file is a memfd sealed against growing or shrinking.
   * - {@link SyscallError} `EFBIG` (`ftruncate`): the file would be larger than its file system allows.
   * - {@link SyscallError} `EINVAL` (`mremap`): growing shared anonymous or device memory (its kernel object keeps
   *   its size), or a length beyond the address space.
   * - {@link SyscallError} `EBUSY` (`mremap`): the mapping has MAP.FIXED mappings inside it, an async call on it has
   *   not finished, it has SharedArrayBuffer views (they cannot follow a move), or views that may still be in use
   *   pin its old range and this kernel cannot move it without unmapping that (MREMAP_DONTUNMAP).
   * - {@link SyscallError} `ENOMEM` (`mremap`): no room to grow in place or elsewhere, or the process has
   *   vm.max_map_count mappings.
   * - {@link SyscallError} `EAGAIN` (`mremap`): the mapping is locked and growing it would pass RLIMIT_MEMLOCK.
   * @example
   * ```js
   * import { mapFile } from 'mman'
   * import { readFileSync, writeFileSync } from 'node:fs'
   *
   * writeFileSync('log.txt', 'one\n')
   * const m = mapFile('log.txt', { mode: 'rw' })
   * m.resize(8) // the file grows with the mapping
   * m.bytes(4).set(Buffer.from('two\n'))
   * m.unmap()
   * console.log(JSON.stringify(readFileSync('log.txt', 'utf8')))
   * ```
   *
   * ```text
   * "one\ntwo\n"
   * ```
   */
  resize(newLength: number): this {
    this.#live()
    const length = integer(newLength, 'newLength', 1)
    const region = this.#region
    if (region.backing !== 'file') return this.remap(length)
    if (!this.#writesFile)
      throw invalidState("resize() changes the file, which this mapping does not write: map it with mode 'rw'")
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
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped.
   * - {@link SyscallError} `ENOENT` (`open`): /proc is not mounted.
   * @example
   * ```js
   * import { mapAnonymous, PROT, pageSize } from 'mman'
   *
   * const m = mapAnonymous(2 * pageSize, { shared: true })
   * m.protect(PROT.READ, { length: pageSize }) // one mapping, two VMAs now
   * console.log(m.vmas().map((vma) => `${vma.perms} ${vma.end - vma.start}`))
   * ```
   *
   * ```text
   * [ 'r--s 4096', 'rw-s 4096' ]
   * ```
   */
  vmas(): Vma[] {
    const { start, end } = this.#addressRange()
    return vmasIn(start, end)
  }

  /**
   * /proc/self/smaps accounting (Rss, Pss, Private_Dirty, AnonHugePages, ...)
   * of this mapping's VMAs, in bytes. `exact` is false when the kernel merged
   * a neighbouring mapping into one of them, whose pages are then counted too.
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the mapping was unmapped.
   * - {@link SyscallError} `ENOENT` (`open`): /proc is not mounted.
   * @example
   * ```js
   * import { mapAnonymous, pageSize } from 'mman'
   *
   * const m = mapAnonymous(16 * pageSize, { shared: true }) // shared anonymous VMAs never merge with neighbours
   * m.bytes(0, 4 * pageSize).fill(1)
   * const stats = m.stats()
   * console.log(stats.size / pageSize, stats.rss / pageSize, stats.exact, stats.flags.codes.includes('sh'))
   * ```
   *
   * ```text
   * 16 4 true true
   * ```
   */
  stats(): MemoryStats {
    const { start, end } = this.#addressRange()
    return smapsStats(start, end)
  }

  /**
   * munmap(2). Detaches every view first. Calling it again does nothing.
   * @throws
   * - {@link SyscallError} `EBUSY` (`munmap`): an async call on the mapping (syncAsync(), populateAsync(), or
   *   msyncAsync() or madviseAsync() on a view of it) has not finished.
   * - {@link SyscallError} `ENOMEM` (`munmap`): the kernel would not map the zero-filled range mman leaves where a
   *   view may still point (at vm.max_map_count, or under strict overcommit).
   * @example
   * ```js
   * import { mapAnonymous } from 'mman'
   *
   * const m = mapAnonymous(4096)
   * const bytes = m.bytes()
   * m.unmap()
   * m.unmap() // does nothing
   * console.log(m.unmapped, bytes.length)
   * ```
   *
   * ```text
   * true 0
   * ```
   */
  unmap(): void {
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
   * @throws
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `done` is neither a promise nor a stream (thrown at once).
   * - {@link SyscallError} `ENOMEM` (`munmap`): as unmap() (the promise rejects with it). An async call on the
   *   mapping still running then (unmap()'s EBUSY) is waited for: the mapping is unmapped as the last of them
   *   settles, before its caller goes on.
   * @example
   * ```js
   * import { mapFile } from 'mman'
   * import { createWriteStream, readFileSync, writeFileSync } from 'node:fs'
   *
   * writeFileSync('hello.txt', 'hello, mapped world')
   * const m = mapFile('hello.txt')
   * const out = createWriteStream('copy.txt')
   * out.end(m.bytes()) // written from the mapping in place, after end() returns
   * await m.unmapAfter(out)
   * console.log(readFileSync('copy.txt', 'utf8'), m.unmapped)
   * ```
   *
   * ```text
   * hello, mapped world true
   * ```
   */
  unmapAfter(done: Completion): Promise<void> {
    return whenDone(done, 'done').then(() =>
      unmapOnceIdle(
        () => this.unmap(),
        (listener) => this.#region.onAsyncSettled(listener),
      ),
    )
  }

  /**
   * unmap(), for `using`: the mapping is unmapped when the block ends.
   * @throws
   * - {@link SyscallError} `EBUSY`, `ENOMEM` (`munmap`): as unmap().
   * @example Node ≥ 24, which has using declarations
   * ```js
   * import { mapAnonymous } from 'mman'
   *
   * let kept
   * {
   *   using m = mapAnonymous(4096)
   *   kept = m
   *   console.log(m.unmapped)
   * }
   * console.log(kept.unmapped)
   * ```
   *
   * ```text
   * false
   * true
   * ```
   */
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
    if (range.length !== undefined)
      return { offset, length: integer(range.length, 'length', 0, Math.min(rest, maxLength)) }
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
    return this.#length <= MAX_VIEW_LENGTH
      ? Buffer.from(this.buffer, offset, length)
      : Buffer.from(this.window(offset, length))
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
    const write =
      opts.write === undefined
        ? (this.#prot & PROT.WRITE) !== 0 && !copyOnWriteFile
        : boolean(opts.write, 'options.write')
    return write ? MADV.POPULATE_WRITE : MADV.POPULATE_READ
  }
}

/** MS flags from sync()'s options. */
function syncOptionFlags(opts: { async?: boolean; invalidate?: boolean }): number {
  const async = flag(opts.async, 'options.async')
  const invalidate = flag(opts.invalidate, 'options.invalidate')
  return (async ? MS.ASYNC : MS.SYNC) | (invalidate ? MS.INVALIDATE : 0)
}
