// A worker thread that maps and ends without unmapping must leave nothing
// behind (its env's end gives back what it mapped), except what another
// thread may still use: a SharedArrayBuffer handed out, or a store that
// transfer() moved out and postMessage() sent elsewhere, which must never be
// unmapped under that thread.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { afterAll, describe, expect, it } from 'vitest'
import { SharedMemory, regionCounts } from '../lib/index.js'
import { collectUntil, repoRoot, runChild, tempDir } from './helpers.js'

const { dir, cleanup } = tempDir()
afterAll(cleanup)
const file = join(dir, 'data.bin')
writeFileSync(file, Buffer.alloc(1 << 20, 7))

const mman = pathToFileURL(join(repoRoot, 'dist/lib/index.js')).href
const canTransfer = typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function'

// What a worker maps; each reports the addresses and files of its mappings.
const MAPPINGS = {
  mapFile: `const m = mman.mapFile(${JSON.stringify(file)}); m.bytes()[0]; report(m.address, ${JSON.stringify(file)})`,
  mapAnonymous: `const m = mman.mapAnonymous(1 << 20); m.bytes().fill(1); globalThis.kept = m.window(4096, 4096); report(m.address)`,
  mmap: `const b = mman.mmap(null, 65536, mman.PROT.READ | mman.PROT.WRITE, mman.MAP.PRIVATE | mman.MAP.ANONYMOUS, -1, 0); new Uint8Array(b).fill(2); report(mman.addressOf(b))`,
  attach: `const s = mman.SharedMemory.attach(workerData.fd); new Uint8Array(s.buffer).fill(3, 0, 65536); report(s.mapping.address, 'memfd:')`,
  create: `const s = mman.SharedMemory.create(1 << 20); new Uint8Array(s.buffer).fill(4); report(s.mapping.address, 'memfd:')`,
  channel: `const c = mman.Channel.create(65536); c.memory.buffer; report(c.memory.mapping.address, 'memfd:')`,
} as const

// How it ends: its loop runs dry, process.exit(), or terminate() once it has reported (idle, as a pool ends idle threads).
const ENDINGS = {
  natural: '',
  'process.exit()': 'process.exit(0)',
  'terminate()': 'setInterval(() => {}, 1000)',
} as const

interface Report {
  address: string
  path?: string
}

async function runWorkers(mapping: string, ending: keyof typeof ENDINGS, fd: number, count: number): Promise<Report[]> {
  const source = `
    Promise.all([import(${JSON.stringify(mman)}), import('node:worker_threads')]).then(([mman, { parentPort, workerData }]) => {
      const report = (address, path) => parentPort.postMessage({ address: String(address), path })
      ${mapping}
      ${ENDINGS[ending]}
    })`
  const workers = Array.from({ length: count }, () => new Worker(source, { eval: true, workerData: { fd } }))
  const exited = Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve))))
  const reports = await Promise.all(
    workers.map((worker) => new Promise<Report>((resolve) => worker.once('message', resolve))),
  )
  if (ending === 'terminate()') await Promise.all(workers.map((worker) => worker.terminate()))
  await exited
  return reports
}

/** The /proc/self/maps lines (with a path) that still cover one of the reported mappings. */
function leftInMaps(reports: Report[]): string[] {
  const lines = readFileSync('/proc/self/maps', 'utf8').split('\n')
  return reports.flatMap(({ address, path }) => {
    if (path === undefined) return []
    const at = BigInt(address)
    return lines.filter((line) => {
      const [range] = line.split(' ')
      const [start, end] = (range ?? '').split('-').map((hex) => BigInt(`0x${hex || 0}`))
      return start !== undefined && end !== undefined && at >= start && at < end && line.includes(path)
    })
  })
}

