// The three ways to make a Mapping: a file (by path or fd), anonymous
// memory, and the general mmap(2) form.
import { closeSync, constants as fsConstants, openSync } from 'node:fs'
import { invalidArgValue, outOfRange } from './errors.js'
import { KNOWN_MADV_VALUES, MADV, MAP, PROT } from './constants.js'
import { Mapping } from './mapping.js'
import { mapRegion } from './region/map.js'
import { mapPolicy, mappableFile, type MapPolicy } from './region/policy.js'
import { fileDescriptor, flag, integer, oneOf, options as optionsObject } from './validate.js'

/** Options of mapFile(). */
export interface MapFileOptions {
  /** 'r' read-only (default), 'rw' read-write shared with the file, 'cow' private copy-on-write. */
  mode?: 'r' | 'rw' | 'cow'
  /** File offset to map from; need not be page-aligned. */
  offset?: number
  /** Bytes to map (default: the rest of the file). */
  length?: number
  /** Fault every page in at map time (MAP_POPULATE). */
  populate?: boolean
  /** madvise() advice to apply right away, e.g. MADV.SEQUENTIAL. */
  advice?: number
  /** Allow mapping past end-of-file, where access raises SIGBUS. */
  allowBeyondEOF?: boolean
}

const { O_RDONLY, O_RDWR, O_NONBLOCK } = fsConstants
const FILE_MODES = {
  r: { open: O_RDONLY, prot: PROT.READ, share: MAP.SHARED },
  rw: { open: O_RDWR, prot: PROT.READ | PROT.WRITE, share: MAP.SHARED },
  cow: { open: O_RDONLY, prot: PROT.READ | PROT.WRITE, share: MAP.PRIVATE },
} as const

/**
 * Maps a file (by path, or an open fd the caller keeps owning). A path is
 * opened for the call, and `fd` of the mapping is -1; a caller's fd may be
 * closed at once. Either way the mapping keeps a duplicate of the fd open
 * until unmap() (so a file deleted meanwhile keeps its space until then).
 * @param file A path (string, Buffer or file: URL) or an open file descriptor.
 * @param options The mode ('r', 'rw', 'cow'), the part of the file, and what to do at map time.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `file` is not a string, Buffer, URL or number (a URL of another scheme than
 *   file: is Node's own TypeError), `options` is not an object, or an option has the wrong type.
 * - `RangeError` `ERR_OUT_OF_RANGE`: an fd, `offset` or `length` is negative, fractional, NaN or infinite, or
 *   `length` is 0; the mapping reaches past end-of-file without `allowBeyondEOF`; `length` is left out and
 *   `offset` is at or past the end of the file.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `mode` is not 'r', 'rw' or 'cow'; `advice` is not an MADV value; `length`
 *   is left out and the file is empty, or is a device (which has no size to map).
 * - {@link SyscallError} `ENOENT`, `EACCES`, `EISDIR`, `EROFS`, `ETXTBSY`, `ELOOP`, `ENAMETOOLONG`, `EMFILE`
 *   (`open`): opening the path failed, as fs.openSync() says: no such file, no permission for the mode, a directory
 *   or a read-only file system with 'rw', 'rw' on a program being run, a symlink loop, a name too long, no free
 *   file descriptor.
 * - {@link SyscallError} `EBADF` (`mmap`): the fd is not open.
 * - {@link SyscallError} `ENODEV` (`mmap`): a directory, FIFO or socket, or a file of a file system that cannot
 *   map (as /proc and /sys files).
 * - {@link SyscallError} `EACCES` (`mmap`): the fd is not open for reading, or (mode 'rw') not for writing, or the
 *   file is append-only (chattr +a).
 * - {@link SyscallError} `EPERM` (`mmap`): mode 'rw' on a memfd sealed against writing.
 * - {@link SyscallError} `ENOMEM` (`mmap`): no room in the address space, or the process has vm.max_map_count
 *   mappings.
 * - {@link SyscallError} `EMFILE`, `ENFILE` (`mmap`): no file descriptor is free for the duplicate the mapping keeps.
 * - {@link SyscallError} `EINVAL`, `EACCES` (`madvise`): `advice` does not apply to a file mapping of this mode
 *   (MADV.FREE and MADV.WIPEONFORK never do, MADV.REMOVE needs mode 'rw', MADV.POPULATE_WRITE mode 'rw' or
 *   'cow').
 * @example
 * ```js
 * import { mapFile } from 'mman'
 * import { writeFileSync } from 'node:fs'
 *
 * writeFileSync('hello.txt', 'hello, mapped world')
 * const m = mapFile('hello.txt')
 * console.log(m.length, Buffer.from(m.bytes()).toString())
 * m.unmap()
 * ```
 *
 * ```text
 * 19 hello, mapped world
 * ```
 * @example Modes and offsets
 * ```js
 * import { mapFile } from 'mman'
 * import { readFileSync, writeFileSync } from 'node:fs'
 *
 * writeFileSync('hello.txt', 'hello, mapped world')
 * const rw = mapFile('hello.txt', { mode: 'rw', offset: 7, length: 6 }) // an offset need not be page-aligned
 * rw.bytes().set(Buffer.from('MAPPED'))
 * rw.sync()
 * rw.unmap()
 * const cow = mapFile('hello.txt', { mode: 'cow' })
 * cow.bytes()[0] = 0x48 // stays in this process
 * console.log(readFileSync('hello.txt', 'utf8'), Buffer.from(cow.bytes(0, 5)).toString())
 * ```
 *
 * ```text
 * hello, MAPPED world Hello
 * ```
 * @example What it throws
 * ```js
 * import { mapFile } from 'mman'
 * import { writeFileSync } from 'node:fs'
 *
 * writeFileSync('small.txt', 'tiny')
 * const attempts = [['missing.txt'], ['.'], ['small.txt', { length: 4096 }], ['small.txt', { mode: 'w' }]]
 * for (const [file, options] of attempts) {
 *   try {
 *     mapFile(file, options)
 *   } catch (error) {
 *     console.log(error.name, error.code, error.syscall ?? '')
 *   }
 * }
 * ```
 *
 * ```text
 * Error ENOENT open
 * Error ENODEV mmap
 * RangeError ERR_OUT_OF_RANGE
 * TypeError ERR_INVALID_ARG_VALUE
 * ```
 */
