// Mapping policy: what mman refuses before the kernel is asked. W^X, mapping
// or remapping past end-of-file (SIGBUS), growing memory whose kernel object
// keeps its size, files that cannot be mapped, and MAP_FIXED outside memory
// mman owns.
import { errno, invalidArgValue, outOfRange, syscallError } from '../errors.js'
import { KNOWN_PROT_BITS, PROT, pageSize } from '../constants.js'
import { fstatRaw, type FileKind } from '../fstat.js'
import { bits, boolean, options } from '../validate.js'
import type { Region } from './region.js'

/** Policy switches that the syscall layer and the object layer both accept. */
export interface MapPolicy {
  /** Allow PROT.WRITE | PROT.EXEC together (refused by default: W^X). */
  allowWriteExec?: boolean
  /** Allow a file mapping to reach past end-of-file, where access raises SIGBUS. */
  allowBeyondEOF?: boolean
}

export function checkPolicy(policy: MapPolicy): void {
  if (policy.allowWriteExec !== undefined) boolean(policy.allowWriteExec, 'options.allowWriteExec')
  if (policy.allowBeyondEOF !== undefined) boolean(policy.allowBeyondEOF, 'options.allowBeyondEOF')
}

/**
 * The switches of a caller's policy object, checked, and nothing else from it:
 * spread into a map request, its other keys would replace the request's own
 * (a `file` or `length` there skipped the end-of-file and size checks).
 */
export function mapPolicy(value: unknown, name = 'options'): MapPolicy {
  const policy = options<MapPolicy>(value, name)
  checkPolicy(policy)
  return { allowWriteExec: policy.allowWriteExec, allowBeyondEOF: policy.allowBeyondEOF }
}

/** PROT bits, with PROT.WRITE | PROT.EXEC refused unless the policy allows it (W^X). */
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

/** What an fd to be mapped refers to: a regular file (with its size) or a device. */
export interface MappableFile {
  kind: FileKind | undefined
  size: number
}

const UNMAPPABLE: ReadonlySet<FileKind | undefined> = new Set(['directory', 'fifo', 'socket', 'symbolic link'])

/** fstat of an fd about to be mapped; what the kernel cannot map (FIFOs, sockets, directories) fails here, as ENODEV. */
export function mappableFile(fd: number): MappableFile {
  const file = fstatRaw(fd, 'mmap')
  if (UNMAPPABLE.has(file.kind))
    throw syscallError(errno('ENODEV'), 'mmap', `a ${file.kind ?? 'file of unknown type'} cannot be mapped`)
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

/**
 * A remap of `region` from `currentEnd` to `newSize` bytes (both from the
 * region's start): a file mapping may not reach past the file as it is now
 * (by bytes, as mapFile() checks), and shared anonymous or device memory may
 * not grow at all.
 */
export function checkRemap(region: Region, currentEnd: number, newSize: number, policy: MapPolicy): void {
  if (region.backing === 'file' && newSize > currentEnd && policy.allowBeyondEOF !== true) {
    refuseBeyondEOF(region.fileSize('mremap'), region.fileOffset, newSize)
  }
  if (region.backing === 'shmem' && newSize > region.size) {
    throw syscallError(
      errno('EINVAL'),
      'mremap',
      'shared anonymous and device memory cannot grow: the kernel object behind it keeps its size, and touching ' +
        'the new pages would raise SIGBUS. Map a memfd and ftruncate it, or map a new region',
    )
  }
}

const FIXED_REFUSALS = {
  unaligned: `must be a multiple of the page size (${pageSize}) with MAP.FIXED`,
  'not-owned':
    'is not inside a mapping made by mman: MAP.FIXED replaces whatever is mapped there, so it is only ' +
    'allowed inside a region the toolkit owns (map a PROT.NONE reservation first); use MAP.FIXED_NOREPLACE elsewhere',
  overlaps:
    'overlaps a MAP.FIXED mapping already placed there (or one unmapped while a view of it may still be in use); ' +
    'unmap that one first',
} as const

/** The error for a MAP_FIXED placement the addon refused. */
export const fixedRefusal = (addr: bigint, reason: keyof typeof FIXED_REFUSALS): Error =>
  invalidArgValue('addr', addr, FIXED_REFUSALS[reason])
