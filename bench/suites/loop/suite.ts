// `mman bench loop`: does the event loop keep running while large msync,
// populate and futex waits are in flight? The async forms run on the libuv
// pool; their blocking counterparts are measured alongside for contrast.
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { MADV, futexWait, futexWaitAsync, mapAnonymous, mapFile, type Mapping } from 'mman'
import { presentLoop } from './report.js'
import type { RunOptions } from '../../report/results-file.js'
import type { Row, SuiteResult } from '../../report/rows.js'

const MiB = 2 ** 20
const RESOLUTION_MS = 1

export interface LoopDelay {
  minMs: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  samples: number
  workMs: number
}

/** Event-loop delay while `work` runs: how late the loop's own 1 ms timer fired, beyond 1 ms. */
export async function loopDelayDuring(work: () => unknown): Promise<LoopDelay> {
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
  histogram.enable()
  // Let the monitor take a first sample before the work starts.
  await new Promise((resolve) => setTimeout(resolve, 5))
  const start = performance.now()
  await work()
  const workMs = performance.now() - start
  await new Promise((resolve) => setTimeout(resolve, 5))
  histogram.disable()
  const late = (ns: number) => Math.max(0, ns / 1e6 - RESOLUTION_MS)
  // An empty histogram reports a huge minimum; the 5 ms waits around the work make one sample at least.
  return {
    minMs: histogram.count > 0 ? late(histogram.min) : 0,
    p50Ms: late(histogram.percentile(50)),
    p99Ms: late(histogram.percentile(99)),
    maxMs: late(histogram.max),
    samples: histogram.count,
    workMs,
  }
}

export interface LoopWorkload {
  file: Mapping
  anon: Mapping
  words: Int32Array
  cleanup(): void
}

/** A file mapping with every page dirty, an untouched anonymous mapping, and a futex word nobody wakes. */
export function loopWorkload(fileBytes: number, anonBytes: number): LoopWorkload {
  const dir = mkdtempSync(join(tmpdir(), 'mman-loop-'))
  const path = join(dir, 'dirty.bin')
  const fd = openSync(path, 'w+')
  ftruncateSync(fd, fileBytes)
  closeSync(fd)
  const file = mapFile(path, { mode: 'rw' })
  const anon = mapAnonymous(anonBytes)
  const words = new Int32Array(mapAnonymous(4096, { shared: true }).buffer)
  return {
    file,
    anon,
    words,
    cleanup() {
      file.unmap()
      anon.unmap()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export function dirty(mapping: Mapping): void {
  for (let offset = 0; offset < mapping.length; offset += 2 ** 30)
    mapping.bytes(offset, Math.min(2 ** 30, mapping.length - offset)).fill(1)
}

export async function loopSuite(options: RunOptions): Promise<SuiteResult> {
  const fileBytes = (options.quick ? 64 : 1024) * MiB
  const anonBytes = (options.quick ? 128 : 1024) * MiB
  const waitMs = options.quick ? 100 : 500
  const w = loopWorkload(fileBytes, anonBytes)
  const results: [mode: string, label: string, delay: LoopDelay][] = []
  try {
    dirty(w.file)
    results.push([
      'async',
      `async: syncAsync ${fileBytes / MiB} MiB dirty + populateAsync ${anonBytes / MiB} MiB + futexWaitAsync ${waitMs} ms`,
      await loopDelayDuring(() =>
        Promise.all([w.file.syncAsync(), w.anon.populateAsync(), futexWaitAsync(w.words, 0, 0, waitMs)]),
      ),
    ])
    dirty(w.file)
    w.anon.advise(MADV.DONTNEED)
    results.push([
      'blocking',
      `blocking: sync ${fileBytes / MiB} MiB dirty, populate ${anonBytes / MiB} MiB, futexWait ${waitMs} ms`,
      await loopDelayDuring(() => {
        w.file.sync()
        w.anon.populate()
        futexWait(w.words, 0, 0, waitMs)
      }),
    ])
  } finally {
    w.cleanup()
  }
  const rows: Row[] = results.map(([mode, label, d]) => ({
    suite: 'loop',
    mode,
    label,
    reps: d.samples,
    minMs: d.minMs,
    medianMs: d.p50Ms,
    maxMs: d.maxMs,
    p99Ms: d.p99Ms,
    workMs: d.workMs,
  }))
  return { suite: 'loop', rows, unmeasured: [], ...presentLoop(rows) }
}