export function mapFile(file: string | Buffer | URL | number, options?: MapFileOptions): Mapping {
  const opts = optionsObject<MapFileOptions>(options)
  const mode = opts.mode === undefined ? 'r' : opts.mode
  if (typeof mode !== 'string' || !Object.hasOwn(FILE_MODES, mode))
    throw invalidArgValue('options.mode', mode, "must be 'r', 'rw' or 'cow'")
  const { open, prot, share } = FILE_MODES[mode]
  const offset = opts.offset === undefined ? 0 : integer(opts.offset, 'options.offset', 0)
  const populate = flag(opts.populate, 'options.populate')
  const advice =
    opts.advice === undefined ? undefined : oneOf(opts.advice, 'options.advice', KNOWN_MADV_VALUES, 'MADV value')
  const ownsFd = typeof file !== 'number'
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer, blocking the whole process.
  const fd = ownsFd ? openSync(file, open | O_NONBLOCK) : fileDescriptor(file, 'file')
  try {
    const stat = mappableFile(fd)
    let length = opts.length
    if (length === undefined) {
      if (stat.kind !== 'file')
        throw invalidArgValue('options.length', length, `is needed: a ${stat.kind} has no size to map`)
      if (stat.size === 0) {
        throw invalidArgValue(
          'file',
          file,
          'is an empty file: there is nothing to map (write to it first, or pass options.length with allowBeyondEOF)',
        )
      }
      if (offset >= stat.size) {
        throw outOfRange('options.offset', `< ${stat.size} (the file size) to map the rest of the file`, offset)
      }
      length = stat.size - offset
    }
    const mapped = mapRegion({
      addr: null,
      length,
      prot,
      flags: share | (populate ? MAP.POPULATE : 0),
      fd,
      offset,
      allowBeyondEOF: opts.allowBeyondEOF,
      file: stat,
    })
    const mapping = new Mapping(mapped, ownsFd ? -1 : fd)
    return advice === undefined ? mapping : advised(mapping, advice)
  } finally {
    if (ownsFd) closeSync(fd)
  }
}

