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
 */
export function mapFile(file: string | Buffer | URL | number, options?: MapFileOptions): Mapping {
  const opts = optionsObject<MapFileOptions>(options)
  const mode = opts.mode === undefined ? 'r' : opts.mode
  if (typeof mode !== 'string' || !Object.hasOwn(FILE_MODES, mode)) throw invalidArgValue('options.mode', mode, "must be 'r', 'rw' or 'cow'")
  const { open, prot, share } = FILE_MODES[mode]
  const offset = opts.offset === undefined ? 0 : integer(opts.offset, 'options.offset', 0)
  const populate = flag(opts.populate, 'options.populate')
  const advice = opts.advice === undefined ? undefined : oneOf(opts.advice, 'options.advice', KNOWN_MADV_VALUES, 'MADV value')
  const ownsFd = typeof file !== 'number'
  // O_NONBLOCK: opening a FIFO would otherwise wait for a writer, blocking the whole process.
  const fd = ownsFd ? openSync(file, open | O_NONBLOCK) : fileDescriptor(file, 'file')
  try {
    const stat = mappableFile(fd)
    let length = opts.length
    if (length === undefined) {
      if (stat.kind !== 'file') throw invalidArgValue('options.length', length, `is needed: a ${stat.kind} has no size to map`)
      if (stat.size === 0) {
        throw invalidArgValue('file', file, 'is an empty file: there is nothing to map (write to it first, or pass options.length with allowBeyondEOF)')
      }
      if (offset >= stat.size) {
        throw outOfRange('options.offset', `< ${stat.size} (the file size) to map the rest of the file`, offset)
      }
      length = stat.size - offset
    }
    const mapped = mapRegion({
      addr: null, length, prot, flags: share | (populate ? MAP.POPULATE : 0), fd, offset,
      allowBeyondEOF: opts.allowBeyondEOF, file: stat,
    })
    const mapping = new Mapping(mapped, ownsFd ? -1 : fd)
    if (advice !== undefined) mapping.advise(advice)
    return mapping
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
 */
export function mapAnonymous(length: number, options?: MapAnonymousOptions): Mapping {
  const opts = optionsObject<MapAnonymousOptions>(options)
  const bitIf = (name: 'shared' | 'populate' | 'noReserve', bit: number) => (flag(opts[name], `options.${name}`) ? bit : 0)
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
  if (hugePages === true) mapping.advise(MADV.HUGEPAGE)
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
