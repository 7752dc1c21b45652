// Memory shared between processes: a sealed memfd for a parent and the
// children it starts, or a named file in /dev/shm for unrelated processes.
import { closeSync, constants as fsConstants, ftruncateSync, openSync, unlinkSync } from 'node:fs'
import { check, invalidArgType, invalidArgValue, invalidState } from '../errors.js'
import { MAP, MFD, PROT, SEAL } from '../constants.js'
import { fstat, memfdCreate } from '../fstat.js'
import { native } from '../native.js'
import { Mapping } from '../mapping.js'
import { mapRegion } from '../region/map.js'
import type { Region } from '../region/region.js'
import { createSharedView } from '../region/views.js'
import { fileDescriptor, flag, integer, options as optionsOf } from '../validate.js'

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDWR, S_IFMT, S_IFREG } = fsConstants

/** Where named regions live (POSIX shm_open uses the same directory on Linux). */
const SHM_DIR = '/dev/shm'

function validateName(name: unknown): string {
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name)
  if (name.length === 0 || name.length > 255 || name === '.' || name === '..' || /[/\0]/.test(name)) {
    throw invalidArgValue('name', name, "must be 1-255 characters with no '/' or NUL, and not '.' or '..'")
  }
  return name
}

/**
 * Allocates every page of a named region's file now (posix_fallocate; pages
 * already there are kept as they are). A file that was only ftruncated, as
 * Python's multiprocessing.shared_memory and shm_open() callers leave it, is
 * sparse: on a full /dev/shm, the first write to a missing page would be
 * SIGBUS. So a region that does not fit is ENOSPC here instead.
 */
function reserveSpace(fd: number, size: number): void {
  check(native.allocate(fd, size), 'fallocate', (code) =>
    code === 'ENOSPC'
      ? `${SHM_DIR} has no room for all ${size} bytes of the region: touching the missing pages would be SIGBUS`
      : undefined,
  )
}

/**
 * Memory shared between processes (or worker threads) through a file
 * descriptor, mapped MAP_SHARED and read-write: a sealed memfd (create(),
 * attach()) for a parent and the processes it starts, or a named file in
 * /dev/shm (createNamed(), openNamed()) for unrelated ones. Disposable:
 * `using` closes it.
 * @example
 * ```js
 * import { SharedMemory } from 'mman'
 *
 * const memory = SharedMemory.create(1 << 20)
 * const other = SharedMemory.attach(memory.fd) // as a child process or a worker given the fd does
 * new Uint8Array(memory.buffer)[0] = 42
 * console.log(new Uint8Array(other.buffer)[0], other.size)
 * other.close()
 * memory.close()
 * ```
 *
 * ```text
 * 42 1048576
 * ```
 */
export class SharedMemory implements Disposable {
  readonly #fd: number
  readonly #mapping: Mapping
  readonly #region: Region
  readonly #ownsFd: boolean
  readonly #sealed: boolean
  #closed = false
  #shared: SharedArrayBuffer | undefined

  private constructor(fd: number, size: number, ownsFd: boolean) {
    this.#fd = fd
    this.#ownsFd = ownsFd
    const mapped = mapRegion({
      addr: null,
      length: size,
      prot: PROT.READ | PROT.WRITE,
      flags: MAP.SHARED,
      fd,
      offset: 0,
    })
    this.#region = mapped.region
    this.#mapping = new Mapping(mapped)
    // A file that is not a memfd has no seals: F_GET_SEALS answers EINVAL (negative).
    const seals = native.getSeals(fd)
    this.#sealed = seals >= 0 && (seals & SEAL.SHRINK) !== 0
  }

