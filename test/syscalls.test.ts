import { closeSync, openSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  MADV,
  MAP,
  MLOCK,
  MS,
  PROT,
  addressOf,
  madvise,
  madviseAsync,
  mincore,
  mlock,
  mmap,
  mprotect,
  mremap,
  msync,
  msyncAsync,
  munlock,
  munmap,
  pageSize,
} from '../lib/index.js'
import { collectUntil, expectSyscallError, runChild, thrown, vmaContaining } from './helpers.js'

const RW = PROT.READ | PROT.WRITE
const anon = (length: number, flags = MAP.PRIVATE) => mmap(null, length, RW, flags | MAP.ANONYMOUS, -1, 0)

describe('mmap', () => {
  it('returns a zero-filled, writable ArrayBuffer of the requested length', () => {
    const buf = anon(3 * pageSize + 5)
    expect(buf).toBeInstanceOf(ArrayBuffer)
    expect(buf.byteLength).toBe(3 * pageSize + 5)
    const bytes = new Uint8Array(buf)
    expect(bytes.every((b) => b === 0)).toBe(true)
    bytes.fill(0xab)
    expect(bytes[bytes.length - 1]).toBe(0xab)
    munmap(buf)
  })

  it('runs the seed example: ints written and read back through an Int32Array', () => {
    const buf = mmap(null, 1024 * 1024, PROT.READ | PROT.WRITE, MAP.ANONYMOUS | MAP.SHARED, -1, 0)
    const ints = new Int32Array(buf)
    ints[3] = 7
    ints[2] = ints[3]
    expect(ints[2]).toBe(7)
    munmap(buf)
  })

  it('shows private and shared anonymous mappings as p and s in /proc/self/maps', () => {
    const priv = anon(pageSize)
    const shared = anon(pageSize, MAP.SHARED)
    expect(vmaContaining(addressOf(priv))?.split(' ')[1]).toBe('rw-p')
    const sharedLine = vmaContaining(addressOf(shared))!
    expect(sharedLine.split(' ')[1]).toBe('rw-s')
    // A shared anonymous mapping is shmem: the kernel shows it as a deleted /dev/zero.
    expect(sharedLine).toMatch(/\/dev\/zero \(deleted\)$/)
    munmap(priv)
    munmap(shared)
  })

  it('maps /dev/zero shared: zero-filled and writable, backed by shmem', () => {
    const fd = openSync('/dev/zero', 'r+')
    try {
      const buf = mmap(null, pageSize, RW, MAP.SHARED, fd, 0)
      const bytes = new Uint8Array(buf)
      expect(bytes.every((b) => b === 0)).toBe(true)
      bytes.set(Buffer.from('string 1\0'))
      expect(Buffer.from(buf, 0, 8).toString()).toBe('string 1')
      expect(vmaContaining(addressOf(buf))).toMatch(/rw-s .*\/dev\/zero/)
      munmap(buf)
    } finally {
      closeSync(fd)
    }
  })

  it('takes an address hint without requiring it', () => {
    const buf = mmap(0x7e0000000000n, pageSize, RW, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
    expect(typeof addressOf(buf)).toBe('bigint')
    munmap(buf)
  })

  it('accepts MAP.FIXED only inside a region mman owns, and never straddling a live fixed mapping', async () => {
    let reservation: ArrayBuffer | undefined = mmap(
      null,
      4 * pageSize,
      PROT.NONE,
      MAP.PRIVATE | MAP.ANONYMOUS | MAP.NORESERVE,
      -1,
      0,
    )
    const base = addressOf(reservation)
    let inner: ArrayBuffer | undefined = mmap(
      base + BigInt(pageSize),
      pageSize,
      RW,
      MAP.FIXED | MAP.PRIVATE | MAP.ANONYMOUS,
      -1,
      0,
    )
    expect(addressOf(inner)).toBe(base + BigInt(pageSize))
    new Uint8Array(inner)[0] = 1
    expect(vmaContaining(addressOf(inner))?.split(' ')[1]).toBe('rw-p')

    // A range that straddles the inner mapping would leave two owners for its pages.
    expect(thrown(() => mmap(base, 2 * pageSize, RW, MAP.FIXED | MAP.PRIVATE | MAP.ANONYMOUS, -1, 0))).toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: expect.stringMatching(/overlaps/),
    })
    expect(thrown(() => mmap(base + 1n, pageSize, RW, MAP.FIXED | MAP.PRIVATE | MAP.ANONYMOUS, -1, 0))).toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: expect.stringMatching(/multiple of the page size/),
    })
    expect(
      thrown(() => mmap(base + BigInt(3 * pageSize), 2 * pageSize, RW, MAP.FIXED | MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)),
    ).toMatchObject({
      code: 'ERR_INVALID_ARG_VALUE',
      message: expect.stringMatching(/not inside a mapping made by mman/),
    })

    // Unmapping the inner mapping drops its pages at once, but its range takes no
    // new MAP.FIXED mapping while a view of it may still be in use (a stale
    // pointer would alias it); once the views are collected it is the
    // reservation's PROT_NONE again, not a hole.
    munmap(inner)
    expect(inner.byteLength).toBe(0)
    expect(
      thrown(() => mmap(base + BigInt(pageSize), pageSize, RW, MAP.FIXED | MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)).code,
    ).toBe('ERR_INVALID_ARG_VALUE')
    inner = undefined
    expect(await collectUntil(() => vmaContaining(base + BigInt(pageSize))?.split(' ')[1] === '---p')).toBe(true)
    // Unmapping the reservation detaches what was placed inside it too; the
    // range leaves /proc/self/maps once nothing can point into it.
    let again: ArrayBuffer | undefined = mmap(base, pageSize, RW, MAP.FIXED | MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
    munmap(reservation)
    expect(again.byteLength).toBe(0)
    reservation = again = undefined
    expect(await collectUntil(() => vmaContaining(base) === undefined)).toBe(true)
  })

  it('refuses MAP.FIXED at an address mman does not own (it could replace the V8 heap)', () => {
    const address = BigInt(`0x${readFileSync('/proc/self/maps', 'utf8').split('-')[0]}`)
    expect(thrown(() => mmap(address, pageSize, RW, MAP.FIXED | MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)).code).toBe(
      'ERR_INVALID_ARG_VALUE',
    )
  })

  it('gives MAP.FIXED_NOREPLACE its EEXIST when the place is taken', () => {
    const buf = anon(pageSize)
    expectSyscallError(
      () => mmap(addressOf(buf), pageSize, RW, MAP.FIXED_NOREPLACE | MAP.PRIVATE | MAP.ANONYMOUS, -1, 0),
      'EEXIST',
      'mmap',
    )
    munmap(buf)
  })
})