describe('a worker that maps and ends without unmapping leaves nothing behind', () => {
  const memory = SharedMemory.create(1 << 20)
  afterAll(() => memory.close())

  for (const mapping of Object.keys(MAPPINGS) as (keyof typeof MAPPINGS)[]) {
    for (const ending of Object.keys(ENDINGS) as (keyof typeof ENDINGS)[]) {
      it(`${mapping}, ending by ${ending}: regions, reserved ranges and its VMAs back as before (5 rounds of 3)`, async () => {
        await collectUntil(() => false, 3)
        const before = regionCounts()
        const reports: Report[] = []
        for (let round = 0; round < 5; round++)
          reports.push(...(await runWorkers(MAPPINGS[mapping], ending, memory.fd, 3)))
        expect(await collectUntil(() => regionCounts().regions === before.regions)).toBe(true)
        expect(regionCounts()).toEqual(before)
        expect(leftInMaps(reports)).toEqual([])
      })
    }
  }
})

/** RssShmem of this process, in MiB: shared memory pages it maps, counted per mapping. */
const rssShmemMiB = () => Number(/RssShmem:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]) / 1024

describe('a pool of threads that end (as piscina ends idle ones)', () => {
  it('does not grow RssShmem: 8 bursts of 4 tasks that attach and touch a 64 MiB region', async () => {
    const size = 64 << 20
    let memory: SharedMemory | undefined = SharedMemory.create(size)
    new Uint8Array(memory.buffer).fill(1)
    const baseline = rssShmemMiB()
    const task = `const s = mman.SharedMemory.attach(workerData.fd); const b = new Uint8Array(s.buffer); let sum = 0; for (let i = 0; i < b.length; i += 4096) sum += b[i]; report(sum)`
    for (let burst = 0; burst < 8; burst++) {
      await runWorkers(task, burst % 2 === 0 ? 'terminate()' : 'natural', memory.fd, 4)
      expect(rssShmemMiB()).toBeLessThan(baseline + 32)
    }
    memory.close()
    memory = undefined
    // Before: every thread's mapping stayed, 64 MiB each, after the memory was closed.
    expect(await collectUntil(() => rssShmemMiB() < 16)).toBe(true)
  })
})

describe.runIf(canTransfer)('what another thread may still use stays mapped', () => {
  for (const ending of Object.keys(ENDINGS) as (keyof typeof ENDINGS)[]) {
    it(`a store transfer()ed out and posted to the main thread stays readable as it was, worker ending by ${ending} (5 rounds)`, () => {
      const child = runChild(`
        import { Worker } from 'node:worker_threads'
        const results = []
        for (let round = 0; round < 5; round++) {
          const worker = new Worker(\`
            Promise.all([import('mman'), import('node:worker_threads')]).then(([{ mapAnonymous }, { parentPort }]) => {
              const m = mapAnonymous(65536)
              m.bytes().fill(42)
              const moved = m.buffer.transfer()
              parentPort.postMessage(moved, [moved])
              ${ENDINGS[ending]}
            })\`, { eval: true })
          const exited = new Promise((resolve) => worker.once('exit', resolve))
          const moved = await new Promise((resolve) => worker.once('message', resolve))
          if (${JSON.stringify(ending)} === 'terminate()') await worker.terminate()
          await exited
          for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((resolve) => setImmediate(resolve)) }
          const bytes = new Uint8Array(moved)
          const intact = bytes.every((b) => b === 42)
          bytes.fill(1)
          results.push(intact && bytes[65535] === 1)
        }
        console.log(JSON.stringify(results))
      `)
      expect(child.stderr).toBe('')
      expect(child.signal).toBeNull()
      expect(child.stdout).toBe(`${JSON.stringify([true, true, true, true, true])}\n`)
    })
  }
})

