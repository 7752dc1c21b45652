import { constants as bufferConstants } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import {
  MADV,
  MAP,
  PROT,
  addressOf,
  madvise,
  mapAnonymous,
  mmap,
  mprotect,
  msync,
  munmap,
  pageSize,
  maps,
  regionCounts,
  vmaAt,
} from '../lib/index.js'
import { native, type RegionHandle } from '../lib/native.js'
import { collectUntil, runChild, thrown, vmaContaining } from './helpers.js'

// Containment, not VMA boundaries: the kernel may merge a mapping with an adjacent one.
const isMapped = (address: bigint) => vmaContaining(address) !== undefined

const { MAX_LENGTH } = bufferConstants
const length = 5 * 2 ** 30

const anon = (length: number) => mmap(null, length, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)

describe('use after munmap', () => {
  it('detaches the buffer and every view: byteLength 0, lengths 0, reads undefined, no crash', () => {
    const buf = anon(2 * pageSize)
    const bytes = new Uint8Array(buf)
    const words = new Float64Array(buf, pageSize, 4)
    const dataView = new DataView(buf)
    const nodeBuffer = Buffer.from(buf)
    bytes[0] = 1
    munmap(buf)
    expect(buf.byteLength).toBe(0)
    expect(bytes.length).toBe(0)
    expect(words.length).toBe(0)
    expect(nodeBuffer.length).toBe(0)
    expect(bytes[0]).toBeUndefined()
    expect(() => dataView.getUint8(0)).toThrow(TypeError)
  })

  it('unmap does not run user code: a replaced ArrayBuffer.prototype.transfer is not called', () => {
    const child = runChild(`
      import { mapAnonymous } from 'mman'
      let calls = 0
      ArrayBuffer.prototype.transfer = function () { calls++; mapAnonymous(4096).bytes(); throw new Error('user code') }
      const mapping = mapAnonymous(4096)
      const views = Array.from({ length: 8 }, () => new Uint8Array(mapping.bytes().buffer))
      mapping.unmap()
      console.log(JSON.stringify({ calls, lengths: [...new Set(views.map((view) => view.length))] }))
    `)
    expect(child.stderr).toBe('')
    expect(JSON.parse(child.stdout)).toEqual({ calls: 0, lengths: [0] })
  })

  it('makes later calls on it throw ERR_INVALID_STATE', () => {
    const buf = anon(pageSize)
    munmap(buf)
    for (const call of [() => madvise(buf, MADV.DONTNEED), () => mprotect(buf, PROT.READ), () => msync(buf)]) {
      expect(thrown(call).code).toBe('ERR_INVALID_STATE')
    }
    const mapping = mapAnonymous(pageSize)
    mapping.unmap()
    expect(mapping.unmapped).toBe(true)
    for (const call of [
      () => mapping.buffer,
      () => mapping.bytes(),
      () => mapping.advise(MADV.DONTNEED),
      () => mapping.address,
    ]) {
      expect(thrown(call).code).toBe('ERR_INVALID_STATE')
    }
  })

  it('double unmap is harmless in both layers', () => {
    const buf = anon(pageSize)
    const view = new Uint8Array(buf)
    munmap(buf)
    munmap(buf)
    munmap(view)
    const mapping = mapAnonymous(pageSize)
    mapping.unmap()
    mapping.unmap()
    mapping[Symbol.dispose]()
  })

  it('keeps the range of a buffer still referenced as fresh read-write private memory, whatever was done to its pages', () => {
    const perms = (address: bigint) => vmaContaining(address)!.split(' ')[1]
    const plain = anon(4 * pageSize)
    new Uint8Array(plain).fill(7)
    const plainAt = addressOf(plain)
    munmap(plain)
    expect(perms(plainAt)).toBe('rw-p')
    const guarded = anon(4 * pageSize)
    const guardedAt = addressOf(guarded)
    mprotect(guarded, PROT.READ)
    munmap(guarded)
    // A native writer still holding the old pointer writes into throwaway memory, not into a fault.
    expect(perms(guardedAt)).toBe('rw-p')
  })

  it('does not unmap memory mapped later at the same address', async () => {
    const first = anon(pageSize)
    munmap(first)
    const second = anon(pageSize)
    new Uint8Array(second)[0] = 5
    // Whatever finalizers of the first mapping still run must leave the second alone.
    await collectUntil(() => false, 5)
    expect(new Uint8Array(second)[0]).toBe(5)
    expect(isMapped(addressOf(second))).toBe(true)
    munmap(second)
  })
})

