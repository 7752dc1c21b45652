import { constants as bufferConstants } from 'node:buffer'
import {
  closeSync,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { MADV, MAP, PROT, map, mapFile, mmap, msync, munmap, pageSize, regionCounts } from '../lib/index.js'
import { tempDir, thrown } from './helpers.js'

const { dir, cleanup } = tempDir()
afterAll(cleanup)

function fileWith(name: string, content: Buffer | string): string {
  const path = join(dir, name)
  writeFileSync(path, content)
  return path
}

const pattern = (length: number) => Buffer.from(Array.from({ length }, (_, i) => (i * 31 + 7) & 0xff))

/** How many of this process's fds are open on `path`. */
const fdsOn = (path: string) =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path
    } catch {
      return false // the fd readdir itself used, closed by now
    }
  }).length

describe('mapFile', () => {
  it("'r' maps the file's bytes read-only", () => {
    const content = pattern(3 * pageSize + 100)
    const mapping = mapFile(fileWith('r.bin', content))
    expect(mapping.length).toBe(content.length)
    expect(mapping.prot).toBe(PROT.READ)
    expect(Buffer.from(mapping.bytes()).equals(content)).toBe(true)
    mapping.unmap()
  })

  it('by path: fd is -1, and one duplicate of the fd it opened stays open until unmap()', () => {
    const path = fileWith('fds.bin', pattern(100))
    expect(fdsOn(path)).toBe(0)
    const mapping = mapFile(path)
    expect(mapping.fd).toBe(-1)
    expect(fdsOn(path)).toBe(1)
    mapping.unmap()
    expect(fdsOn(path)).toBe(0)
  })

  it("by fd: the caller's fd may be closed at once; the mapping's own duplicate stays until unmap()", () => {
    const path = fileWith('fds2.bin', pattern(100))
    const fd = openSync(path, 'r')
    const mapping = mapFile(fd)
    expect(fdsOn(path)).toBe(2)
    closeSync(fd)
    expect(fdsOn(path)).toBe(1)
    expect(mapping.remap(50).bytes()[1]).toBe(pattern(2)[1]) // remap checks the file's size through its own fd
    mapping.unmap()
    expect(fdsOn(path)).toBe(0)
  })

  it("'rw' writes reach the file: visible to fs.readFileSync after sync()", () => {
    const path = fileWith('rw.bin', Buffer.alloc(2 * pageSize))
    const mapping = mapFile(path, { mode: 'rw' })
    mapping.bytes().set(Buffer.from('hello, file'), pageSize + 3)
    mapping.sync()
    expect(
      readFileSync(path)
        .subarray(pageSize + 3, pageSize + 14)
        .toString(),
    ).toBe('hello, file')
    mapping.unmap()
  })

  it("'rw' through the syscall layer: mmap(MAP.SHARED) + msync", async () => {
    const path = fileWith('rw2.bin', Buffer.alloc(pageSize))
    const fd = openSync(path, 'r+')
    const buf = mmap(null, pageSize, PROT.READ | PROT.WRITE, MAP.SHARED, fd, 0)
    closeSync(fd)
    new Uint8Array(buf).set([1, 2, 3])
    msync(buf)
    expect(Array.from(readFileSync(path).subarray(0, 3))).toEqual([1, 2, 3])
    munmap(buf)
  })

  it("'cow' writes stay private: the file never changes", async () => {
    const content = pattern(pageSize)
    const path = fileWith('cow.bin', content)
    const mapping = mapFile(path, { mode: 'cow' })
    mapping.bytes().fill(0xee)
    mapping.sync()
    await mapping.syncAsync()
    expect(mapping.bytes()[0]).toBe(0xee)
    mapping.unmap()
    expect(readFileSync(path).equals(content)).toBe(true)
  })

  it('syncAsync writes back off the event loop', async () => {
    const path = fileWith('async.bin', Buffer.alloc(16 * pageSize))
    const mapping = mapFile(path, { mode: 'rw' })
    mapping.bytes().fill(5)
    await mapping.syncAsync()
    expect(readFileSync(path).every((b) => b === 5)).toBe(true)
    mapping.unmap()
  })

  it('unaligned offsets return the same bytes as fs.readSync', () => {
    const content = pattern(5 * pageSize + 123)
    const path = fileWith('unaligned.bin', content)
    const fd = openSync(path, 'r')
    try {
      for (const offset of [1, 7, pageSize - 1, pageSize + 1, 3 * pageSize + 77, content.length - 1]) {
        for (const length of [1, 100, content.length - offset]) {
          if (offset + length > content.length) continue
          const expected = Buffer.alloc(length)
          readSync(fd, expected, 0, length, offset)
          const mapping = mapFile(path, { offset, length })
          expect(Buffer.from(mapping.bytes()).equals(expected), `offset ${offset} length ${length}`).toBe(true)
          expect(mapping.offset).toBe(offset)
          mapping.unmap()
          const buf = mmap(null, length, PROT.READ, MAP.PRIVATE, fd, offset)
          expect(Buffer.from(buf).equals(expected)).toBe(true)
          munmap(buf)
        }
      }
    } finally {
      closeSync(fd)
    }
  })

  it('refuses to map past end-of-file unless allowBeyondEOF', () => {
    const path = fileWith('short.bin', 'abc')
    const error = thrown(() => mapFile(path, { length: 2 * pageSize }))
    expect(error).toBeInstanceOf(RangeError)
    expect(error.code).toBe('ERR_OUT_OF_RANGE')
    expect(error.message).toMatch(/SIGBUS/)
    const fd = openSync(path, 'r')
    expect(thrown(() => mmap(null, 4, PROT.READ, MAP.PRIVATE, fd, 0)).code).toBe('ERR_OUT_OF_RANGE')
    const mapping = mapFile(fd, { length: pageSize, allowBeyondEOF: true })
    // Bytes past EOF within the last page read as zero (only whole pages past EOF fault).
    expect(Buffer.from(mapping.bytes(0, 4)).toString('latin1')).toBe('abc\0')
    mapping.unmap()
    closeSync(fd)
    expect(thrown(() => mapFile(path, { offset: 3 })).code).toBe('ERR_OUT_OF_RANGE')
  })

  it('takes only its switches from a policy object: other keys cannot stand in for the arguments', () => {
    const fd = openSync(fileWith('five.bin', 'hello'), 'r')
    const forged = { file: { kind: 'file', size: 2 ** 30 }, length: pageSize, prot: PROT.READ | PROT.WRITE }
    expect(thrown(() => map(2 * pageSize, PROT.READ, MAP.PRIVATE, fd, 0, null, forged as never)).code).toBe(
      'ERR_OUT_OF_RANGE',
    )
    expect(thrown(() => mmap(null, 2 * pageSize, PROT.READ, MAP.PRIVATE, fd, 0, forged as never)).code).toBe(
      'ERR_OUT_OF_RANGE',
    )
    const mapping = map(5, PROT.READ, MAP.PRIVATE, fd, 0, null, forged as never)
    expect(mapping.prot).toBe(PROT.READ)
    expect(thrown(() => mapping.remap(2 * pageSize)).code).toBe('ERR_OUT_OF_RANGE')
    mapping.unmap()
    closeSync(fd)
  })

  it('applies populate and advice options', () => {
    const path = fileWith('populate.bin', pattern(8 * pageSize))
    const mapping = mapFile(path, { populate: true, advice: MADV.SEQUENTIAL })
    expect(mapping.residency().resident).toBe(8)
    expect(mapping.flags & MAP.POPULATE).toBe(MAP.POPULATE)
    mapping.unmap()
  })

  it('unmaps what it mapped when the kernel refuses the advice, before it throws', () => {
    const path = fileWith('advice.bin', pattern(4 * pageSize))
    const before = regionCounts()
    const error = thrown(() => mapFile(path, { advice: MADV.FREE })) // MADV_FREE is for private anonymous memory
    expect(error).toMatchObject({ code: 'EINVAL', syscall: 'madvise' })
    expect(regionCounts()).toEqual(before)
    expect(fdsOn(path)).toBe(0)
  })

  it('maps a caller-owned fd, which stays open and is reported', () => {
    const path = fileWith('fd.bin', pattern(100))
    const fd = openSync(path, 'r')
    const mapping = mapFile(fd)
    expect(mapping.fd).toBe(fd)
    expect(mapping.bytes()[1]).toBe(pattern(2)[1])
    mapping.unmap()
    closeSync(fd)
  })
})