describe.runIf(SharedMemory.sharedBuffersSupported)('a SharedArrayBuffer a worker handed out', () => {
  it('stays mapped while the main thread holds it, and is unmapped once it is collected there (5 rounds)', () => {
    const child = runChild(`
      import { regionCounts } from 'mman'
      import { Worker } from 'node:worker_threads'
      const settle = async () => { for (let i = 0; i < 10; i++) { globalThis.gc(); await new Promise((resolve) => setImmediate(resolve)) } }
      await settle()
      const before = regionCounts()
      const results = []
      for (let round = 0; round < 5; round++) {
        const worker = new Worker(\`
          Promise.all([import('mman'), import('node:worker_threads')]).then(([{ SharedMemory }, { parentPort }]) => {
            const memory = SharedMemory.create(65536)
            new Int32Array(memory.sharedBuffer)[0] = 42
            parentPort.postMessage(memory.sharedBuffer)
          })\`, { eval: true })
        const exited = new Promise((resolve) => worker.once('exit', resolve))
        let ints = new Int32Array(await new Promise((resolve) => worker.once('message', resolve)))
        await exited
        await settle()
        const held = regionCounts().regions === before.regions + 1
        Atomics.add(ints, 0, 1)
        results.push(held && ints[0] === 43)
        ints = undefined
        await settle()
      }
      await settle()
      console.log(JSON.stringify(results), JSON.stringify(regionCounts()) === JSON.stringify(before))
    `)
    expect(child.stderr).toBe('')
    expect(child.signal).toBeNull()
    expect(child.stdout).toBe(`${JSON.stringify([true, true, true, true, true])} true\n`)
  })
})

describe('a worker that lives on', () => {
  // Views are held for the census a second after they are made; then the collector unmaps as on the main thread.
  it('still has mappings nobody references unmapped by the collector', () => {
    const child = runChild(`
      import { Worker } from 'node:worker_threads'
      const worker = new Worker(\`
        Promise.all([import('mman'), import('node:worker_threads')]).then(async ([{ mapAnonymous, regionCounts }, { parentPort }]) => {
          const settle = async () => { for (let i = 0; i < 10; i++) { globalThis.gc(); await new Promise((resolve) => setImmediate(resolve)) } }
          await settle()
          const before = regionCounts().regions
          for (let i = 0; i < 100; i++) mapAnonymous(65536).bytes().fill(1)
          const made = regionCounts().regions - before
          await new Promise((resolve) => setTimeout(resolve, 1500))
          await settle()
          parentPort.postMessage([made, regionCounts().regions - before])
        })\`, { eval: true })
      console.log(JSON.stringify(await new Promise((resolve) => worker.once('message', resolve))))
    `)
    expect(child.stderr).toBe('')
    expect(JSON.parse(child.stdout)).toEqual([100, 0])
  })
})

describe('a worker stopped while it maps, views and waits', () => {
  // Both engines of futexWaitAsync: io_uring, and mman's own waiter thread.
  for (const engine of ['io_uring', 'waiter thread'] as const) {
    it(`terminate() mid-loop, process.exit() with async waits pending: no signal, everything given back (${engine}, 10 rounds)`, () => {
      const child = runChild(
        `
        import { regionCounts } from 'mman'
        import { Worker } from 'node:worker_threads'
        const settle = async () => { for (let i = 0; i < 10; i++) { globalThis.gc(); await new Promise((resolve) => setImmediate(resolve)) } }
        await settle()
        const before = regionCounts()
        for (let round = 0; round < 10; round++) {
          const busy = new Worker(\`
            import('mman').then(({ mapAnonymous }) => {
              const keep = []
              for (let i = 0; ; i++) { const m = mapAnonymous(65536); m.bytes()[0] = i; keep.push(m); if (keep.length > 64) keep.shift().unmap() }
            })\`, { eval: true })
          const waiting = new Worker(\`
            Promise.all([import('mman'), import('node:worker_threads')]).then(([{ SharedMemory, futexWaitAsync }, { parentPort }]) => {
              const memory = SharedMemory.create(4096)
              const word = new Int32Array(memory.buffer)
              futexWaitAsync(word, 0, 0, 60000)
              futexWaitAsync(word, 1, 0)
              setTimeout(() => process.exit(0), 20)
            })\`, { eval: true })
          const waited = new Promise((resolve) => waiting.once('exit', resolve))
          await new Promise((resolve) => setTimeout(resolve, 50))
          await busy.terminate()
          await waited
        }
        await settle()
        console.log(JSON.stringify(regionCounts()) === JSON.stringify(before))
      `,
        [],
        engine === 'waiter thread' ? { MMAN_NO_IO_URING: '1' } : {},
      )
      expect(child.stderr).toBe('')
      expect(child.signal).toBeNull()
      expect(child.stdout).toBe('true\n')
    })
  }
})
