// The seed blog's experiment, answered: allocate N MiB and write every byte,
// by every route, with the page faults that explain the times.
import { pageSize } from 'mman'
import type { RunOptions } from '../../report/results-file.js'
import { Progress } from '../progress.js'
import type { Row, SuiteResult } from '../../report/rows.js'
import { seedReference, type SeedTimes } from './seed-program.js'
import { pairedRatio, summarize } from '../stats.js'
import { runTrial } from '../trial.js'
import { presentZeroing } from './report.js'
import { BASELINE, MODES, SEED_MALLOC, SEED_MMAP, type Mode } from './modes.js'
import type { ZeroingMeasurement } from './trial.js'

const MiB = 1024 * 1024

interface Series {
  ms: number[]
  faults: number[]
  anonHugeKiB: number[]
  mallocUsedMmap: boolean[]
}

interface ModeStats {
  mode: Mode
  sizeMiB: number
  series: Series
  ms: ReturnType<typeof summarize>
  faults: number
  valid: boolean
  vsBaseline: ReturnType<typeof summarize>
}

function rotate<T>(items: T[], by: number): T[] {
  const k = by % items.length
  return [...items.slice(k), ...items.slice(0, k)]
}

/** Runs the suite: each trial in a fresh process (unless inProcess), modes alternated per repetition. */
export async function zeroingSuite(options: RunOptions): Promise<SuiteResult> {
  const sizes = options.sizesMiB ?? (options.quick ? [1, 16] : [1, 16, 100, 1024])
  const reps = options.reps ?? (options.quick ? 2 : 15)
  const series = new Map<string, Series>()
  const seriesOf = (mode: string, size: number) => {
    const key = `${mode}@${size}`
    if (!series.has(key)) series.set(key, { ms: [], faults: [], anonHugeKiB: [], mallocUsedMmap: [] })
    return series.get(key)!
  }
  const seedRuns = new Map<number, SeedTimes[]>()
  const reference = seedReference()
  const progress = new Progress(reps * sizes.length * (MODES.length + (reference ? 1 : 0)), 'zeroing')
  for (let rep = 0; rep < reps; rep++) {
    for (const size of sizes) {
      for (const mode of rotate(MODES, rep)) {
        const m = await runTrial<ZeroingMeasurement>('zeroing', { mode: mode.id, bytes: size * MiB }, options.inProcess)
        const s = seriesOf(mode.id, size)
        s.ms.push(m.ns / 1e6)
        s.faults.push(m.minorFaults)
        s.anonHugeKiB.push(m.anonHugeKiB)
        if (m.mallocUsedMmap !== undefined) s.mallocUsedMmap.push(m.mallocUsedMmap)
        progress.step(`${mode.label} ${size} MiB`)
      }
      if (reference) {
        const times = reference.run(size)
        if (times) seedRuns.set(size, [...(seedRuns.get(size) ?? []), times])
        progress.step(`seed C program ${size} MiB`)
      }
    }
  }
  progress.finish()

  const stats: ModeStats[] = []
  for (const size of sizes) {
    const baseline = seriesOf(BASELINE, size)
    for (const mode of MODES) {
      const s = seriesOf(mode.id, size)
      const faults = summarize(s.faults).median
      const hugeBytes = summarize(s.anonHugeKiB).median * 1024
      const pages = Math.max(0, size * MiB - Math.max(0, hugeBytes)) / pageSize
      stats.push({
        mode,
        sizeMiB: size,
        series: s,
        ms: summarize(s.ms),
        faults,
        valid: !mode.faultsEveryPage || faults >= 0.9 * pages,
        vsBaseline: pairedRatio(s.ms, baseline.ms),
      })
    }
  }
  const rows = [...stats.map((stat) => rowOf(stat, reps)), ...seedRows(seedRuns)]
  return { suite: 'zeroing', rows, unmeasured: [], ...presentZeroing(rows) }
}

function rowOf(stat: ModeStats, reps: number): Row {
  const bytes = stat.sizeMiB * MiB
  const huge = summarize(stat.series.anonHugeKiB).median
  const viaMmap = stat.series.mallocUsedMmap
  return {
    suite: 'zeroing',
    mode: stat.mode.id,
    label: stat.mode.label,
    sizeMiB: stat.sizeMiB,
    reps,
    minMs: stat.ms.min,
    medianMs: stat.ms.median,
    maxMs: stat.ms.max,
    minorFaults: stat.faults,
    gbPerS: bytes / (stat.ms.median / 1e3) / 1e9,
    usPerFault: stat.faults > 0 ? (stat.ms.median * 1e3) / stat.faults : undefined,
    vsBMedian: stat.vsBaseline.median,
    vsBMin: stat.vsBaseline.min,
    vsBMax: stat.vsBaseline.max,
    anonHugeMiB: huge > 0 ? huge / 1024 : 0,
    mallocUsedMmapTrials: viaMmap.length > 0 ? viaMmap.filter(Boolean).length : undefined,
    valid: stat.valid,
  }
}

/** The blog's own program, one row per route and size; the malloc row carries the paired malloc/mmap ratio. */
function seedRows(seedRuns: Map<number, SeedTimes[]>): Row[] {
  return [...seedRuns].flatMap(([size, runs]) => {
    const malloc = summarize(runs.map((r) => r.mallocMs))
    const mmap = summarize(runs.map((r) => r.mmapMs))
    const ratio = pairedRatio(
      runs.map((r) => r.mallocMs),
      runs.map((r) => r.mmapMs),
    )
    const common = { suite: 'zeroing', sizeMiB: size, reps: runs.length }
    return [
      {
        ...common,
        mode: SEED_MALLOC,
        label: 'seed program: malloc + memset 0',
        minMs: malloc.min,
        medianMs: malloc.median,
        maxMs: malloc.max,
        vsSeedMmapMedian: ratio.median,
        vsSeedMmapMin: ratio.min,
        vsSeedMmapMax: ratio.max,
      },
      {
        ...common,
        mode: SEED_MMAP,
        label: 'seed program: mmap + memset 1',
        minMs: mmap.min,
        medianMs: mmap.median,
        maxMs: mmap.max,
      },
    ]
  })
}