  /**
   * A new region of `size` bytes in a memfd, sealed so that its size can never
   * change (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL): no process holding the fd
   * can truncate it under a mapping, which would raise SIGBUS.
   * @param size The region's size in bytes: an integer of at least 1 (else ERR_OUT_OF_RANGE).
   * @param name The memfd's name, shown as /memfd:<name> in /proc/<pid>/fd
   *   and maps (default 'mman'): not empty, with no '/' or NUL (else
   *   ERR_INVALID_ARG_VALUE). It is a label: no other process can open it by name.
   * @throws
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `size` is not a number or bigint, or `name` is not a string.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `size` is below 1, fractional or above 2^53 - 1.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: `name` is empty, longer than 249 bytes, holds '/' or NUL, or is '.' or
   *   '..'.
   * - {@link SyscallError} `EMFILE`, `ENFILE` (`memfd_create`): no file descriptor is free.
   * - {@link SyscallError} `ENOMEM` (`memfd_create`): out of memory.
   * - {@link SyscallError} `ENOMEM` (`mmap`): no room in the address space for `size` bytes, or the process has
   *   vm.max_map_count mappings.
   * - {@link SyscallError} `EMFILE`, `ENFILE` (`mmap`): no file descriptor is free for the duplicate the mapping keeps.
   * @example
   * ```js
   * import { SharedMemory } from 'mman'
   * import { readlinkSync } from 'node:fs'
   *
   * const memory = SharedMemory.create(4096, 'counters')
   * console.log(memory.size, readlinkSync(`/proc/self/fd/${memory.fd}`))
   * memory.close()
   * ```
   *
   * ```text
   * 4096 /memfd:counters (deleted)
   * ```
   */
  static create(size: number, name = 'mman'): SharedMemory {
    const bytes = integer(size, 'size', 1)
    const fd = memfdCreate(validateName(name), MFD.CLOEXEC | MFD.ALLOW_SEALING)
    try {
      ftruncateSync(fd, bytes)
      check(native.addSeals(fd, SEAL.SHRINK | SEAL.GROW | SEAL.SEAL), 'fcntl')
      return new SharedMemory(fd, bytes, true)
    } catch (error) {
      closeSync(fd)
      throw error
    }
  }

  /**
   * Maps the region behind an fd this process was given (a child's inherited
   * fd, a worker's fd). It must be a memfd sealed against shrinking (as
   * create() makes them): if some process holding the fd truncated the file,
   * touching the lost pages would raise SIGBUS. `{ allowUnsealed: true }`
   * maps any file, for processes that trust each other not to truncate it.
   * @param fd The file descriptor, open for reading and writing. The caller
   *   keeps owning it: close() leaves it open. An empty file, or (without
   *   allowUnsealed) one not sealed against shrinking, throws ERR_INVALID_ARG_VALUE.
   * @param options `allowUnsealed` (default false): map the file even if it is
   *   not a memfd sealed against shrinking.
   * @throws
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `fd` is not a number or bigint, `options` is not an object, or
   *   `allowUnsealed` is not a boolean.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `fd` is negative, fractional or above 2^31 - 1.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: the file is empty, or (without `allowUnsealed`) not a memfd sealed against
   *   shrinking: a FIFO, socket or directory included.
   * - {@link SyscallError} `EBADF` (`fstat`): `fd` is not open.
   * - {@link SyscallError} `EACCES` (`mmap`): `fd` is not open for reading and writing.
   * - {@link SyscallError} `EPERM` (`mmap`): a memfd sealed against writing.
   * - {@link SyscallError} `ENODEV` (`mmap`): with `allowUnsealed`, a directory, FIFO or socket.
   * - {@link SyscallError} `ENOMEM` (`mmap`): no room in the address space, or the process has vm.max_map_count
   *   mappings.
   * - {@link SyscallError} `EMFILE`, `ENFILE` (`mmap`): no file descriptor is free for the duplicate the mapping keeps.
   * @example
   * ```js
   * import { SharedMemory } from 'mman'
   * import { openSync, writeFileSync } from 'node:fs'
   *
   * writeFileSync('plain.bin', Buffer.alloc(4096))
   * const fd = openSync('plain.bin', 'r+')
   * try {
   *   SharedMemory.attach(fd) // a file anyone holding it could truncate
   * } catch (error) {
   *   console.log(error.code)
   * }
   * console.log(SharedMemory.attach(fd, { allowUnsealed: true }).size)
   * ```
   *
   * ```text
   * ERR_INVALID_ARG_VALUE
   * 4096
   * ```
   */
  static attach(fd: number, options?: { allowUnsealed?: boolean }): SharedMemory {
    const descriptor = fileDescriptor(fd)
    const opts = optionsOf<{ allowUnsealed?: boolean }>(options)
    const allowUnsealed = flag(opts.allowUnsealed, 'options.allowUnsealed')
    const size = Number(fstat(descriptor).size)
    if (size === 0) throw invalidArgValue('fd', fd, 'refers to an empty file: there is nothing to share')
    const seals = native.getSeals(descriptor)
    if (!allowUnsealed && (seals < 0 || (seals & SEAL.SHRINK) === 0)) {
      throw invalidArgValue(
        'fd',
        fd,
        'is not a memfd sealed against shrinking, so another process could truncate it ' +
          'under the mapping (SIGBUS); pass { allowUnsealed: true } if every process holding it is trusted',
      )
    }
    return new SharedMemory(descriptor, size, false)
  }