describe('GC finalization', () => {
  it('unmaps a mapping once its last view is collected: the VMA leaves /proc/self/maps', async () => {
    let buf: ArrayBuffer | undefined = anon(16 * pageSize)
    const address = addressOf(buf)
    let view: Uint8Array | undefined = new Uint8Array(buf, pageSize)
    buf = undefined
    expect(isMapped(address)).toBe(true)
    expect(await collectUntil(() => !isMapped(address), 3)).toBe(false)
    expect(view.length).toBe(15 * pageSize)
    view = undefined
    expect(await collectUntil(() => !isMapped(address))).toBe(true)
  })

  it('unmaps a Mapping and its windows once all are collected', async () => {
    let mapping: ReturnType<typeof mapAnonymous> | undefined = mapAnonymous(8 * pageSize)
    const address = mapping.address
    let window: ArrayBuffer | undefined = mapping.window(pageSize, pageSize)
    mapping = undefined
    expect(await collectUntil(() => !isMapped(address), 3)).toBe(false)
    window = undefined
    expect(window).toBeUndefined()
    expect(await collectUntil(() => !isMapped(address))).toBe(true)
  })

  it('survives a failed >4 GiB ArrayBuffer creation (Node 20): finalizer runs once, unmap still works', () => {
    const child = runChild(`
      import { native } from './dist/lib/native.js'
      const { PROT, MAP } = native.constants
      const length = 5 * 2 ** 30
      let region = native.mmap(0n, length, PROT.READ, MAP.PRIVATE | MAP.ANONYMOUS | MAP.NORESERVE, -1, 0, false)
      for (let i = 0; i < 3; i++) {
        const view = native.view(region, 0, length)
        console.log('view', typeof view === 'number' ? view : view.byteLength === length)
      }
      global.gc()
      await new Promise((resolve) => setImmediate(resolve))
      console.log('munmap', native.munmap(region))
      let other = native.mmap(0n, length, PROT.READ, MAP.PRIVATE | MAP.ANONYMOUS | MAP.NORESERVE, -1, 0, false)
      native.view(other, 0, length)
      other = region = undefined
      for (let i = 0; i < 5; i++) { global.gc(); await new Promise((resolve) => setImmediate(resolve)) }
      console.log('alive')
    `)
    expect(child.signal).toBeNull()
    expect(child.stderr).toBe('')
    // Node 20 cannot make an ArrayBuffer this large (ENOMEM); Node 22 and later can.
    const view = length > MAX_LENGTH ? -12 : true
    expect(child.stdout).toBe(`view ${view}\nview ${view}\nview ${view}\nmunmap 0\nalive\n`)
    expect(child.status).toBe(0)
  })

  it('gives every range back after many mappings are dropped to the GC', async () => {
    // The process's VMA count is no measure here: this process's other
    // allocators (V8, and ASan's under the sanitizer) map memory meanwhile.
    const before = regionCounts()
    const addresses: bigint[] = []
    for (let i = 0; i < 2000; i++) {
      const buf = anon(pageSize)
      new Uint8Array(buf)[0] = 1
      addresses.push(addressOf(buf))
    }
    // V8 may keep the last buffer or two reachable a while (inline caches); a leak would keep 2,000.
    expect(await collectUntil(() => regionCounts().regions <= before.regions + 2)).toBe(true)
    expect(regionCounts().reservedRanges).toBeLessThanOrEqual(before.reservedRanges)
    // Some of the 2,000 freed pages may have been mapped again by others since; not most.
    const vmas = maps()
    expect(addresses.filter((address) => vmaAt(address, vmas) !== undefined).length).toBeLessThan(100)
  })
})

describe('region handles', () => {
  const mapPage = () =>
    native.mmap(0n, pageSize, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0, false) as RegionHandle

  it('a handle whose region is gone finds nothing, also once its slot holds another region', () => {
    const gone = mapPage()
    expect(native.address(gone)).not.toBe(0n)
    expect(native.munmap(gone, true)).toBe(0)
    expect(native.address(gone)).toBe(0n)
    expect(native.released(gone)).toBe(true)
    expect(native.view(gone, 0, pageSize, false)).toBeLessThan(0)
    expect(native.munmap(gone, true)).toBeLessThan(0)
    // The freed slot is used again at once, with a new generation.
    const next = mapPage()
    expect(native.address(next)).not.toBe(0n)
    expect(native.address(gone)).toBe(0n)
    expect(native.view(gone, 0, pageSize, false)).toBeLessThan(0)
    expect(native.munmap(next, true)).toBe(0)
  })

  it('numbers that are no handle, and values that are no number, find nothing', () => {
    const live = mapPage()
    const forged: unknown[] = [
      0,
      1,
      -1,
      0.5,
      NaN,
      Infinity,
      -Infinity,
      2 ** 53,
      2 ** 60,
      live + 1,
      live + 2 ** 24,
      live - 2 ** 24,
      live + 0.5,
      `${live}`,
      {},
      undefined,
      null,
      BigInt(live),
    ]
    for (const handle of forged) {
      expect(native.address(handle as RegionHandle)).toBe(0n)
      expect(native.view(handle as RegionHandle, 0, pageSize, false)).toBeLessThan(0)
      expect(native.munmap(handle as RegionHandle, true)).toBeLessThan(0)
    }
    expect(native.released(live)).toBe(false)
    expect(native.munmap(live, true)).toBe(0)
  })
})
