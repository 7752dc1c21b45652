// The one place where memory gets mapped: validation, the W^X and
// end-of-file policies, unaligned offsets and MAP_FIXED ownership, shared by
// mmap() and the Mapping constructors.
import { check, errno, invalidArgValue, outOfRange, syscallError } from './errors.js'
import { KNOWN_MAP_BITS, KNOWN_PROT_BITS, MAP, PROT, pageSize } from './constants.js'
import { fstatRaw, type FileKind } from './fstat.js'
import { native } from './native.js'
import { Region } from './region.js'
import { addressHint, bits, boolean, integer, mappingLength } from './validate.js'

/** Policy switches that the syscall layer and the object layer both accept. */
export interface MapPolicy {
  /** Allow PROT.WRITE | PROT.EXEC together (refused by default: W^X). */
  allowWriteExec?: boolean
  /** Allow a file mapping to reach past end-of-file, where access raises SIGBUS. */
  allowBeyondEOF?: boolean
}

export interface MapRequest extends MapPolicy {
  addr: unknown
  length: unknown
  prot: unknown
  flags: unknown
  fd: unknown
  offset: unknown
  /** The fd's fstat, when the caller already has it. */
  file?: MappableFile
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

export function protection(value: unknown, policy: MapPolicy, name = 'prot'): number {
  const prot = bits(value, name, KNOWN_PROT_BITS, 'PROT')
  if (prot & PROT.WRITE && prot & PROT.EXEC && policy.allowWriteExec !== true) {
    throw invalidArgValue(
      name,
      value,
      'asks for PROT.WRITE | PROT.EXEC together, which is refused (W^X): write the code, then ' +
        'mprotect() it to PROT.READ | PROT.EXEC, or pass { allowWriteExec: true }',
    )
  }
  return prot
}

export function checkPolicy(policy: MapPolicy): void {
  if (policy.allowWriteExec !== undefined) boolean(policy.allowWriteExec, 'options.allowWriteExec')
  if (policy.allowBeyondEOF !== undefined) boolean(policy.allowBeyondEOF, 'options.allowBeyondEOF')
}

/** What an fd to be mapped refers to: a regular file (with its size) or a device. */
export interface MappableFile {
  kind: FileKind | undefined
  size: number
}

const UNMAPPABLE: ReadonlySet<FileKind | undefined> = new Set(['directory', 'fifo', 'socket', 'symbolic link'])

/** fstat of an fd about to be mapped; what the kernel cannot map (FIFOs, sockets, directories) fails here, as ENODEV. */
export function mappableFile(fd: number): MappableFile {
  const file = fstatRaw(fd, 'mmap')
  if (UNMAPPABLE.has(file.kind)) throw syscallError(errno('ENODEV'), 'mmap', `a ${file.kind ?? 'file of unknown type'} cannot be mapped`)
  return file
}

export function refuseBeyondEOF(fileSize: number, offset: number, length: number): void {
  if (offset + length > fileSize) {
    throw outOfRange(
      'length',
      `<= ${Math.max(0, fileSize - offset)} (the file has ${fileSize} bytes; offset is ${offset}). ` +
        'Pages past end-of-file raise SIGBUS when touched; pass { allowBeyondEOF: true } to map them anyway',
      length,
    )
  }
}

function checkFixedPlacement(addr: bigint, length: number): void {
  if (addr % BigInt(pageSize) !== 0n) {
    throw invalidArgValue('addr', addr, `must be a multiple of the page size (${pageSize}) with MAP.FIXED`)
  }
  const rc = native.fixedPlacement(addr, length)
  if (rc === 0) return
  const reasons: Record<string, string> = {
    EPERM:
      'is not inside a mapping made by mman: MAP.FIXED replaces whatever is mapped there, so it is only ' +
      'allowed inside a region the toolkit owns (map a PROT.NONE reservation first); use MAP.FIXED_NOREPLACE elsewhere',
    EEXIST: 'overlaps a MAP.FIXED mapping already placed there; unmap that one first',
  }
  const code = syscallError(rc, 'mmap').code
  throw invalidArgValue('addr', addr, reasons[code] ?? `was refused for MAP.FIXED (${code})`)
}

export function mapRegion(request: MapRequest): MappedRegion {
  checkPolicy(request)
  const addr = addressHint(request.addr)
  const length = mappingLength(request.length)
  const prot = protection(request.prot, request)
  const flags = bits(request.flags, 'flags', KNOWN_MAP_BITS, 'MAP')
  const anonymous = (flags & MAP.ANONYMOUS) !== 0
  const fd = integer(request.fd, 'fd', -1, 0x7fffffff)
  const offset = integer(request.offset, 'offset', 0)
  const delta = offset % pageSize
  const mapLength = length + delta
  let fileSize: number | undefined
  if (!anonymous) {
    // A closed or bad fd is the mapping's failure, so it is reported as mmap's.
    if (fd < 0) throw syscallError(errno('EBADF'), 'mmap', 'a file mapping needs an open fd; pass MAP.ANONYMOUS for memory')
    const file = request.file ?? mappableFile(fd)
    if (file.kind === 'file') fileSize = file.size
    if (fileSize !== undefined && request.allowBeyondEOF !== true) refuseBeyondEOF(fileSize, offset, length)
  }
  if (flags & MAP.FIXED) checkFixedPlacement(addr, mapLength)
  const handle = check(native.mmap(addr, mapLength, prot, flags, fd, offset - delta, fileSize !== undefined), 'mmap')
  const region = new Region(handle, Math.ceil(mapLength / pageSize) * pageSize, 'mapped')
  if (fileSize !== undefined) {
    region.backing = 'file'
    region.fileOffset = offset - delta
  } else if (flags & MAP.SHARED) {
    region.backing = 'shmem'
  }
  return { region, delta, length, prot, flags, fd, offset }
}
