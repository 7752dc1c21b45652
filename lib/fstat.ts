// fstat(2) with every field of struct stat, and memfd_create(2).
import { constants as fsConstants } from 'node:fs'
import { check, invalidArgType, invalidArgValue } from './errors.js'
import { KNOWN_MFD_BITS, MFD } from './constants.js'
import { native } from './native.js'
import { bits, fileDescriptor } from './validate.js'

/** What an fd refers to, from the S_IF* bits of st_mode (as the C headers define them, through libuv). */
export type FileKind = 'file' | 'directory' | 'fifo' | 'socket' | 'character device' | 'block device' | 'symbolic link'

const { S_IFMT, S_IFREG, S_IFDIR, S_IFIFO, S_IFSOCK, S_IFCHR, S_IFBLK, S_IFLNK } = fsConstants
const KINDS = new Map<number, FileKind>([
  [S_IFREG, 'file'],
  [S_IFDIR, 'directory'],
  [S_IFIFO, 'fifo'],
  [S_IFSOCK, 'socket'],
  [S_IFCHR, 'character device'],
  [S_IFBLK, 'block device'],
  [S_IFLNK, 'symbolic link'],
])

function fileKind(mode: number): FileKind | undefined {
  return KINDS.get(mode & S_IFMT)
}

/** Every field of `struct stat`; times as nanoseconds since the epoch, as Node's `BigIntStats` has them. */
export interface Stat {
  /** `st_dev`: the device holding the file. */
  dev: bigint
  /** `st_ino`: the inode number. */
  ino: bigint
  /** `st_mode`: file type (S_IF* bits) and permissions. */
  mode: bigint
  /** `st_nlink`: the number of hard links. */
  nlink: bigint
  /** `st_uid`: the owner's user id. */
  uid: bigint
  /** `st_gid`: the owner's group id. */
  gid: bigint
  /** `st_rdev`: the device a device file stands for. */
  rdev: bigint
  /** `st_size`: the size in bytes. */
  size: bigint
  /** `st_blksize`: the block size for efficient I/O. */
  blksize: bigint
  /** `st_blocks`: 512-byte blocks allocated. */
  blocks: bigint
  /** Last access, in nanoseconds since the epoch. */
  atimeNs: bigint
  /** Last modification of the contents, in nanoseconds since the epoch. */
  mtimeNs: bigint
  /** Last change of the inode, in nanoseconds since the epoch. */
  ctimeNs: bigint
  /** Last access in milliseconds, truncated, as in Node's `BigIntStats`. */
  atimeMs: bigint
  /** Last modification in milliseconds, truncated. */
  mtimeMs: bigint
  /** Last inode change in milliseconds, truncated. */
  ctimeMs: bigint
  /** Last access as a Date (millisecond precision). */
  atime: Date
  /** Last modification as a Date. */
  mtime: Date
  /** Last inode change as a Date. */
  ctime: Date
}

const out = new BigInt64Array(16)

/** The raw fields, for internal callers that only need kind and size. */
export function fstatRaw(fd: number, syscall = 'fstat'): { kind: FileKind | undefined; size: number } {
  check(native.fstat(fd, out), syscall)
  return { kind: fileKind(Number(out[2])), size: Number(out[7]) }
}

/**
 * fstat(2): every field of struct stat for an open file descriptor.
 * @param fd An open file descriptor (a non-negative integer).
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `fd` is not a number or bigint.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `fd` is negative, fractional or above 2^31 - 1.
 * - {@link SyscallError} `EBADF` (`fstat`): `fd` is not open.
 * @example
 * ```js
 * import { fstat } from 'mman'
 * import { openSync, writeFileSync } from 'node:fs'
 *
 * writeFileSync('data.txt', 'data')
 * const st = fstat(openSync('data.txt', 'r'))
 * console.log(st.size, (st.mode & 0o170000n) === 0o100000n, st.mtimeNs > 0n, st.mtime instanceof Date)
 * ```
 *
 * ```text
 * 4n true true true
 * ```
 */
export function fstat(fd: number): Stat {
  check(native.fstat(fileDescriptor(fd), out), 'fstat')
  const [dev, ino, mode, nlink, uid, gid, rdev, size, blksize, blocks, aSec, aNsec, mSec, mNsec, cSec, cNsec] =
    Array.from(out)
  const ns = (sec: bigint, nsec: bigint) => sec * 1_000_000_000n + nsec
  const atimeNs = ns(aSec!, aNsec!)
  const mtimeNs = ns(mSec!, mNsec!)
  const ctimeNs = ns(cSec!, cNsec!)
  const date = (timeNs: bigint) => new Date(Number(timeNs / 1_000_000n))
  return {
    dev: dev!,
    ino: ino!,
    mode: mode!,
    nlink: nlink!,
    uid: uid!,
    gid: gid!,
    rdev: rdev!,
    size: size!,
    blksize: blksize!,
    blocks: blocks!,
    atimeNs,
    mtimeNs,
    ctimeNs,
    atimeMs: atimeNs / 1_000_000n,
    mtimeMs: mtimeNs / 1_000_000n,
    ctimeMs: ctimeNs / 1_000_000n,
    atime: date(atimeNs),
    mtime: date(mtimeNs),
    ctime: date(ctimeNs),
  }
}

/**
 * memfd_create(2): an anonymous file living in memory, returned as an fd the
 * caller owns (close it with `fs.closeSync`). `flags` default to MFD.CLOEXEC.
 * @param name A name for /proc/self/fd and /proc/self/maps (at most 249 bytes, no NUL); several memfds may share it.
 * @param flags MFD bits: MFD.CLOEXEC, MFD.ALLOW_SEALING, MFD.HUGETLB.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `name` is not a string, or `flags` is not a number or bigint.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `flags` is negative, fractional or above 2^31 - 1.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `name` is longer than 249 bytes or holds a NUL, or `flags` has bits MFD
 *   does not define.
 * - {@link SyscallError} `EMFILE`, `ENFILE` (`memfd_create`): no file descriptor is free.
 * - {@link SyscallError} `ENOMEM` (`memfd_create`): out of memory.
 * - {@link SyscallError} `EINVAL` (`memfd_create`): flags the kernel refuses together (MFD.EXEC with
 *   MFD.NOEXEC_SEAL, where the headers define them).
 * @example
 * ```js
 * import { memfdCreate, map, PROT, MAP } from 'mman'
 * import { readlinkSync, writeSync } from 'node:fs'
 *
 * const fd = memfdCreate('scratch')
 * writeSync(fd, 'in memory')
 * const m = map(9, PROT.READ, MAP.SHARED, fd)
 * console.log(readlinkSync(`/proc/self/fd/${fd}`), Buffer.from(m.bytes()).toString())
 * ```
 *
 * ```text
 * /memfd:scratch (deleted) in memory
 * ```
 */
export function memfdCreate(name: string, flags: number = MFD.CLOEXEC): number {
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name)
  // The kernel limit is 249 bytes of name ("memfd:" + name must fit NAME_MAX).
  if (Buffer.byteLength(name) > 249 || name.includes('\0')) {
    throw invalidArgValue('name', name, 'must be at most 249 bytes without NUL characters')
  }
  return check(native.memfdCreate(name, bits(flags, 'flags', KNOWN_MFD_BITS, 'MFD')), 'memfd_create')
}
