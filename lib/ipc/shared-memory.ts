// Memory shared between processes: a sealed memfd for a parent and the
// children it starts, or a named file in /dev/shm for unrelated processes.
import { closeSync, ftruncateSync, openSync, unlinkSync } from 'node:fs'
import { check, invalidArgType, invalidArgValue, invalidState } from '../errors.js'
import { MAP, MFD, PROT, SEAL } from '../constants.js'
import { fstat, memfdCreate } from '../fstat.js'
import { native } from '../native.js'
import { map } from '../constructors.js'
import type { Mapping } from '../mapping.js'
import { fileDescriptor, integer } from '../validate.js'


/** Where named regions live (POSIX shm_open uses the same directory on Linux). */
export const SHM_DIR = '/dev/shm'

export function validateName(name: unknown): string {
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name)
  if (name.length === 0 || name.length > 255 || name === '.' || name === '..' || /[/\0]/.test(name)) {
    throw invalidArgValue('name', name, "must be 1-255 characters with no '/' or NUL, and not '.' or '..'")
  }
  return name
}

/**
 * Memory shared between processes (or worker threads) through a file
 * descriptor: a sealed memfd (create, attach) or a named file in /dev/shm
 * (createNamed, openNamed), mapped MAP_SHARED.
 */
export class SharedMemory implements Disposable {
  readonly #fd: number
  readonly #mapping: Mapping
  readonly #ownsFd: boolean
  #closed = false

  private constructor(fd: number, size: number, ownsFd: boolean) {
    this.#fd = fd
    this.#ownsFd = ownsFd
    this.#mapping = map(size, PROT.READ | PROT.WRITE, MAP.SHARED, fd, 0)
  }

  /**
   * A new region of `size` bytes in a memfd, sealed so that its size can never
   * change (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL): no process holding the fd
   * can truncate it under a mapping, which would raise SIGBUS.
   * @param size Bytes (> 0).
   * @param name The memfd's name in /proc/<pid>/fd and maps (default 'mman').
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
   * Maps the region behind an fd this process was given (a child's inherited fd, a worker's fd).
   * @param fd The file descriptor; the caller keeps owning it (close() leaves it open).
   */
  static attach(fd: number): SharedMemory {
    const size = Number(fstat(fileDescriptor(fd)).size)
    if (size === 0) throw invalidArgValue('fd', fd, 'refers to an empty file: there is nothing to share')
    return new SharedMemory(fd, size, false)
  }

  /**
   * A named region /dev/shm/<name> for unrelated processes: created exclusively
   * (EEXIST if the name is taken) with mode 0600. Named regions cannot be sealed:
   * only map them between processes that trust each other not to truncate.
   * @param name The name under /dev/shm (no slash).
   * @param size Bytes (> 0).
   */
  static createNamed(name: string, size: number): SharedMemory {
    const path = `${SHM_DIR}/${validateName(name)}`
    const bytes = integer(size, 'size', 1)
    const fd = openSync(path, 'wx+', 0o600)
    try {
      ftruncateSync(fd, bytes)
      return new SharedMemory(fd, bytes, true)
    } catch (error) {
      closeSync(fd)
      unlinkSync(path)
      throw error
    }
  }

  /**
   * Opens an existing named region (ENOENT when nobody created it).
   * @param name The name under /dev/shm.
   */
  static openNamed(name: string): SharedMemory {
    const fd = openSync(`${SHM_DIR}/${validateName(name)}`, 'r+')
    try {
      return new SharedMemory(fd, Number(fstat(fd).size), true)
    } catch (error) {
      closeSync(fd)
      throw error
    }
  }

  /**
   * Removes a named region's name; processes that mapped it keep their mapping.
   * @param name The name under /dev/shm.
   */
  static unlink(name: string): void {
    unlinkSync(`${SHM_DIR}/${validateName(name)}`)
  }

  /** The file descriptor, to hand to a child process or a worker thread. */
  get fd(): number {
    return this.#fd
  }

  /** The region's size in bytes. */
  get size(): number {
    return this.#mapping.length
  }

  /** The Mapping of the region in this process. */
  get mapping(): Mapping {
    if (this.#closed) throw invalidState('the shared memory was closed')
    return this.#mapping
  }

  /** An ArrayBuffer over the whole region. */
  get buffer(): ArrayBuffer {
    return this.mapping.buffer
  }

  /**
   * An Int32Array over the region (or part of it), for Atomics and futexes.
   * @param byteOffset Where the array starts (a multiple of 4; default 0).
   * @param length Elements (default: to the end of the region).
   */
  int32(byteOffset = 0, length?: number): Int32Array {
    const offset = integer(byteOffset, 'byteOffset', 0, this.size)
    if (offset % 4 !== 0) throw invalidArgValue('byteOffset', byteOffset, 'must be a multiple of 4')
    return new Int32Array(this.buffer, offset, length ?? Math.floor((this.size - offset) / 4))
  }

  /** Unmaps the region and closes the fd if this object opened it. Calling it again does nothing. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#mapping.unmap()
    if (this.#ownsFd) closeSync(this.#fd)
  }

  /** close(), for `using`. */
  [Symbol.dispose](): void {
    this.close()
  }
}
