// Zero-copy file access: one sequential scan of a file in the page cache by
// every route, and random 8-byte reads of a large sparse file.
import { closeSync, ftruncateSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RunOptions } from '../../report/results-file.js'
import { presentFile, RANDOM_LABELS, SCAN_LABELS } from './report.js'
import { loadMmapIo, PEER_PACKAGES } from '../peers.js'
import { Progress } from '../progress.js'
import { notInstalled, type Row, type SuiteResult, type Unmeasured } from '../../report/rows.js'
import { pairedRatio, summarize } from '../stats.js'
import { SCAN_BYTE, type RandomResult, type ScanResult } from './trial.js'
import { runTrial } from '../trial.js'

const MiB = 1024 * 1024

/** A file of `bytes` bytes with SCAN_BYTE once per 4 KiB, read through once so the page cache holds it. */
function makeScanFile(path: string, bytes: number): number {
  const chunk = Buffer.alloc(MiB, 0x61)
  for (let i = 4095; i < chunk.length; i += 4096) chunk[i] = SCAN_BYTE
  const fd = openSync(path, 'w+')
  for (let written = 0; written < bytes; written += chunk.length)
    writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - written))
  const sink = Buffer.allocUnsafe(MiB)
  for (let at = 0; readSync(fd, sink, 0, sink.length, at) > 0; at += sink.length);
  closeSync(fd)
  return bytes / 4096
}

interface ScanSeries {
  label: string
  gbps: number[]
  ms: number[]
  maxRss: number[]
  anon: number[]
}

function rotate<T>(items: T[], by: number): T[] {
  const k = by % items.length
  return [...items.slice(k), ...items.slice(0, k)]
}

