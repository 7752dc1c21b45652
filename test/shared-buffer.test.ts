// SharedMemory.sharedBuffer: where the runtime can make a SharedArrayBuffer
// over mapped memory (Node >= 22.23), workers receive it by postMessage and
// Atomics work on it; it cannot be detached, so the memory stays mapped until
// every one of them is gone. Elsewhere it says so with a coded error.
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import { SharedMemory, futexWait, futexWake, regionCounts } from '../lib/index.js'
import { collectUntil, runChild, thrown } from './helpers.js'

const supported = SharedMemory.sharedBuffersSupported

describe.runIf(supported)('SharedMemory.sharedBuffer', () => {
  it('is a SharedArrayBuffer over the same memory, which a worker receives by postMessage', async () => {
    const memory = SharedMemory.create(4096)
    const sab = memory.sharedBuffer
    expect(sab).toBeInstanceOf(SharedArrayBuffer)
    expect(sab).toBe(memory.sharedBuffer)
    new Int32Array(sab)[0] = 5
    expect(memory.int32()[0]).toBe(5)
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads')
      parentPort.once('message', (sab) => {
        const ints = new Int32Array(sab)
        Atomics.add(ints, 0, 10)
        Atomics.store(ints, 1, 1)
        Atomics.notify(ints, 1)
      })`,
      { eval: true },
    )
    worker.postMessage(sab)
    // Atomics.wait and notify work across threads on it: it is a real SharedArrayBuffer.
    Atomics.wait(new Int32Array(sab), 1, 0, 10_000)
    expect(memory.int32()[0]).toBe(15)
    await worker.terminate()
    memory.close()
  })

  it('mman futexes take its views too', () => {
    const memory = SharedMemory.create(4096)
    const ints = new Int32Array(memory.sharedBuffer)
    expect(futexWait(ints, 0, 1, 10)).toBe('not-equal')
    expect(futexWake(ints, 0)).toBe(0)
    memory.close()
  })

  it('keeps the memory mapped, contents intact, after close() until every SharedArrayBuffer is collected', async () => {
    const before = regionCounts().regions
    let memory: SharedMemory | undefined = SharedMemory.create(4096)
    let ints: Int32Array | undefined = new Int32Array(memory.sharedBuffer)
    ints[0] = 42
    memory.close()
    expect(() => memory!.buffer).toThrow()
    expect(ints[0]).toBe(42)
    ints[1] = 7
    expect(ints[1]).toBe(7)
    memory = ints = undefined
    expect(await collectUntil(() => regionCounts().regions <= before)).toBe(true)
  })

  it('refuses remap while SharedArrayBuffers exist (they cannot follow a move)', () => {
    const memory = SharedMemory.create(4096)
    void memory.sharedBuffer
    expect((thrown(() => memory.mapping.remap(2048)) as { code?: string }).code).toBe('EBUSY')
    memory.close()
  })

  it('survives exit with SharedArrayBuffers alive in a worker, and a worker exiting first', () => {
    const child = runChild(`
      import { SharedMemory } from 'mman'
      import { Worker } from 'node:worker_threads'
      const memory = SharedMemory.create(4096)
      const worker = new Worker("import('node:worker_threads').then(({ parentPort }) => parentPort.once('message', (sab) => { globalThis.kept = sab; parentPort.postMessage('kept') }))", { eval: true })
      worker.postMessage(memory.sharedBuffer)
      await new Promise((resolve) => worker.once('message', resolve))
      const other = new Worker("import('node:worker_threads').then(({ parentPort }) => parentPort.once('message', (sab) => { globalThis.kept = sab; process.exit(0) }))", { eval: true })
      other.postMessage(memory.sharedBuffer)
      await new Promise((resolve) => other.once('exit', resolve))
      const sab = memory.sharedBuffer
      memory.close()
      globalThis.keep = [sab, worker]
      console.log('exiting')
    `)
    expect(child.stderr).toBe('')
    expect(child.signal).toBeNull()
    expect(child.stdout).toBe('exiting\n')
  })
})

describe.runIf(!supported)('SharedMemory.sharedBuffer where the runtime cannot make one', () => {
  it('says ENOSYS, with what is needed', () => {
    const memory = SharedMemory.create(4096)
    const error = thrown(() => memory.sharedBuffer) as { code?: string; message: string }
    expect(error.code).toBe('ENOSYS')
    expect(error.message).toMatch(/22\.23/)
    memory.close()
  })
})
