// remap() and resize(): moving mappings keep the MAP_FIXED ownership index
// right, views that nothing can reach never block them, file mappings check
// the file's size as it is now, and memory that cannot grow says so.
import { closeSync, ftruncateSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import {
  MAP,
  PROT,
  map,
  mapAnonymous,
  mapFile,
  mmap,
  mremap,
  munmap,
  pageSize,
  type Mapping,
  regionCounts,
} from '../lib/index.js'
import { collectUntil, runChild, tempDir, thrown } from './helpers.js'

const { dir, cleanup } = tempDir()
afterAll(cleanup)

const RW = PROT.READ | PROT.WRITE
const zombies = () => regionCounts().reservedRanges
const gc = () => (globalThis as { gc?: () => void }).gc?.()

/**
 * A mapping of `pages` pages with another mapping right after it, so that
 * growing must move it. (Often the page after it is taken already: mmap()
 * hands out addresses top-down.)
 */
function hemmedIn(pages: number, prot = RW): { mapping: Mapping; blocker?: Mapping } {
  const mapping = map(pages * pageSize, prot, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
  const end = mapping.address + BigInt(pages * pageSize)
  try {
    return { mapping, blocker: map(pageSize, PROT.NONE, MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED_NOREPLACE, -1, 0, end) }
  } catch (error) {
    expect((error as { code?: string }).code).toBe('EEXIST')
    return { mapping }
  }
}

const fixedAt = (address: bigint) => () => map(pageSize, RW, MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED, -1, 0, address)

describe('remap() that moves a mapping', () => {
  it('re-keys MAP.FIXED ownership: accepted inside the moved mapping, refused at the old place', () => {
    const { mapping, blocker } = hemmedIn(2, PROT.NONE)
    const oldBase = mapping.address
    mapping.remap(64 * pageSize)
    const newBase = mapping.address
    expect(newBase).not.toBe(oldBase)
    expect(thrown(fixedAt(oldBase)).message).toMatch(/not inside a mapping made by mman/)
    const inner = fixedAt(newBase + BigInt(8 * pageSize))()
    inner.bytes()[0] = 1
    inner.unmap()
    mapping.unmap()
    // After the unmap nothing is owned at either place (and, under AddressSanitizer, no stale index entry is read).
    expect(thrown(fixedAt(newBase)).message).toMatch(/not inside a mapping made by mman/)
    expect(thrown(fixedAt(oldBase)).message).toMatch(/not inside a mapping made by mman/)
    blocker?.unmap()
  })

  it('moves while a view is still held: bytes follow, the old view is detached, the old range is released once the view is gone', async () => {
    const { mapping, blocker } = hemmedIn(4)
    mapping.bytes().fill(9)
    let held: Uint8Array | undefined = mapping.bytes()
    const before = zombies()
    mapping.remap(256 * pageSize)
    expect(held.length).toBe(0)
    expect(mapping.bytes()[4 * pageSize - 1]).toBe(9)
    expect(mapping.bytes()[4 * pageSize]).toBe(0)
    expect(zombies()).toBe(before + 1)
    held = undefined
    expect(await collectUntil(() => zombies() <= before)).toBe(true)
    mapping.unmap()
    blocker?.unmap()
  })

  it('shrinks while a view is still held: the tail is kept empty until the view is gone', async () => {
    const mapping = mapAnonymous(16 * pageSize)
    let held: Uint8Array | undefined = mapping.bytes()
    held[15 * pageSize] = 1
    const before = zombies()
    mapping.remap(4 * pageSize)
    expect(mapping.length).toBe(4 * pageSize)
    expect(zombies()).toBe(before + 1)
    held = undefined
    expect(await collectUntil(() => zombies() <= before)).toBe(true)
    mapping.unmap()
  })
})

describe('views that nothing can reach never block remap()', () => {
  it('after gc(): 20 of 20', () => {
    const mapping = mapAnonymous(pageSize)
    for (let i = 0; i < 20; i++) {
      for (let j = 0; j < 10; j++) mapping.window(0, pageSize)
      gc()
      mapping.remap((i % 2 === 0 ? 2 : 1) * pageSize)
    }
    mapping.unmap()
  })

  it('3,000 rounds of "take 50 windows, then remap", without an explicit gc', () => {
    const mapping = mapAnonymous(pageSize)
    for (let round = 0; round < 3000; round++) {
      for (let j = 0; j < 50; j++) mapping.window(0, pageSize)
      mapping.remap(((round % 3) + 1) * pageSize)
    }
    mapping.unmap()
  })

  it('bytes() of a mapping over 4 GiB, then remap', () => {
    const mapping = mapAnonymous(5 * 2 ** 30, { noReserve: true })
    mapping.bytes(mapping.length - 8)[7] = 1
    mapping.remap(6 * 2 ** 30)
    expect(mapping.bytes(5 * 2 ** 30 - 8)[7]).toBe(1)
    mapping.unmap()
  })
})

describe('remap() and resize() of a file mapping', () => {
  const path = join(dir, 'file.bin')

  it('checks the size the file has now: growing after the file grew works, past a shrunk end is refused', () => {
    writeFileSync(path, Buffer.alloc(pageSize, 1))
    const fd = openSync(path, 'r+')
    const mapping = mapFile(fd, { mode: 'rw' })
    ftruncateSync(fd, 3 * pageSize)
    mapping.remap(3 * pageSize)
    expect(mapping.bytes(2 * pageSize, 1)[0]).toBe(0)
    ftruncateSync(fd, pageSize)
    expect(thrown(() => mapping.remap(4 * pageSize)).code).toBe('ERR_OUT_OF_RANGE')
    expect(mapping.remap(4 * pageSize, { allowBeyondEOF: true }).length).toBe(4 * pageSize)
    mapping.unmap()
    closeSync(fd)
  })

  it('checks it in the syscall layer too (mremap)', () => {
    writeFileSync(path, Buffer.alloc(2 * pageSize, 1))
    const fd = openSync(path, 'r+')
    const buf = mmap(null, 2 * pageSize, RW, MAP.SHARED, fd, 0)
    ftruncateSync(fd, pageSize)
    expect(thrown(() => mremap(buf, 3 * pageSize)).code).toBe('ERR_OUT_OF_RANGE')
    ftruncateSync(fd, 4 * pageSize)
    const grown = mremap(buf, 4 * pageSize)
    expect(grown.byteLength).toBe(4 * pageSize)
    munmap(grown)
    closeSync(fd)
  })

  it('munmap() of the buffer mremap() detached is ERR_INVALID_STATE and says why; the new buffer unmaps', () => {
    const old = mmap(null, pageSize, RW, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
    const grown = mremap(old, 2 * pageSize)
    const error = thrown(() => munmap(old))
    expect(error.code).toBe('ERR_INVALID_STATE')
    expect(error.message).toMatch(/detached when its mapping was remapped/)
    munmap(grown)
    munmap(old) // its mapping is gone now: nothing to do, as for any unmapped buffer
    expect(grown.byteLength).toBe(0)
  })

  it('munmap() of a buffer mremap() could not detach (marked untransferable) is ERR_INVALID_STATE too', () => {
    // On Node >= 24 the mark gives the old buffer a detach key: it stays attached, whole, over zeros.
    // It must not unmap the mapping that moved on to the new buffer.
    const child = runChild(`
      import { mmap, mremap, munmap, PROT, MAP } from 'mman'
      import { markAsUntransferable } from 'node:worker_threads'
      let old = mmap(null, 4096, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
      markAsUntransferable(old)
      let grown = mremap(old, 8192)
      new Uint8Array(grown)[0] = 7
      try { munmap(old); console.log('munmap(old) returned') } catch (error) { console.log(error.code) }
      console.log(grown.byteLength, grown.byteLength && new Uint8Array(grown)[0])
      munmap(grown)
      // Node 24 and 26 abort at exit on a live buffer marked untransferable (escape.test.ts): let it go first.
      old = grown = undefined
      for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((resolve) => setImmediate(resolve)) }
    `)
    expect(child.stderr).toBe('')
    expect(child.signal).toBeNull()
    expect(child.stdout).toBe('ERR_INVALID_STATE\n8192 7\n')
  })

  it('resize() grows and shrinks the file with the mapping, like Python mmap.resize()', () => {
    writeFileSync(path, 'log:')
    const log = mapFile(path, { mode: 'rw' })
    for (const entry of ['one;', 'two;', 'three;']) {
      const end = log.length
      log.resize(end + entry.length)
      log.bytes(end).set(Buffer.from(entry))
    }
    log.sync()
    expect(readFileSync(path, 'utf8')).toBe('log:one;two;three;')
    log.resize(4)
    expect(statSync(path).size).toBe(4)
    expect(Buffer.from(log.bytes()).toString()).toBe('log:')
    log.unmap()
  })

  it('resize() at an unaligned offset ends the file at offset + length', () => {
    writeFileSync(path, Buffer.alloc(2 * pageSize + 10, 3))
    const mapping = mapFile(path, { mode: 'rw', offset: pageSize + 5 })
    mapping.resize(100)
    expect(statSync(path).size).toBe(pageSize + 5 + 100)
    mapping.unmap()
  })

  it('resize() refuses mappings that do not write the file', () => {
    writeFileSync(path, 'data')
    const cow = mapFile(path, { mode: 'cow' })
    expect(thrown(() => cow.resize(100)).code).toBe('ERR_INVALID_STATE')
    cow.unmap()
    const readOnly = mapFile(path)
    expect(thrown(() => readOnly.resize(100)).code).toBe('ERR_INVALID_STATE')
    readOnly.unmap()
    expect(readFileSync(path, 'utf8')).toBe('data')
  })
})

describe('memory whose kernel object keeps its size', () => {
  it('refuses to grow shared anonymous memory (touching the new part would be SIGBUS), shrinks it fine', () => {
    const shared = mapAnonymous(2 * pageSize, { shared: true })
    const error = thrown(() => shared.remap(4 * pageSize))
    expect(error).toMatchObject({ code: 'EINVAL', syscall: 'mremap' })
    expect(error.message).toMatch(/cannot grow/)
    expect(shared.remap(pageSize).length).toBe(pageSize)
    shared.unmap()
  })

  it('refuses to grow a shared /dev/zero mapping; a private one grows', () => {
    const fd = openSync('/dev/zero', 'r+')
    const shared = map(pageSize, RW, MAP.SHARED, fd, 0)
    expect(thrown(() => shared.remap(2 * pageSize)).code).toBe('EINVAL')
    shared.unmap()
    const privateZero = map(pageSize, RW, MAP.PRIVATE, fd, 0)
    privateZero.remap(2 * pageSize)
    privateZero.bytes()[pageSize] = 1
    privateZero.unmap()
    closeSync(fd)
  })

  it('a sealed memfd cannot grow past its size either', async () => {
    const { SharedMemory } = await import('../lib/index.js')
    const memory = SharedMemory.create(pageSize)
    expect(thrown(() => memory.mapping.remap(2 * pageSize)).code).toBe('ERR_OUT_OF_RANGE')
    memory.close()
  })
})
