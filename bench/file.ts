// Zero-copy file access: one sequential scan of a file in the page cache by
// every route, and random 8-byte reads of a large sparse file.
import { closeSync, ftruncateSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BenchOptions } from './options.js'
import { loadMmapIo } from './peers.js'
import { Progress } from './progress.js'
import { fmt, ratioText, spread, table, type Row, type SuiteResult } from './report.js'
import { pairedRatio, summarize } from './stats.js'
import { barChart } from './svg.js'
import { SCAN_BYTE, type RandomResult, type ScanResult } from './file-trial.js'
import { runTrial } from './trial.js'

const MiB = 1024 * 1024

/** A file of `bytes` bytes with SCAN_BYTE once per 4 KiB, read through once so the page cache holds it. */
function makeScanFile(path: string, bytes: number): number {
  const chunk = Buffer.alloc(MiB, 0x61)
  for (let i = 4095; i < chunk.length; i += 4096) chunk[i] = SCAN_BYTE
  const fd = openSync(path, 'w+')
  for (let written = 0; written < bytes; written += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - written))
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

export async function fileSuite(options: BenchOptions): Promise<SuiteResult> {
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
        if (method === 'mapFile') {
          add('mapFile', 'mapFile, first scan', r.firstMs, r)
          add('mapFile-second', 'mapFile, second scan', r.secondMs!, r)
        } else {
          add(method, method === 'readSync' ? 'fs.readSync, 1 MiB chunks' : method === 'readFileSync' ? 'fs.readFileSync' : '@riaskov/mmap-io', r.firstMs, r)
        }
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
          failures.set(`random-${method}`, /Error: (.*)/.exec((error as Error).message)?.[1] ?? (error as Error).message)
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
    return report(series, random, failures, { scanBytes, sparseBytes, reads, reps })
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

const RANDOM_LABELS: Record<string, string> = { mapFile: 'mapFile (Float64Array)', pread: 'fs.readSync 8 bytes (pread)', 'mmap-io': '@riaskov/mmap-io' }

function report(
  series: Map<string, ScanSeries>,
  random: Map<string, { cold: number[]; warm: number[] }>,
  failures: Map<string, string>,
  sizes: Sizes,
): SuiteResult {
  const rows: Row[] = []
  const base = series.get('readFileSync')!
  const scanBody = [...series].map(([key, s]) => {
    const ms = summarize(s.ms)
    const gbps = summarize(s.gbps)
    const speedup = pairedRatio(base.ms, s.ms)
    rows.push({
      suite: 'file', mode: `scan-${key}`, label: s.label, sizeMiB: sizes.scanBytes / MiB, reps: sizes.reps,
      minMs: ms.min, medianMs: ms.median, maxMs: ms.max, gbPerS: gbps.median,
      speedVsReadFileSync: speedup.median, maxRssDeltaMiB: summarize(s.maxRss).median, rssAnonDeltaMiB: summarize(s.anon).median,
    })
    return [s.label, spread(gbps.median, gbps.min, gbps.max), spread(ms.median, ms.min, ms.max), ratioText(speedup.median, speedup.min, speedup.max),
      fmt(summarize(s.maxRss).median), fmt(summarize(s.anon).median)]
  })
  const pread = random.get('pread')
  const randomBody = [...random].map(([method, s]) => {
    const cold = summarize(s.cold)
    const warm = summarize(s.warm)
    const vsPread = pread ? pairedRatio(pread.warm, s.warm) : undefined
    const vsPreadCold = pread ? pairedRatio(pread.cold, s.cold) : undefined
    rows.push({
      suite: 'file', mode: `random-${method}`, label: RANDOM_LABELS[method], sizeMiB: sizes.sparseBytes / MiB, reps: sizes.reps,
      minMs: (warm.min * sizes.reads) / 1e6, medianMs: (warm.median * sizes.reads) / 1e6, maxMs: (warm.max * sizes.reads) / 1e6,
      coldNsPerRead: cold.median, warmNsPerRead: warm.median, warmSpeedVsPread: vsPread?.median, coldSpeedVsPread: vsPreadCold?.median,
    })
    return [RANDOM_LABELS[method]!, spread(cold.median, cold.min, cold.max), spread(warm.median, warm.min, warm.max),
      vsPreadCold ? ratioText(vsPreadCold.median, vsPreadCold.min, vsPreadCold.max) : '–', vsPread ? ratioText(vsPread.median, vsPread.min, vsPread.max) : '–']
  })
  for (const [key, message] of failures) {
    const method = key.replace('random-', '')
    rows.push({ suite: 'file', mode: key, label: RANDOM_LABELS[method], sizeMiB: sizes.sparseBytes / MiB, reps: 0, minMs: NaN, medianMs: NaN, maxMs: NaN, error: message })
    randomBody.push([RANDOM_LABELS[method]!, `failed: ${message}`, '–', '–', '–'])
  }
  const lines = [
    `## File access (${sizes.reps} reps, fresh process per trial)`,
    '',
    `### One sequential scan of a ${sizes.scanBytes / MiB} MiB file in the page cache`,
    '',
    'Every method counts one byte value with the same JS scan (Buffer#indexOf). "Speed vs readFileSync" is paired per repetition (higher is faster).',
    'Peak RSS counts mapped file pages too; RssAnon after the scan is what a method copied.',
    '',
    table(['method', 'GB/s median [min–max]', 'ms', 'speed vs readFileSync', 'peak RSS Δ MiB', 'RssAnon Δ MiB'], scanBody),
    '',
    `### ${sizes.reads.toLocaleString('en')} random 8-byte reads of a ${sizes.sparseBytes / MiB} MiB sparse file`,
    '',
    'First pass: every read lands on a page this process has not touched (a page fault for mappings). Second pass: the same offsets again.',
    '',
    table(['method', 'first pass ns/read', 'second pass ns/read', 'speed vs pread, first', 'speed vs pread, second'], randomBody),
    '',
    '### What the numbers say',
    '',
    ...fileConclusions(rows).map((c) => `- ${c}`),
    '',
  ]
  const svg = barChart({
    title: 'Reading a file: throughput of one sequential scan',
    subtitle: `${sizes.scanBytes / MiB} MiB in the page cache; whiskers min–max over ${sizes.reps} trials`,
    unit: 'GB/s',
    groups: [...series.values()].map((s) => {
      const g = summarize(s.gbps)
      return { label: s.label, bars: [{ label: s.label, value: g.median, min: g.min, max: g.max }] }
    }),
  })
  return { suite: 'file', rows, markdown: lines.join('\n'), svg }
}

function fileConclusions(rows: Row[]): string[] {
  const get = (mode: string) => rows.find((r) => r.mode === mode)
  const out: string[] = []
  const first = get('scan-mapFile')
  const second = get('scan-mapFile-second')
  const readFile = get('scan-readFileSync')
  const chunks = get('scan-readSync')
  if (first && readFile && chunks) {
    const mappedFaster = (first.gbPerS as number) > (chunks.gbPerS as number)
    out.push(
      `A first pass through a fresh mapping runs at ${fmt(first.gbPerS as number)} GB/s against ${fmt(chunks.gbPerS as number)} GB/s for 1 MiB read() chunks` +
        (mappedFaster
          ? ': with the same JS scan on both, the copy read() makes costs more here than the mapping\'s page faults (one per 64 KiB of fault-around). In C, where the scan itself is faster, read() wins a single pass (13.1 vs 8.3 GB/s measured on a 2-vCPU EPYC VM).'
          : ': the mapping pays a page fault per 64 KiB of fault-around, where read() copies from the page cache in bulk.'),
    )
    out.push(
      `The mapping copies nothing: RssAnon grew ${fmt(first.rssAnonDeltaMiB as number)} MiB against ${fmt(readFile.rssAnonDeltaMiB as number)} MiB for readFileSync, ` +
        'which holds a private copy of the whole file.',
    )
  }
  if (second && first) out.push(`Once its pages are mapped, a second scan runs at ${fmt(second.gbPerS as number)} GB/s (${fmt((second.gbPerS as number) / (first.gbPerS as number))}× the first).`)
  const mapped = get('random-mapFile')
  if (mapped?.warmSpeedVsPread !== undefined) {
    const ratio = mapped.warmSpeedVsPread as number
    out.push(
      `Random 8-byte reads through the mapping are ${fmt(ratio)}× faster per read than pread once the pages are mapped ` +
        `(target ≥ 20×: ${ratio >= 20 ? 'met' : 'missed'}), and ${fmt(mapped.coldSpeedVsPread as number)}× on the first pass, where each read takes a page fault.`,
    )
  }
  return out
}
