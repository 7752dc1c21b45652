// A view can escape: transfer() moves its backing store to a buffer mman never
// saw, fs.read keeps a raw pointer on the thread pool, postMessage and
// structuredClone take it elsewhere. Whatever escaped, unmap() must neither
// crash the process nor let a later mapping receive stale writes.
import { closeSync, openSync, read, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MessageChannel } from 'node:worker_threads'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { MAP, PROT, map, mapAnonymous, mapFile, pageSize, regionCounts } from '../lib/index.js'
import { collectUntil, runChild, tempDir, vmaContaining } from './helpers.js'

const { dir, cleanup } = tempDir()
afterAll(cleanup)

type Transferable = ArrayBuffer & {
  transfer(length?: number): ArrayBuffer
  transferToFixedLength(length?: number): ArrayBuffer
}
const canTransfer = typeof (ArrayBuffer.prototype as Partial<Transferable>).transfer === 'function'
const zombies = () => regionCounts().reservedRanges

describe('unmap, remap, brk shrink and exit with live views never abort', () => {
  it('runs every README tour step, then exits with views alive, on this Node line', () => {
    const child = runChild(`
      import { mapAnonymous, mapFile, mmap, munmap, sbrk, brk, PROT, MAP } from 'mman'
      import { writeFileSync } from 'node:fs'
      const m = mapAnonymous(4096); const u = new Uint8Array(m.buffer); u[0] = 1; m.unmap()
      const buf = mmap(null, 8192, PROT.READ | PROT.WRITE, MAP.SHARED | MAP.ANONYMOUS, -1, 0)
      const ints = new Int32Array(buf); munmap(buf)
      const r = mapAnonymous(8192); const w = r.window(0, 4096); const rb = r.bytes(); r.remap(1 << 20); r.remap(4096)
      writeFileSync(${JSON.stringify(join(dir, 'exit.txt'))}, 'hello')
      const f = mapFile(${JSON.stringify(join(dir, 'exit.txt'))}); const fb = f.bytes()
      globalThis.keep = [u, ints, w, rb, fb, r, f, mapAnonymous(4096).bytes()]
      console.log('done', u.length, ints.length, w.byteLength, rb.length, fb.length)
    `)
    expect(child.stderr).toBe('')
    expect(child.signal).toBeNull()
    expect(child.status).toBe(0)
    expect(child.stdout).toBe('done 0 0 0 0 5\n')
  })

  it('does not abort when the user marked a buffer untransferable (it stays attached, over zeros)', () => {
    const child = runChild(`
      import { mapAnonymous } from 'mman'
      import { markAsUntransferable } from 'node:worker_threads'
      let m = mapAnonymous(4096); let b = m.buffer; new Uint8Array(b)[0] = 9
      markAsUntransferable(b)
      m.unmap()
      console.log('after unmap', b.byteLength === 0 || new Uint8Array(b)[0] === 0)
      // Node 24 and 26 themselves abort at exit on any addon's external buffer that was marked
      // untransferable and is still alive (their cleanup detaches it without its key): let it go first.
      m = b = undefined
      for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((resolve) => setImmediate(resolve)) }
    `)
    expect(child.stderr).toBe('')
    expect(child.signal).toBeNull()
    expect(child.stdout).toBe('after unmap true\n')
  })
})

describe.runIf(canTransfer)('ArrayBuffer.prototype.transfer() (Node >= 22)', () => {
  it('moves a view out; after unmap the moved buffer reads zeros and writes harmlessly, no crash', async () => {
    const m = mapAnonymous(2 * pageSize)
    m.bytes().fill(7)
    let moved: ArrayBuffer | undefined = (m.buffer as Transferable).transfer()
    expect(new Uint8Array(moved)[0]).toBe(7)
    const address = m.address
    m.unmap()
    expect(new Uint8Array(moved).length).toBe(2 * pageSize)
    expect(new Uint8Array(moved).every((b) => b === 0)).toBe(true)
    new Uint8Array(moved).fill(1)
    // The range stays reserved while the moved buffer lives: no later mapping can land there.
    const next = map(2 * pageSize, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0, address)
    expect(next.address).not.toBe(address)
    next.unmap()
    moved = undefined
    expect(await collectUntil(() => vmaContaining(address) === undefined)).toBe(true)
  })

  it('transferToFixedLength() and a transfer to another length (a copy) leave no stale alias either', async () => {
    for (const move of [
      (b: Transferable) => b.transferToFixedLength(),
      (b: Transferable) => b.transfer(3 * pageSize),
    ]) {
      const m = mapAnonymous(pageSize)
      m.bytes()[0] = 5
      let moved: ArrayBuffer | undefined = move(m.buffer as Transferable)
      expect(new Uint8Array(moved)[0]).toBe(5)
      m.unmap()
      new Uint8Array(moved).fill(2)
      moved = undefined
    }
    expect(await collectUntil(() => zombies() === 0)).toBe(true)
  })
})