describe('mprotect', () => {
  it('changes protection of the pages a view covers (VMA split shows it)', () => {
    const buf = anon(3 * pageSize)
    const middle = new Uint8Array(buf, pageSize, pageSize)
    mprotect(middle, PROT.READ)
    expect(vmaContaining(addressOf(buf))?.split(' ')[1]).toBe('rw-p')
    expect(vmaContaining(addressOf(middle))?.split(' ')[1]).toBe('r--p')
    mprotect(buf, RW)
    expect(vmaContaining(addressOf(middle))?.split(' ')[1]).toBe('rw-p')
    munmap(buf)
  })

  it('refuses PROT.WRITE | PROT.EXEC unless allowed, and allows READ | EXEC after writing', () => {
    const buf = anon(pageSize)
    expect(thrown(() => mprotect(buf, PROT.READ | PROT.WRITE | PROT.EXEC)).code).toBe('ERR_INVALID_ARG_VALUE')
    mprotect(buf, PROT.READ | PROT.EXEC)
    expect(vmaContaining(addressOf(buf))?.split(' ')[1]).toBe('r-xp')
    mprotect(buf, PROT.READ | PROT.WRITE | PROT.EXEC, { allowWriteExec: true })
    expect(vmaContaining(addressOf(buf))?.split(' ')[1]).toBe('rwxp')
    munmap(buf)
  })

  it('reports the kernel refusing write access to a read-only file mapping', () => {
    const fd = openSync('/etc/hostname', 'r')
    try {
      const buf = mmap(null, 1, PROT.READ, MAP.SHARED, fd, 0)
      expectSyscallError(() => mprotect(buf, RW), 'EACCES', 'mprotect')
      munmap(buf)
    } finally {
      closeSync(fd)
    }
  })
})

describe('madvise', () => {
  it('MADV.DONTNEED zeroes a private anonymous page but keeps shared anonymous data', () => {
    const priv = new Uint8Array(anon(2 * pageSize))
    const shared = new Uint8Array(anon(2 * pageSize, MAP.SHARED))
    priv.fill(7)
    shared.fill(7)
    madvise(priv.subarray(0, pageSize), MADV.DONTNEED)
    madvise(shared.subarray(0, pageSize), MADV.DONTNEED)
    expect(priv[0]).toBe(0)
    expect(priv[pageSize]).toBe(7)
    expect(shared[0]).toBe(7)
    munmap(priv.buffer)
    munmap(shared.buffer)
  })

  it('rounds a sub-page view out to its whole page', () => {
    const bytes = new Uint8Array(anon(2 * pageSize))
    bytes.fill(1)
    madvise(bytes.subarray(10, 20), MADV.DONTNEED)
    expect(bytes[0]).toBe(0)
    expect(bytes[pageSize - 1]).toBe(0)
    expect(bytes[pageSize]).toBe(1)
    munmap(bytes.buffer)
  })

  it('populates off the event loop with madviseAsync', async () => {
    const buf = anon(64 * pageSize)
    expect(mincore(buf).every((page) => (page & 1) === 0)).toBe(true)
    await madviseAsync(buf, MADV.POPULATE_WRITE!)
    expect(mincore(buf).every((page) => (page & 1) === 1)).toBe(true)
    munmap(buf)
  })

  it('refuses advice values the headers do not define', () => {
    const buf = anon(pageSize)
    expect(thrown(() => madvise(buf, 12345)).code).toBe('ERR_INVALID_ARG_VALUE')
    munmap(buf)
  })
})