/** Options of mapAnonymous(). */
export interface MapAnonymousOptions {
  /** MAP_SHARED (survives fork, seen by child processes) instead of MAP_PRIVATE. */
  shared?: boolean
  /** true: transparent huge pages (MADV_HUGEPAGE); 'hugetlb': MAP_HUGETLB from the reserved pool. */
  hugePages?: boolean | 'hugetlb'
  /** Fault every page in at map time (MAP_POPULATE). */
  populate?: boolean
  /** Do not reserve swap for it (MAP_NORESERVE). */
  noReserve?: boolean
}

/**
 * Maps zero-filled memory backed by no file.
 * @param length Bytes to map (> 0); the kernel rounds it up to whole pages.
 * @param options Shared or private, huge pages, populate now, no swap reservation.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `length` is not a number or bigint, `options` is not an object, or
 *   `shared`, `populate` or `noReserve` is not a boolean.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `length` is below 1, fractional, NaN, infinite or above 2^53 - 1.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `hugePages` is not true, false or 'hugetlb'.
 * - {@link SyscallError} `ENOMEM` (`mmap`): no room in the address space, the kernel will not commit that much
 *   memory (see `noReserve`), the process has vm.max_map_count mappings, or 'hugetlb' finds too few free huge
 *   pages (see /proc/sys/vm/nr_hugepages).
 * - {@link SyscallError} `EINVAL` (`madvise`): `hugePages: true`, and this kernel has no transparent huge pages.
 * @example
 * ```js
 * import { mapAnonymous } from 'mman'
 *
 * const m = mapAnonymous(1 << 20)
 * const words = new Float64Array(m.buffer)
 * words[0] = Math.PI
 * console.log(m.length, words[0], words[1]) // zero-filled
 * m.unmap()
 * ```
 *
 * ```text
 * 1048576 3.141592653589793 0
 * ```
 * @example Larger than one ArrayBuffer
 * ```js
 * import { mapAnonymous } from 'mman'
 *
 * // 8 GiB of address space: pages cost memory only once touched, and noReserve reserves no swap for them.
 * const m = mapAnonymous(8 * 2 ** 30, { shared: true, noReserve: true })
 * const last = new Uint8Array(m.window(m.length - 4096, 4096))
 * last[4095] = 1
 * console.log(m.residency().resident)
 * m.unmap()
 * ```
 *
 * ```text
 * 1
 * ```
 */
export function mapAnonymous(length: number, options?: MapAnonymousOptions): Mapping {
  const opts = optionsObject<MapAnonymousOptions>(options)
  const bitIf = (name: 'shared' | 'populate' | 'noReserve', bit: number) =>
    flag(opts[name], `options.${name}`) ? bit : 0
  const hugePages = opts.hugePages
  if (hugePages !== undefined && hugePages !== 'hugetlb' && typeof hugePages !== 'boolean') {
    throw invalidArgValue('options.hugePages', hugePages, "must be true, false or 'hugetlb'")
  }
  const flags =
    (bitIf('shared', MAP.SHARED) || MAP.PRIVATE) |
    MAP.ANONYMOUS |
    bitIf('populate', MAP.POPULATE) |
    bitIf('noReserve', MAP.NORESERVE) |
    (hugePages === 'hugetlb' ? MAP.HUGETLB : 0)
  const mapping = new Mapping(mapRegion({ addr: null, length, prot: PROT.READ | PROT.WRITE, flags, fd: -1, offset: 0 }))
  return hugePages === true ? advised(mapping, MADV.HUGEPAGE) : mapping
}

/** The new mapping with `advice` applied; if the kernel refuses it, the mapping is unmapped before the error is thrown, not left to the collector. */
function advised(mapping: Mapping, advice: number): Mapping {
  try {
    mapping.advise(advice)
  } catch (error) {
    mapping.unmap()
    throw error
  }
  return mapping
}