export async function fileSuite(options: RunOptions): Promise<SuiteResult> {
  const scanBytes = (options.quick ? 64 : 1024) * MiB
  const sparseBytes = (options.quick ? 256 : 4096) * MiB
  const reads = options.quick ? 10_000 : 100_000
  const reps = options.reps ?? (options.quick ? 2 : 15)
  const haveMmapIo = (await loadMmapIo()) !== undefined
  const dir = mkdtempSync(join(tmpdir(), 'mman-bench-file-'))
  try {
    const scanPath = join(dir, 'scan.bin')
    const expected = makeScanFile(scanPath, scanBytes)
    const sparsePath = join(dir, 'sparse.bin')
    const fd = openSync(sparsePath, 'w')
    ftruncateSync(fd, sparseBytes)
    closeSync(fd)

    const scanMethods = ['readFileSync', 'readSync', 'mapFile', ...(haveMmapIo ? ['mmap-io'] : [])]
    const randomMethods = ['mapFile', 'pread', ...(haveMmapIo ? ['mmap-io'] : [])]
    const series = new Map<string, ScanSeries>()
    const add = (key: string, label: string, ms: number, result: ScanResult) => {
      const s = series.get(key) ?? { label, gbps: [], ms: [], maxRss: [], anon: [] }
      s.ms.push(ms)
      s.gbps.push(scanBytes / (ms / 1e3) / 1e9)
      s.maxRss.push(result.maxRssDeltaMiB)
      s.anon.push(result.rssAnonDeltaMiB)
      series.set(key, s)
    }
    const random = new Map<string, { cold: number[]; warm: number[] }>()
    // A peer that cannot do a case (mmap-io cannot map 4 GiB) is reported, not fatal.
    const failures = new Map<string, string>()
    const progress = new Progress(reps * (scanMethods.length + randomMethods.length), 'file')
    for (let rep = 0; rep < reps; rep++) {
      for (const method of rotate(scanMethods, rep)) {
        const r = await runTrial<ScanResult>('file', { kind: 'scan', method, path: scanPath }, options.inProcess)
        if (r.count !== expected) throw new Error(`${method} counted ${r.count} bytes, expected ${expected}`)
        add(method, SCAN_LABELS[method]!, r.firstMs, r)
        if (method === 'mapFile') add('mapFile-second', SCAN_LABELS['mapFile-second']!, r.secondMs!, r)
        progress.step(`scan ${method}`)
      }
      for (const method of rotate(randomMethods, rep)) {
        if (failures.has(`random-${method}`)) continue
        let r: RandomResult
        try {
          r = await runTrial<RandomResult>(
            'file',
            { kind: 'random', method, path: sparsePath, size: sparseBytes, reads, seed: 1234 + rep },
            options.inProcess,
          )
        } catch (error) {
          if (method === 'pread' || method === 'mapFile') throw error
          failures.set(
            `random-${method}`,
            /Error: (.*)/.exec((error as Error).message)?.[1] ?? (error as Error).message,
          )
          continue
        }
        const s = random.get(method) ?? { cold: [], warm: [] }
        s.cold.push(r.coldNsPerRead)
        s.warm.push(r.warmNsPerRead)
        random.set(method, s)
        progress.step(`random ${method}`)
      }
    }
    progress.finish()
    const sizes = { scanBytes, sparseBytes, reads, reps }
    const rows = [...scanRows(series, sizes), ...randomRows(random, sizes)]
    const unmeasured: Unmeasured[] = [...failures].map(([mode, message]) => ({
      suite: 'file',
      mode,
      label: RANDOM_LABELS[mode.replace('random-', '')]!,
      sizeMiB: sparseBytes / MiB,
      status: 'failed',
      detail: message,
    }))
    if (!haveMmapIo) {
      unmeasured.push({
        ...notInstalled('file', 'scan-mmap-io', SCAN_LABELS['mmap-io']!, PEER_PACKAGES.mmapIo),
        sizeMiB: scanBytes / MiB,
      })
      unmeasured.push({
        ...notInstalled('file', 'random-mmap-io', RANDOM_LABELS['mmap-io']!, PEER_PACKAGES.mmapIo),
        sizeMiB: sparseBytes / MiB,
      })
    }
    return { suite: 'file', rows, unmeasured, ...presentFile(rows, unmeasured) }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

interface Sizes {
  scanBytes: number
  sparseBytes: number
  reads: number
  reps: number
}

function scanRows(series: Map<string, ScanSeries>, sizes: Sizes): Row[] {
  const base = series.get('readFileSync')!
  return [...series].map(([key, s]) => {
    const ms = summarize(s.ms)
    const speed = pairedRatio(base.ms, s.ms)
    return {
      suite: 'file',
      mode: `scan-${key}`,
      label: s.label,
      sizeMiB: sizes.scanBytes / MiB,
      reps: sizes.reps,
      minMs: ms.min,
      medianMs: ms.median,
      maxMs: ms.max,
      gbPerS: summarize(s.gbps).median,
      speedVsReadFileSync: speed.median,
      speedVsReadFileSyncMin: speed.min,
      speedVsReadFileSyncMax: speed.max,
      maxRssDeltaMiB: summarize(s.maxRss).median,
      rssAnonDeltaMiB: summarize(s.anon).median,
    }
  })
}

/** Rows time the second pass (the mapping's case); the first pass's spread rides along in ns per read. */
function randomRows(random: Map<string, { cold: number[]; warm: number[] }>, sizes: Sizes): Row[] {
  const pread = random.get('pread')
  return [...random].map(([method, s]) => {
    const cold = summarize(s.cold)
    const warm = summarize(s.warm)
    const warmSpeed = pread ? pairedRatio(pread.warm, s.warm) : undefined
    const coldSpeed = pread ? pairedRatio(pread.cold, s.cold) : undefined
    return {
      suite: 'file',
      mode: `random-${method}`,
      label: RANDOM_LABELS[method],
      sizeMiB: sizes.sparseBytes / MiB,
      reps: sizes.reps,
      reads: sizes.reads,
      minMs: (warm.min * sizes.reads) / 1e6,
      medianMs: (warm.median * sizes.reads) / 1e6,
      maxMs: (warm.max * sizes.reads) / 1e6,
      coldNsPerRead: cold.median,
      coldNsPerReadMin: cold.min,
      coldNsPerReadMax: cold.max,
      warmNsPerRead: warm.median,
      warmSpeedVsPread: warmSpeed?.median,
      warmSpeedVsPreadMin: warmSpeed?.min,
      warmSpeedVsPreadMax: warmSpeed?.max,
      coldSpeedVsPread: coldSpeed?.median,
      coldSpeedVsPreadMin: coldSpeed?.min,
      coldSpeedVsPreadMax: coldSpeed?.max,
    }
  })
}