  /**
   * A named region /dev/shm/<name> for unrelated processes: created exclusively
   * (EEXIST if the name is taken, a symlink included) with mode 0600, and its
   * space reserved now (ENOSPC when /dev/shm is too small, where writing past
   * its limit later would be SIGBUS; Docker's default is 64 MiB). Named regions
   * cannot be sealed: only map them between processes that trust each other
   * not to truncate. Python's multiprocessing.shared_memory uses the same
   * directory and names: SharedMemory(name='x') there is openNamed('x') here.
   * @param name The file's name in /dev/shm: 1-255 characters with no '/' or
   *   NUL, and not '.' or '..' (else ERR_INVALID_ARG_VALUE).
   * @param size The region's size in bytes: an integer of at least 1 (else ERR_OUT_OF_RANGE).
   * @throws
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `name` is not a string, or `size` is not a number or bigint.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `size` is below 1, fractional or above 2^53 - 1.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: `name` is empty, longer than 255 characters, holds '/' or NUL, or is '.'
   *   or '..'.
   * - {@link SyscallError} `EEXIST` (`open`): the name is taken (by a symlink too).
   * - {@link SyscallError} `ENAMETOOLONG` (`open`): `name` is longer than 255 bytes in UTF-8.
   * - {@link SyscallError} `EACCES`, `ENOENT`, `EMFILE`, `ENFILE` (`open`): /dev/shm is not writable or not there,
   *   or no file descriptor is free.
   * - {@link SyscallError} `ENOSPC` (`fallocate`): /dev/shm has no room for `size` bytes.
   * - {@link SyscallError} `ENOMEM` (`mmap`): no room in the address space for `size` bytes, or the process has
   *   vm.max_map_count mappings.
   * - {@link SyscallError} `EMFILE`, `ENFILE` (`mmap`): no file descriptor is free for the duplicate the mapping keeps.
   * @example
   * ```js
   * import { SharedMemory } from 'mman'
   *
   * const name = `mman-example-${process.pid}`
   * const memory = SharedMemory.createNamed(name, 4096)
   * const other = SharedMemory.openNamed(name) // as an unrelated process does
   * new Uint8Array(memory.buffer)[0] = 7
   * console.log(new Uint8Array(other.buffer)[0])
   * SharedMemory.unlink(name)
   * ```
   *
   * ```text
   * 7
   * ```
   */
  static createNamed(name: string, size: number): SharedMemory {
    const path = `${SHM_DIR}/${validateName(name)}`
    const bytes = integer(size, 'size', 1)
    const fd = openSync(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
    try {
      ftruncateSync(fd, bytes)
      reserveSpace(fd, bytes)
      return new SharedMemory(fd, bytes, true)
    } catch (error) {
      closeSync(fd)
      unlinkSync(path)
      throw error
    }
  }

  /**
   * Opens an existing named region (ENOENT when nobody created it). It is
   * refused unless it is a regular file (never followed through a symlink),
   * owned by this user and writable by nobody else, so that another user
   * cannot plant a region and truncate it under this process (SIGBUS);
   * `{ allowForeign: true }` opens one another user owns or others may write.
   * Its size is the file's: an empty one throws ERR_INVALID_ARG_VALUE. The
   * pages its creator left unallocated (Python's multiprocessing.shared_memory
   * only ftruncates) are allocated now, as createNamed() does: ENOSPC
   * (syscall 'fallocate') when /dev/shm has no room for them, rather than
   * SIGBUS at the first write.
   * @param name The file's name in /dev/shm, as createNamed() was given it.
   * @param options `allowForeign` (default false): open a region another user
   *   owns, or that its group or others may write.
   * @throws
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `name` is not a string, `options` is not an object, or `allowForeign` is not
   *   a boolean.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: `name` is empty, longer than 255 characters, holds '/' or NUL, or is '.'
   *   or '..'; or the region is not a regular file, is empty, or (without `allowForeign`) is another user's or
   *   writable by others.
   * - {@link SyscallError} `ENOENT` (`open`): nobody created a region of that name.
   * - {@link SyscallError} `ELOOP` (`open`): the name is a symlink (never followed).
   * - {@link SyscallError} `EISDIR` (`open`): the name is a directory.
   * - {@link SyscallError} `EACCES`, `ENAMETOOLONG`, `EMFILE`, `ENFILE` (`open`): no permission to read and write
   *   it, a name longer than 255 bytes in UTF-8, or no file descriptor free.
   * - {@link SyscallError} `ENOSPC` (`fallocate`): /dev/shm has no room for the pages its creator left unallocated.
   * - {@link SyscallError} `ENOMEM` (`mmap`): no room in the address space, or the process has
   *   vm.max_map_count mappings.
   * - {@link SyscallError} `EMFILE`, `ENFILE` (`mmap`): no file descriptor is free for the duplicate the mapping keeps.
   * @example
   * ```js
   * import { SharedMemory } from 'mman'
   *
   * try {
   *   SharedMemory.openNamed(`mman-missing-${process.pid}`)
   * } catch (error) {
   *   console.log(error.code, error.syscall)
   * }
   * ```
   *
   * ```text
   * ENOENT open
   * ```
   */
  static openNamed(name: string, options?: { allowForeign?: boolean }): SharedMemory {
    const path = `${SHM_DIR}/${validateName(name)}`
    const opts = optionsOf<{ allowForeign?: boolean }>(options)
    const allowForeign = flag(opts.allowForeign, 'options.allowForeign')
    const fd = openSync(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK)
    try {
      const stat = fstat(fd)
      if ((Number(stat.mode) & S_IFMT) !== S_IFREG)
        throw invalidArgValue('name', name, 'is not a regular file in /dev/shm')
      const foreign = Number(stat.uid) !== process.geteuid?.() || (Number(stat.mode) & 0o022) !== 0
      if (foreign && !allowForeign) {
        throw invalidArgValue(
          'name',
          name,
          `names a region owned by uid ${stat.uid} with mode ${(Number(stat.mode) & 0o777).toString(8)}: ` +
            'another user could truncate it under this process (SIGBUS); pass { allowForeign: true } to open it anyway',
        )
      }
      if (stat.size === 0n) throw invalidArgValue('name', name, 'names an empty region: there is nothing to share')
      const size = Number(stat.size)
      reserveSpace(fd, size)
      return new SharedMemory(fd, size, true)
    } catch (error) {
      closeSync(fd)
      throw error
    }
  }

  /**
   * Removes a named region's name; processes that mapped it keep their mapping.
   * @param name The file's name in /dev/shm (ENOENT when there is none).
   * @throws
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `name` is not a string.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: `name` is empty, longer than 255 characters, holds '/' or NUL, or is '.'
   *   or '..'.
   * - {@link SyscallError} `ENOENT` (`unlink`): there is no region of that name.
   * - {@link SyscallError} `EPERM`, `EACCES` (`unlink`): it is another user's region (/dev/shm is sticky).
   * @example
   * ```js
   * import { SharedMemory } from 'mman'
   * import { existsSync } from 'node:fs'
   *
   * const name = `mman-example-${process.pid}`
   * const memory = SharedMemory.createNamed(name, 4096)
   * SharedMemory.unlink(name) // the mapping stays, the name goes
   * console.log(existsSync(`/dev/shm/${name}`), memory.size)
   * ```
   *
   * ```text
   * false 4096
   * ```
   */
  static unlink(name: string): void {
    unlinkSync(`${SHM_DIR}/${validateName(name)}`)
  }

  /**
   * The file descriptor, to hand to a child process or a worker thread; ERR_INVALID_STATE once closed.
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the shared memory was closed.
   * @example
   * ```js
   * import { SharedMemory, fstat } from 'mman'
   *
   * const memory = SharedMemory.create(4096)
   * console.log(fstat(memory.fd).size)
   * ```
   *
   * ```text
   * 4096n
   * ```
   */
  get fd(): number {
    if (this.#closed) throw invalidState('the shared memory was closed')
    return this.#fd
  }

  /**
   * The region's size in bytes (the whole mapping).
   * @example
   * ```js
   * import { SharedMemory } from 'mman'
   *
   * console.log(SharedMemory.create(5000).size)
   * ```
   *
   * ```text
   * 5000
   * ```
   */
  get size(): number {
    return this.#mapping.length
  }

  /**
   * The Mapping of the region in this process; ERR_INVALID_STATE once closed.
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the shared memory was closed.
   * @example
   * ```js
   * import { SharedMemory } from 'mman'
   *
   * const memory = SharedMemory.create(1 << 20)
   * memory.mapping.populate()
   * console.log(memory.mapping.residency().resident, memory.mapping.vmas()[0].perms)
   * ```
   *
   * ```text
   * 256 rw-s
   * ```
   */
  get mapping(): Mapping {
    if (this.#closed) throw invalidState('the shared memory was closed')
    return this.#mapping
  }

  /**
   * True when no process can shrink the region under its mappings: a memfd
   * sealed against shrinking, as create() makes them. False for a named region
   * in /dev/shm and for a file attached with `allowUnsealed`: a process that
   * truncates one makes touching the lost pages SIGBUS. forkWithMemory() passes
   * this on, so the child maps an unsealed region too.
   * @example
   * ```js
   * import { SharedMemory } from 'mman'
   *
   * const memfd = SharedMemory.create(4096)
   * const named = SharedMemory.createNamed(`example-${process.pid}`, 4096)
   * console.log(memfd.sealed, named.sealed)
   * SharedMemory.unlink(`example-${process.pid}`)
   * memfd.close()
   * named.close()
   * ```
   *
   * ```text
   * true false
   * ```
   */
  get sealed(): boolean {
    return this.#sealed
  }

  /**
   * True once close() ran.
   * @example
   * ```js
   * import { SharedMemory } from 'mman'
   *
   * const memory = SharedMemory.create(4096)
   * memory.close()
   * console.log(memory.closed)
   * ```
   *
   * ```text
   * true
   * ```
   */
  get closed(): boolean {
    return this.#closed
  }

  /**
   * An ArrayBuffer over the whole region (the mapping's buffer; detached when
   * the region is closed); ERR_INVALID_STATE once closed.
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the shared memory was closed.
   * - `RangeError` `ERR_OUT_OF_RANGE`: the region is longer than `buffer.constants.MAX_LENGTH` (4 GiB on Node 20):
   *   use `mapping.window()`.
   * @example
   * ```js
   * import { SharedMemory } from 'mman'
   *
   * const memory = SharedMemory.create(4096)
   * const view = new Float64Array(memory.buffer)
   * view[0] = 0.5
   * memory.close()
   * console.log(view.length) // detached: nothing can reach the unmapped pages
   * ```
   *
   * ```text
   * 0
   * ```
   */
  get buffer(): ArrayBuffer {
    return this.mapping.buffer
  }

  /**
   * Whether sharedBuffer is available in this runtime (Node >= 22.23: an experimental Node-API call).
   * @example Node ≥ 22.23, which has them
   * ```js
   * import { SharedMemory } from 'mman'
   *
   * console.log(SharedMemory.sharedBuffersSupported)
   * ```
   *
   * ```text
   * true
   * ```
   */
  static get sharedBuffersSupported(): boolean {
    return native.sharedViews
  }

  /**
   * The region as a SharedArrayBuffer: Atomics on it are within the language's
   * memory model, and worker threads receive it by postMessage() without
   * attaching the fd. It cannot be detached, so close() leaves the memory
   * mapped, as it is, until every SharedArrayBuffer of it has been collected in
   * every thread (its views of other kinds are detached as usual); the fd is
   * closed at once. Throws ENOSYS where the runtime cannot make one (see
   * sharedBuffersSupported).
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the shared memory was closed.
   * - {@link SyscallError} `ENOSYS` (`mmap`): this Node cannot make a SharedArrayBuffer over mapped memory (before
   *   22.23).
   * @example Node ≥ 22.23
   * ```js
   * import { SharedMemory } from 'mman'
   *
   * const memory = SharedMemory.create(4096)
   * const shared = memory.sharedBuffer // postMessage() it to a worker: no fd needed
   * Atomics.add(new Int32Array(shared), 0, 5)
   * console.log(shared instanceof SharedArrayBuffer, memory.int32()[0])
   * ```
   *
   * ```text
   * true 5
   * ```
   */
  get sharedBuffer(): SharedArrayBuffer {
    if (this.#closed) throw invalidState('the shared memory was closed')
    this.#shared ??= createSharedView(this.#region, 0, this.size)
    return this.#shared
  }

  /**
   * An Int32Array over the region (or part of it), for Atomics and futexes.
   * @param byteOffset Where the array starts, in bytes: a multiple of 4 from 0
   *   to size (default 0), else ERR_INVALID_ARG_VALUE or ERR_OUT_OF_RANGE.
   * @param length How many elements: from 0 to as many as fit before the end of
   *   the region (the default), else ERR_OUT_OF_RANGE.
   * @throws
   * - `Error` `ERR_INVALID_STATE`: the shared memory was closed.
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `byteOffset` or `length` is not a number or bigint.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `byteOffset` is negative, fractional or past the end; `length` reaches past
   *   the end; or the region is longer than `buffer.constants.MAX_LENGTH`.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: `byteOffset` is not a multiple of 4.
   * @example
   * ```js
   * import { SharedMemory } from 'mman'
   *
   * const memory = SharedMemory.create(4096)
   * const counters = memory.int32(64, 4) // bytes 64 to 79
   * Atomics.add(counters, 3, 1)
   * console.log(memory.int32().length, counters.length, memory.int32()[19])
   * ```
   *
   * ```text
   * 1024 4 1
   * ```
   */
  int32(byteOffset = 0, length?: number): Int32Array {
    const offset = integer(byteOffset, 'byteOffset', 0, this.size)
    if (offset % 4 !== 0) throw invalidArgValue('byteOffset', byteOffset, 'must be a multiple of 4')
    const fits = Math.floor((this.size - offset) / 4)
    return new Int32Array(this.buffer, offset, length === undefined ? fits : integer(length, 'length', 0, fits))
  }

  /**
   * Unmaps the region and closes the fd if this object opened it. Calling it again does nothing.
   * @throws
   * - {@link SyscallError} `EBUSY` (`munmap`): an async call on its mapping (syncAsync(), populateAsync(), or
   *   msyncAsync() or madviseAsync() on a view of it) has not finished. The region stays open (mapped, and its
   *   fd too): call close() again once that call has settled.
   * - {@link SyscallError} `ENOMEM` (`munmap`): the kernel would not map the zero-filled range mman leaves where a
   *   view may still point (at vm.max_map_count, or under strict overcommit).
   * - {@link SyscallError} `EBADF` (`close`): the fd this object opened was closed by someone else.
   * @example
   * ```js
   * import { SharedMemory } from 'mman'
   *
   * const memory = SharedMemory.create(4096)
   * memory.close()
   * memory.close() // does nothing
   * try {
   *   memory.fd
   * } catch (error) {
   *   console.log(error.code)
   * }
   * ```
   *
   * ```text
   * ERR_INVALID_STATE
   * ```
   */
  close(): void {
    if (this.#closed) return
    // Unmapped first: EBUSY (an async call in flight) leaves the region open, to be closed again later.
    this.#mapping.unmap()
    this.#closed = true
    if (this.#ownsFd) closeSync(this.#fd)
  }

  /**
   * close(), for `using`.
   * @throws
   * - {@link SyscallError} `EBUSY`, `ENOMEM` (`munmap`): as close().
   * - {@link SyscallError} `EBADF` (`close`): as close().
   * @example Node ≥ 24, which has using declarations
   * ```js
   * import { SharedMemory } from 'mman'
   *
   * let kept
   * {
   *   using memory = SharedMemory.create(4096)
   *   kept = memory
   * }
   * console.log(kept.closed)
   * ```
   *
   * ```text
   * true
   * ```
   */
  [Symbol.dispose](): void {
    this.close()
  }
}