describe('mincore', () => {
  it('shows pages becoming resident as they are touched', () => {
    const bytes = new Uint8Array(anon(8 * pageSize))
    expect(Array.from(mincore(bytes), (p) => p & 1)).toEqual([0, 0, 0, 0, 0, 0, 0, 0])
    bytes[0] = 1
    bytes[5 * pageSize] = 1
    expect(Array.from(mincore(bytes), (p) => p & 1)).toEqual([1, 0, 0, 0, 0, 1, 0, 0])
    expect(mincore(bytes.subarray(5 * pageSize, 6 * pageSize)).length).toBe(1)
    munmap(bytes.buffer)
  })
})

describe('msync', () => {
  it('accepts MS.SYNC, MS.ASYNC and MS.INVALIDATE, and refuses SYNC with ASYNC', async () => {
    const buf = anon(pageSize, MAP.SHARED)
    msync(buf)
    msync(buf, MS.ASYNC)
    msync(buf, MS.SYNC | MS.INVALIDATE)
    await msyncAsync(buf)
    expect(thrown(() => msync(buf, MS.SYNC | MS.ASYNC)).code).toBe('ERR_INVALID_ARG_VALUE')
    munmap(buf)
  })

  it('refuses munmap while an async msync is in flight, then allows it', async () => {
    const buf = anon(pageSize, MAP.SHARED)
    const pending = msyncAsync(buf)
    expectSyscallError(() => munmap(buf), 'EBUSY', 'munmap')
    await pending
    munmap(buf)
    expect(buf.byteLength).toBe(0)
  })
})

describe('mlock', () => {
  it('locks and unlocks pages (VmLck counts them)', () => {
    const buf = anon(4 * pageSize)
    const locked = () => Number(/VmLck:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1])
    const before = locked()
    mlock(buf)
    expect(locked() - before).toBe((4 * pageSize) / 1024)
    munlock(buf)
    expect(locked()).toBe(before)
    mlock(buf, MLOCK.ONFAULT)
    munlock(buf)
    munmap(buf)
  })
})

describe('mremap', () => {
  it('grows a mapping, keeps its bytes, detaches old views and returns a new buffer', () => {
    const old = anon(pageSize)
    const oldView = new Uint8Array(old)
    oldView.set([1, 2, 3])
    const grown = mremap(old, 64 * pageSize)
    expect(old.byteLength).toBe(0)
    expect(oldView.length).toBe(0)
    expect(grown.byteLength).toBe(64 * pageSize)
    const bytes = new Uint8Array(grown)
    expect(Array.from(bytes.subarray(0, 3))).toEqual([1, 2, 3])
    bytes[64 * pageSize - 1] = 9
    expect(thrown(() => madvise(old, MADV.DONTNEED)).code).toBe('ERR_INVALID_STATE')
    munmap(grown)
  })

  it('refuses to remap a reservation that has MAP.FIXED mappings inside', () => {
    const reservation = mmap(null, 2 * pageSize, PROT.NONE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
    const inner = mmap(addressOf(reservation), pageSize, RW, MAP.FIXED | MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
    expectSyscallError(() => mremap(reservation, 4 * pageSize), 'EBUSY', 'mremap')
    munmap(inner)
    munmap(reservation)
  })
})

describe('empty ranges', () => {
  it('act on nothing, even at an unaligned offset: no page is zeroed, protected or locked', () => {
    // A child: had the empty mprotect rounded out to a page, the write below would be SIGSEGV.
    const child = runChild(`
      import { MADV, PROT, madvise, mapAnonymous, mincore, mlock, mprotect, msync, munlock } from 'mman'
      const mapping = mapAnonymous(8192)
      const bytes = mapping.bytes()
      bytes.fill(7)
      mprotect(bytes.subarray(10, 10), PROT.NONE)
      madvise(bytes.subarray(100, 100), MADV.DONTNEED)
      mapping.advise(MADV.DONTNEED, { offset: 100, length: 0 })
      mapping.protect(PROT.NONE, { offset: 4097, length: 0 })
      msync(bytes.subarray(5, 5))
      mlock(bytes.subarray(5, 5)); munlock(bytes.subarray(5, 5))
      bytes[0] = 1; bytes[4097] = 2
      console.log(bytes[0], bytes[4097], bytes[8191], mincore(bytes.subarray(3, 3)).length, mapping.residency({ offset: 9, length: 0 }).pages)
    `)
    expect(child.stderr).toBe('')
    expect(child.signal).toBeNull()
    expect(child.stdout).toBe('1 2 7 0 0\n')
  })
})
