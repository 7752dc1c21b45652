// The one place where memory gets mapped, shared by mmap() and the Mapping
// constructors: arguments checked, policy applied, unaligned file offsets
// handled (the kernel maps from the page boundary, the caller's bytes start
// `delta` in).
import { check, errno, syscallError } from '../errors.js'
import { KNOWN_MAP_BITS, MAP } from '../constants.js'
import { native } from '../native.js'
import { addressHint, bits, integer, mappingLength } from '../validate.js'
import { roundDownToPage, roundUpToPage } from './pages.js'
import {
  checkPolicy,
  fixedRefusal,
  mappableFile,
  protection,
  refuseBeyondEOF,
  type MapPolicy,
  type MappableFile,
} from './policy.js'
import { Region, type Keeper } from './region.js'
import { spendVmas } from './vma-budget.js'

export interface MapRequest extends MapPolicy {
  addr: unknown
  length: unknown
  prot: unknown
  flags: unknown
  fd: unknown
  offset: unknown
  /** The fd's fstat, when the caller already has it. */
  file?: MappableFile
  /** What keeps the region mapped (default: the Region object, until collected). */
  keeper?: Keeper
}

/** A fresh mapping: the region, and where the caller's bytes start in it. */
export interface MappedRegion {
  region: Region
  /** Bytes between the page boundary the kernel mapped from and the requested offset. */
  delta: number
  length: number
  prot: number
  flags: number
  fd: number
  offset: number
}

export function mapRegion(request: MapRequest): MappedRegion {
  checkPolicy(request)
  const addr = addressHint(request.addr)
  const length = mappingLength(request.length)
  const prot = protection(request.prot, request)
  const flags = bits(request.flags, 'flags', KNOWN_MAP_BITS, 'MAP')
  const fd = integer(request.fd, 'fd', -1, 0x7fffffff)
  const offset = integer(request.offset, 'offset', 0)
  const delta = offset - roundDownToPage(offset)
  let fileSize: number | undefined
  if ((flags & MAP.ANONYMOUS) === 0) {
    // A closed or bad fd is the mapping's failure, so it is reported as mmap's.
    if (fd < 0)
      throw syscallError(errno('EBADF'), 'mmap', 'a file mapping needs an open fd; pass MAP.ANONYMOUS for memory')
    const file = request.file ?? mappableFile(fd)
    if (file.kind === 'file') fileSize = file.size
    if (fileSize !== undefined && request.allowBeyondEOF !== true) refuseBeyondEOF(fileSize, offset, length)
  }
  // MAP_FIXED splits the reservation it lands in.
  spendVmas(flags & MAP.FIXED ? 2 : 1, 'mmap')
  const result = native.mmap(addr, length + delta, prot, flags, fd, offset - delta, fileSize !== undefined)
  if (typeof result === 'string') throw fixedRefusal(addr, result)
  const handle = check(result, 'mmap')
  const backing = fileSize !== undefined ? 'file' : flags & MAP.SHARED ? 'shmem' : 'private'
  const region = new Region(handle, roundUpToPage(length + delta), 'mapped', backing, offset - delta, request.keeper)
  return { region, delta, length, prot, flags, fd, offset }
}
