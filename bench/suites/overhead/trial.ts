// One trial of the overhead suite: `iterations` mmap + munmap pairs of 4 KiB,
// by one method, after a warm-up so the JIT has settled.
import { MAP, PROT, mapAnonymous, mmap, munmap } from 'mman'
import { checked, tools } from '../../tools.js'
import { loadKoffi, loadMmapIo } from '../peers.js'

const PAGE = 4096
const RW = PROT.READ | PROT.WRITE
const ANON = MAP.PRIVATE | MAP.ANONYMOUS

async function pairFunction(method: string): Promise<() => void> {
  switch (method) {
    case 'syscall-layer':
      return () => munmap(mmap(null, PAGE, RW, ANON, -1, 0))
    case 'object-layer':
      return () => mapAnonymous(PAGE).unmap()
    case 'mmap-io': {
      const mmapio = await loadMmapIo()
      if (mmapio === undefined) throw new Error('@riaskov/mmap-io is not installed')
      // mmap-io has no unmap: its buffers are unmapped when garbage-collected.
      return () => void mmapio.map(PAGE, RW, ANON, -1, 0)
    }
    case 'koffi': {
      const koffi = await loadKoffi()
      if (koffi === undefined) throw new Error('koffi is not installed')
      const libc = koffi.load('libc.so.6')
      const mmapC = libc.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, long off)')
      const munmapC = libc.func('int munmap(void *addr, size_t len)')
      return () => void munmapC(mmapC(null, PAGE, RW, ANON, -1, 0), PAGE)
    }
    default:
      throw new Error(`unknown overhead method ${method}`)
  }
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {})
const immediate = () => new Promise((resolve) => setImmediate(resolve))

// Node runs Buffer finalizers in immediates after the GC that freed them
// (measured: mmap-io's munmap calls happen there), so wait for those too.
async function collectGarbage(): Promise<void> {
  gc()
  await immediate()
  await immediate()
}

/**
 * ns per mmap + munmap pair. The timed span ends with a full GC and the
 * finalizers it queues, so work deferred to the collector (mmap-io's munmap,
 * finalizers of detached views) is paid for too.
 */
export async function overheadTrial(method: string, iterations: number): Promise<number> {
  if (method === 'c-loop') {
    checked(tools.mmapMunmapLoop(iterations), 'mmapMunmapLoop')
    return checked(tools.mmapMunmapLoop(iterations), 'mmapMunmapLoop') / iterations
  }
  const pair = await pairFunction(method)
  for (let i = 0; i < Math.min(iterations, 5000); i++) pair()
  await collectGarbage()
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) pair()
  await collectGarbage()
  return Number(process.hrtime.bigint() - start) / iterations
}