describe.runIf(canTransfer)('a buffer moved out of a worker that then unmaps and exits', () => {
  it("stays valid in the main thread (Node runs the worker's finalizers at its exit: nothing may be unmapped then)", () => {
    const child = runChild(`
      import { Worker } from 'node:worker_threads'
      const worker = new Worker(\`
        Promise.all([import('mman'), import('node:worker_threads')]).then(([{ mapAnonymous }, { parentPort }]) => {
          const m = mapAnonymous(65536)
          m.bytes().fill(42)
          const moved = m.buffer.transfer()
          parentPort.postMessage(moved, [moved])
          m.unmap()
        })\`, { eval: true })
      const moved = await new Promise((resolve) => worker.once('message', resolve))
      await new Promise((resolve) => worker.once('exit', resolve))
      for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((resolve) => setImmediate(resolve)) }
      const bytes = new Uint8Array(moved)
      bytes.fill(1)
      console.log(bytes.length, bytes[65535])
    `)
    expect(child.stderr).toBe('')
    expect(child.signal).toBeNull()
    expect(child.stdout).toBe('65536 1\n')
  })
})

describe('postMessage and structuredClone with a view in the transfer list', () => {
  it('refuse with DataCloneError (Node >= 22) or copy (Node 20), and unmap still works', async () => {
    const m = mapAnonymous(pageSize)
    m.bytes()[0] = 3
    const buffer = m.buffer
    const outcomes: string[] = []
    try {
      const copy = structuredClone(buffer, { transfer: [buffer] })
      outcomes.push(`copied ${new Uint8Array(copy)[0]}`)
    } catch (error) {
      outcomes.push((error as Error).name)
    }
    const { port1, port2 } = new MessageChannel()
    try {
      const received = new Promise<ArrayBuffer>((resolve) => port2.once('message', resolve))
      port1.postMessage(buffer, [buffer])
      outcomes.push(`copied ${new Uint8Array(await received)[0]}`)
    } catch (error) {
      outcomes.push((error as Error).name)
    } finally {
      port1.close()
    }
    expect(outcomes).toEqual(canTransfer ? ['DataCloneError', 'DataCloneError'] : ['copied 3', 'copied 3'])
    expect(new Uint8Array(buffer)[0]).toBe(3) // never detached by the attempt
    m.unmap()
    expect(buffer.byteLength).toBe(0)
  })
})

describe('native consumers holding a pointer across unmap()', () => {
  const size = 16 << 20
  const path = join(dir, 'race.bin')

  it('fs.read in flight, then unmap, then a mapping at the old address: the new mapping stays zero (20 rounds)', async () => {
    writeFileSync(path, Buffer.alloc(size, 0x5a))
    const fd = openSync(path, 'r')
    let staleRounds = 0
    for (let round = 0; round < 20; round++) {
      const m = mapAnonymous(size)
      const address = m.address
      const done = new Promise<number>((resolve, reject) =>
        read(fd, m.bytes(), 0, size, 0, (error, n) => (error ? reject(error) : resolve(n))),
      )
      m.unmap()
      const next = map(size, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0, address)
      await done
      const bytes = next.bytes()
      for (let i = 0; i < size; i += pageSize) {
        if (bytes[i] !== 0) {
          staleRounds++
          break
        }
      }
      next.unmap()
    }
    closeSync(fd)
    expect(staleRounds).toBe(0)
  })

  it('gives the pages back at unmap(), not at GC: RSS drops while a view is still referenced', () => {
    const length = 64 << 20
    const m = mapAnonymous(length)
    m.bytes().fill(1)
    const held = m.bytes()
    const before = process.memoryUsage.rss()
    m.unmap()
    expect(held.length).toBe(0)
    expect(before - process.memoryUsage.rss()).toBeGreaterThanOrEqual(length - (4 << 20))
  })

  it('zlib and crypto reading a view while it is unmapped: no crash, no stale alias', async () => {
    const { gzip } = await import('node:zlib')
    const { createHash } = await import('node:crypto')
    for (let round = 0; round < 10; round++) {
      const m = mapAnonymous(4 << 20)
      m.bytes().fill(round)
      const zipped = new Promise<Buffer>((resolve, reject) =>
        gzip(m.bytes(), (error, out) => (error ? reject(error) : resolve(out))),
      )
      const hash = createHash('sha256')
      hash.update(m.bytes())
      m.unmap()
      expect((await zipped).length).toBeGreaterThan(0)
      expect(hash.digest().length).toBe(32)
    }
    expect(gzipSync(Buffer.alloc(1)).length).toBeGreaterThan(0)
  })
})

describe.runIf(canTransfer)('a file mapping whose view was moved out by transfer()', () => {
  it('keeps the file intact: writes through the moved buffer after unmap never reach the file', () => {
    const path = join(dir, 'stale.txt')
    writeFileSync(path, 'original!')
    const m = mapFile(path, { mode: 'rw' })
    const moved = (m.buffer as Transferable).transfer()
    m.unmap()
    new Uint8Array(moved).fill(0x21)
    expect(readFileSync(path, 'utf8')).toBe('original!')
  })
})
