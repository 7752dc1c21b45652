import { constants as bufferConstants } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { MADV, MAP, PROT, Mapping, addressOf, map, mapAnonymous, madvise, pageSize } from '../lib/index.js'
import { thrown, vmaContaining } from './helpers.js'

describe('mapAnonymous', () => {
  it('maps private zeroed memory by default, shared on request', () => {
    const priv = mapAnonymous(pageSize)
    const shared = mapAnonymous(pageSize, { shared: true })
    expect(priv).toBeInstanceOf(Mapping)
    expect(priv.flags & MAP.PRIVATE).toBe(MAP.PRIVATE)
    expect(shared.flags & MAP.SHARED).toBe(MAP.SHARED)
    expect(priv.prot).toBe(PROT.READ | PROT.WRITE)
    expect(priv.fd).toBe(-1)
    expect(priv.offset).toBe(0)
    expect(vmaContaining(shared.address)?.split(' ')[1]).toBe('rw-s')
    priv.unmap()
    shared.unmap()
  })

  it('populates at map time, and later with populate() / populateAsync()', async () => {
    const eager = mapAnonymous(16 * pageSize, { populate: true })
    expect(eager.residency().resident).toBe(16)
    const lazy = mapAnonymous(16 * pageSize)
    expect(lazy.residency().resident).toBe(0)
    lazy.populate({ offset: 0, length: 4 * pageSize })
    expect(lazy.residency().resident).toBe(4)
    await lazy.populateAsync()
    expect(lazy.residency().resident).toBe(16)
    eager.unmap()
    lazy.unmap()
  })

  it('populateAsync() covers every page of a range larger than the slices it works in, up to an uneven end', async () => {
    const pages = (40 * 2 ** 20) / pageSize + 3
    const mapping = mapAnonymous(pages * pageSize + 8 * pageSize)
    await mapping.populateAsync({ offset: 2 * pageSize, length: pages * pageSize })
    const residency = mapping.residency()
    expect(residency.resident).toBe(pages)
    mapping.unmap()
  })

  it('marks transparent huge pages with hugePages: true (hg in smaps VmFlags)', async () => {
    const { readFileSync } = await import('node:fs')
    const mapping = mapAnonymous(4 * 2 ** 20, { hugePages: true, noReserve: true })
    const smaps = readFileSync('/proc/self/smaps', 'utf8')
    const start = mapping.address.toString(16)
    const section = smaps.slice(smaps.indexOf(`${start}-`))
    expect(/VmFlags:([^\n]*)/.exec(section)![1]).toMatch(/\bhg\b/)
    expect(mapping.flags & MAP.NORESERVE).toBe(MAP.NORESERVE)
    mapping.unmap()
  })
})