/**
 * The general form: mmap(2) as a Mapping, for any length (views go through
 * window()). `addrHint` is a hint unless MAP.FIXED is set, which is accepted
 * only inside a mapping mman owns.
 * @param length Bytes to map (> 0), any size: views of mappings larger than one ArrayBuffer go through window().
 * @param prot PROT bits (WRITE with EXEC needs `policy.allowWriteExec`).
 * @param flags MAP bits: exactly one of MAP.SHARED, MAP.PRIVATE or MAP.SHARED_VALIDATE, plus modifiers.
 * @param fd The file to map, or -1 with MAP.ANONYMOUS.
 * @param offset Where in the file the mapping starts; need not be page-aligned.
 * @param addrHint Where the mapping should start: a hint (`null` for anywhere), or with MAP.FIXED a place inside a mapping mman owns.
 * @param policy What mman refuses unless asked: write+exec pages, mapping past end-of-file.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `length`, `prot`, `flags`, `fd` or `offset` is not a number or bigint,
 *   `addrHint` is neither that nor null, or `policy` is not an object or has a switch that is not a boolean.
 * - `RangeError` `ERR_OUT_OF_RANGE`: a number is negative (`fd` below -1), fractional, NaN or infinite, or
 *   `length` is 0; a file mapping reaches past end-of-file without `allowBeyondEOF`.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `prot` or `flags` has bits this system does not define; `prot` has
 *   PROT.WRITE and PROT.EXEC without `allowWriteExec`; with MAP.FIXED, `addrHint` is not page-aligned, not inside a
 *   mapping mman made, or overlaps a MAP.FIXED mapping placed there before.
 * - {@link SyscallError} `EBADF` (`mmap`): `fd` is not open, or is -1 without MAP.ANONYMOUS.
 * - {@link SyscallError} `ENODEV` (`mmap`): `fd` is a directory, FIFO or socket, or a file of a file system that
 *   cannot map (as /proc and /sys files).
 * - {@link SyscallError} `EACCES` (`mmap`): `fd` is not open for reading, MAP.SHARED asks for PROT.WRITE and `fd`
 *   is not open for writing, or the file is append-only (chattr +a).
 * - {@link SyscallError} `EPERM` (`mmap`): PROT.EXEC on a file system mounted noexec, or MAP.SHARED with PROT.WRITE
 *   on a memfd sealed against writing.
 * - {@link SyscallError} `EINVAL` (`mmap`): `flags` has none of MAP.SHARED, MAP.PRIVATE and MAP.SHARED_VALIDATE, or
 *   flags the kernel refuses here (MAP.HUGETLB on a file, a huge page size it does not have, an unaligned
 *   MAP.FIXED_NOREPLACE address).
 * - {@link SyscallError} `ENOTSUP` (`mmap`): MAP.SHARED_VALIDATE with a flag this file does not support (MAP.SYNC
 *   off DAX storage).
 * - {@link SyscallError} `EEXIST` (`mmap`): MAP.FIXED_NOREPLACE, and something is mapped there.
 * - {@link SyscallError} `ENOMEM` (`mmap`): no room in the address space, the process has vm.max_map_count mappings,
 *   the kernel will not commit that much memory, or MAP.HUGETLB finds too few free huge pages.
 * - {@link SyscallError} `EAGAIN` (`mmap`): MAP.LOCKED would lock more than RLIMIT_MEMLOCK allows.
 * - {@link SyscallError} `EMFILE`, `ENFILE` (`mmap`): no file descriptor is free for the duplicate of `fd` a file
 *   mapping keeps.
 * @example A reservation, and a mapping placed inside it
 * ```js
 * import { map, MAP, PROT } from 'mman'
 *
 * const reserved = map(1 << 20, PROT.NONE, MAP.PRIVATE | MAP.ANONYMOUS | MAP.NORESERVE, -1)
 * const page = map(4096, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED, -1, 0, reserved.address + 65536n)
 * page.bytes()[0] = 1
 * console.log(page.address - reserved.address, page.bytes()[0])
 * reserved.unmap() // and what was placed inside it
 * console.log(page.unmapped)
 * ```
 *
 * ```text
 * 65536n 1
 * true
 * ```
 */
export function map(
  length: number,
  prot: number,
  flags: number,
  fd: number,
  offset: number | bigint = 0,
  addrHint: bigint | null = null,
  policy?: MapPolicy,
): Mapping {
  return new Mapping(mapRegion({ addr: addrHint, length, prot, flags, fd, offset, ...mapPolicy(policy) }))
}