describe('a sparse 16 GiB file', () => {
  const size = 16 * 2 ** 30

  it('is read and written through windows near its end', () => {
    const path = join(dir, 'sparse.bin')
    const fd = openSync(path, 'w+')
    ftruncateSync(fd, size)
    const mapping = mapFile(fd, { mode: 'rw' })
    expect(mapping.length).toBe(size)
    if (size > bufferConstants.MAX_LENGTH) {
      expect(thrown(() => mapping.buffer)).toBeInstanceOf(RangeError)
      // Left out, a view's length is the rest of the file, or refused: never its first 4 GiB.
      expect(thrown(() => mapping.bytes()).code).toBe('ERR_OUT_OF_RANGE')
      expect(thrown(() => mapping.window(0)).code).toBe('ERR_OUT_OF_RANGE')
    } else {
      expect(mapping.buffer.byteLength).toBe(size)
      expect(mapping.bytes().byteLength).toBe(size)
      expect(mapping.window(0).byteLength).toBe(size)
    }

    const nearEnd = size - pageSize - 10
    const window = new Uint8Array(mapping.window(nearEnd, pageSize + 10))
    expect(window.every((b) => b === 0)).toBe(true)
    window.set(Buffer.from('the end'), pageSize + 3)
    const middle = mapping.bytes(size / 2 + 1, 5)
    middle.set(Buffer.from('half!'))
    mapping.sync({ offset: nearEnd })
    mapping.sync({ offset: size / 2, length: pageSize })

    const readBack = Buffer.alloc(7)
    readSync(fd, readBack, 0, 7, size - 7)
    expect(readBack.toString()).toBe('the end')
    readSync(fd, readBack, 0, 5, size / 2 + 1)
    expect(readBack.subarray(0, 5).toString()).toBe('half!')
    expect(thrown(() => mapping.window(size - 1, 2)).code).toBe('ERR_OUT_OF_RANGE')
    mapping.unmap()
    closeSync(fd)
  })
})