describe('Mapping', () => {
  it('hands out one cached buffer, and bytes()/window() views of ranges', () => {
    const mapping = mapAnonymous(4 * pageSize)
    expect(mapping.buffer).toBe(mapping.buffer)
    const bytes = mapping.bytes(pageSize, 10)
    bytes.set([1, 2, 3])
    expect(new Uint8Array(mapping.window(pageSize, 3))).toEqual(new Uint8Array([1, 2, 3]))
    expect(mapping.bytes().length).toBe(4 * pageSize)
    expect(addressOf(bytes)).toBe(mapping.address + BigInt(pageSize))
    expect(thrown(() => mapping.bytes(4 * pageSize + 1)).code).toBe('ERR_OUT_OF_RANGE')
    expect(thrown(() => mapping.bytes(0, 4 * pageSize + 1)).code).toBe('ERR_OUT_OF_RANGE')
    mapping.unmap()
  })

  it('protect() sets protection, and the VMA shows it', () => {
    const mapping = mapAnonymous(2 * pageSize)
    mapping.protect(PROT.READ)
    expect(mapping.prot).toBe(PROT.READ)
    expect(vmaContaining(mapping.address)?.split(' ')[1]).toBe('r--p')
    mapping.protect(PROT.NONE, { offset: pageSize })
    expect(vmaContaining(mapping.address + BigInt(pageSize))?.split(' ')[1]).toBe('---p')
    expect(thrown(() => mapping.protect(PROT.WRITE | PROT.EXEC)).code).toBe('ERR_INVALID_ARG_VALUE')
    mapping.unmap()
  })

  it('advise(DONTNEED) on a range zeroes it', () => {
    const mapping = mapAnonymous(2 * pageSize)
    mapping.bytes().fill(3)
    mapping.advise(MADV.DONTNEED, { offset: pageSize })
    expect(mapping.bytes()[0]).toBe(3)
    expect(mapping.bytes()[pageSize]).toBe(0)
    mapping.unmap()
  })

  it('residency() gives counts and a 0/1 bitmap', () => {
    const mapping = mapAnonymous(4 * pageSize)
    mapping.bytes()[2 * pageSize] = 1
    expect(mapping.residency()).toEqual({ pages: 4, resident: 1, bitmap: new Uint8Array([0, 0, 1, 0]) })
    expect(mapping.residency({ offset: 2 * pageSize, length: 1 }).pages).toBe(1)
    mapping.unmap()
  })

  it('lock() and unlock()', () => {
    const mapping = mapAnonymous(2 * pageSize)
    mapping.lock()
    mapping.unlock()
    mapping.lock({ onFault: true })
    mapping.unlock()
    mapping.unmap()
  })

  it('remap() grows in place or moves, keeping bytes; old views are detached', () => {
    const mapping = mapAnonymous(pageSize)
    const before = mapping.bytes()
    before[0] = 42
    mapping.remap(1024 * pageSize)
    expect(mapping.length).toBe(1024 * pageSize)
    expect(before.length).toBe(0)
    expect(mapping.bytes()[0]).toBe(42)
    mapping.bytes()[1024 * pageSize - 1] = 1
    mapping.remap(2 * pageSize)
    expect(mapping.buffer.byteLength).toBe(2 * pageSize)
    expect(thrown(() => madvise(before, MADV.DONTNEED)).code).toBe('ERR_INVALID_STATE')
    mapping.unmap()
  })

  it('works with using (Symbol.dispose unmaps)', () => {
    let view: Uint8Array
    {
      using mapping = mapAnonymous(pageSize)
      view = mapping.bytes()
      view[0] = 1
    }
    expect(view.length).toBe(0)
  })

  it('map() is the general form, with an address hint', () => {
    const mapping = map(pageSize, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0, null)
    expect(mapping.length).toBe(pageSize)
    const reservation = map(4 * pageSize, PROT.NONE, MAP.PRIVATE | MAP.ANONYMOUS, -1)
    const inner = map(
      pageSize,
      PROT.READ,
      MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED,
      -1,
      0,
      reservation.address + BigInt(pageSize),
    )
    expect(inner.address).toBe(reservation.address + BigInt(pageSize))
    reservation.unmap()
    expect(inner.unmapped).toBe(true)
    inner.unmap()
    mapping.unmap()
  })

  it('maps more than 4 GiB: one buffer where Node allows it (22+), windows everywhere', () => {
    const length = 5 * 2 ** 30
    const mapping = mapAnonymous(length, { noReserve: true })
    if (length > bufferConstants.MAX_LENGTH) expect(thrown(() => mapping.buffer)).toBeInstanceOf(RangeError)
    else expect(mapping.buffer.byteLength).toBe(length)
    const tail = mapping.bytes(length - 16)
    tail[15] = 7
    expect(new Uint8Array(mapping.window(length - 1, 1))[0]).toBe(7)
    mapping.unmap()
  })

  // Node 20 holds at most 4 GiB in one ArrayBuffer, 22+ 2^53 - 1 bytes: a view
  // whose length is left out is the rest of the mapping there, and refused here,
  // never the first MAX_LENGTH bytes (which is what bytes() returned on Node 20).
  describe.each([
    ['bytes()', (m: Mapping, offset?: number) => (offset === undefined ? m.bytes() : m.bytes(offset)).byteLength],
    ['window()', (m: Mapping, offset?: number) => m.window(offset ?? 0).byteLength],
  ])('%s without a length on a 5 GiB mapping', (_name, viewLength) => {
    const length = 5 * 2 ** 30
    const fits = length <= bufferConstants.MAX_LENGTH

    it(fits ? 'is the whole mapping (Node >= 22)' : 'throws ERR_OUT_OF_RANGE, as .buffer does (Node 20)', () => {
      const mapping = mapAnonymous(length, { noReserve: true })
      if (fits) expect(viewLength(mapping)).toBe(length)
      else {
        const error = thrown(() => viewLength(mapping))
        expect(error).toBeInstanceOf(RangeError)
        expect(error.code).toBe('ERR_OUT_OF_RANGE')
        expect(error.message).toContain('pass a length')
      }
      mapping.unmap()
    })

    it('from an offset: the rest of the mapping when that fits one buffer, else ERR_OUT_OF_RANGE', () => {
      const mapping = mapAnonymous(length, { noReserve: true })
      const nearEnd = length - 2 ** 30 - 5
      expect(viewLength(mapping, nearEnd)).toBe(2 ** 30 + 5)
      if (fits) expect(viewLength(mapping, 1)).toBe(length - 1)
      else expect(thrown(() => viewLength(mapping, 1)).code).toBe('ERR_OUT_OF_RANGE')
      mapping.unmap()
    })
  })
})
