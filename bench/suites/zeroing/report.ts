// The zeroing suite's report, computed from its rows alone: one table per
// size, the seed program's table, the conclusions and the chart.
import { dotChart } from '../../report/charts/dots.js'
import { chart, conclusionsSection, heading, table, type Block, type Span } from '../../report/blocks.js'
import { fmt, ratioText, spread } from '../../report/format.js'
import { spreadOf, type Presentation, type Row } from '../../report/rows.js'
import { compareSpreads, relationClause, verdictClause } from '../../report/verdict.js'
import { BASELINE, MODES, SEED_MALLOC, SEED_MMAP } from './modes.js'

const TITLE = 'Zeroing: allocate N MiB and write every byte'
const MiB = 1024 * 1024

const num = (row: Row, field: string) => row[field] as number
const sizesOf = (rows: Row[]) => [...new Set(rows.map((r) => r.sizeMiB!))].sort((a, b) => a - b)
const vsB = (row: Row) => ratioText(num(row, 'vsBMedian'), num(row, 'vsBMin'), num(row, 'vsBMax'))

function notes(row: Row): Span[] {
  const parts: Span[] = []
  if (row.valid === false) parts.push({ strong: 'invalid: far fewer faults than pages (optimized away?)' })
  const viaMmap = row.mallocUsedMmapTrials as number | undefined
  if (viaMmap !== undefined) {
    parts.push(
      viaMmap === row.reps
        ? 'malloc used mmap'
        : viaMmap === 0
          ? 'malloc used the heap'
          : `malloc used mmap in ${viaMmap} of ${row.reps}`,
    )
  }
  if (num(row, 'anonHugeMiB') > 0) parts.push(`AnonHugePages ${fmt(num(row, 'anonHugeMiB'))} MiB`)
  return parts.flatMap((part, i) => (i === 0 ? [part] : ['; ', part]))
}

export function presentZeroing(rows: Row[]): Presentation {
  const modeRows = rows.filter((r) => r.mode !== SEED_MALLOC && r.mode !== SEED_MMAP)
  const sizes = sizesOf(modeRows)
  const reps = Math.max(...modeRows.map((r) => r.reps))
  const blocks: Block[] = [
    heading(2, `${TITLE} (${reps} reps, fresh process per trial)`),
    chart(zeroingChart(modeRows, sizes, reps)),
  ]
  for (const size of sizes) {
    const body = modeRows
      .filter((r) => r.sizeMiB === size)
      .map((r) => [
        r.label ?? r.mode,
        spread(r.medianMs, r.minMs, r.maxMs),
        fmt(num(r, 'gbPerS')),
        String(Math.round(num(r, 'minorFaults'))),
        num(r, 'minorFaults') >= 16 ? fmt(num(r, 'usPerFault')) : '–',
        vsB(r),
        notes(r),
      ])
    blocks.push(
      heading(3, `${size} MiB`),
      table(['mode', 'ms median [min–max]', 'GB/s', 'minor faults', 'µs/fault', 'vs B (paired)', 'notes'], body),
    )
  }
  const seedMalloc = rows.filter((r) => r.mode === SEED_MALLOC)
  if (seedMalloc.length > 0) {
    const body = seedMalloc.map((malloc) => {
      const mmap = rows.find((r) => r.mode === SEED_MMAP && r.sizeMiB === malloc.sizeMiB)!
      return [
        `${malloc.sizeMiB} MiB`,
        spread(malloc.medianMs, malloc.minMs, malloc.maxMs),
        spread(mmap.medianMs, mmap.minMs, mmap.maxMs),
        ratioText(num(malloc, 'vsSeedMmapMedian'), num(malloc, 'vsSeedMmapMin'), num(malloc, 'vsSeedMmapMax')),
      ]
    })
    blocks.push(
      heading(3, "The seed blog's own C program, compiled here (gcc, no flags, as the post did)"),
      table(['size', 'malloc + memset 0, ms', 'mmap + memset 1, ms', 'malloc / mmap'], body),
    )
  }
  const conclusions = zeroingConclusions(rows)
  blocks.push(...conclusionsSection(conclusions))
  return { title: TITLE, blocks, conclusions }
}

function zeroingChart(rows: Row[], sizes: number[], reps: number): string {
  const modes = [...new Set(rows.map((r) => r.mode))]
  return dotChart({
    title: 'Allocate and write N MiB: time relative to B (mmap + memset)',
    subtitle: `Ratio to B within the same repetition; ${reps} repetitions, each trial in a fresh process. Left of the line: faster than B.`,
    axis: 'time / B’s time',
    unit: '×',
    tickSuffix: '×',
    series: sizes.map((size) => `${size} MiB`),
    legend: { spread: 'min–max of the paired ratios' },
    reference: { value: 1, label: 'B' },
    groups: [
      {
        rows: modes.map((mode) => {
          const own = rows.filter((r) => r.mode === mode)
          return {
            label: own[0]!.label ?? mode,
            points: own.map((r) => ({
              series: `${r.sizeMiB} MiB`,
              median: num(r, 'vsBMedian'),
              low: num(r, 'vsBMin'),
              high: num(r, 'vsBMax'),
            })),
          }
        }),
      },
    ],
  })
}

/** The size the conclusions speak of: the blog's 100 MiB when measured, else the largest. */
function conclusionSize(rows: Row[]): number | undefined {
  const sizes = sizesOf(rows.filter((r) => r.mode === BASELINE))
  return sizes.includes(100) ? 100 : sizes[sizes.length - 1]
}

/** Sentences computed from the rows they cite, at one size. */
export function zeroingConclusions(rows: Row[]): string[] {
  const size = conclusionSize(rows)
  if (size === undefined) return []
  const at = (mode: string) => rows.find((r) => r.mode === mode && r.sizeMiB === size)
  const label = (mode: string) => MODES.find((m) => m.id === mode)?.label.split(' ')[0] ?? mode
  const out: string[] = []
  const b = at(BASELINE)
  if (b === undefined) return out
  const pages = (size * MiB) / 4096
  const faults = (row: Row) => Math.round(num(row, 'minorFaults'))
  const versusB = (row: Row) => verdictClause(label(row.mode), 'B', compareSpreads(spreadOf(row), spreadOf(b)))
  const faultCount = (row: Row) => `${faults(row)} fault${faults(row) === 1 ? '' : 's'}`
  const ratio = (row: Row) => `${label(row.mode)}/B = ${vsB(row)}`

  const a = at('malloc-memset0')
  if (a) {
    const viaMmap = a.mallocUsedMmapTrials as number | undefined
    const how =
      viaMmap === undefined
        ? ''
        : viaMmap === a.reps
          ? `glibc's malloc took the block straight from mmap in all ${a.reps} trials (mallinfo2() counted it among mmapped blocks), and `
          : `glibc's malloc took the block from mmap in ${viaMmap} of ${a.reps} trials (mallinfo2()), and `
    const sameFaults = Math.abs(faults(a) - faults(b)) <= Math.max(2, faults(b) * 0.01)
    const comparison = compareSpreads(spreadOf(a), spreadOf(b))
    out.push(
      `At ${size} MiB ${how}A took ${faultCount(a)} against B's ${faults(b)}: ${ratio(a)}; ${versusB(a)}` +
        (sameFaults && comparison.direction === 'within noise' ? ' — the same page faults, the same time.' : '.'),
    )
  }
  const f = at('prefaulted-memset')
  if (f) {
    const comparison = compareSpreads(spreadOf(b), spreadOf(f))
    const faultBound = comparison.direction === 'slower' && comparison.factor >= 2
    out.push(
      `Writing the same ${size} MiB once it is faulted in (F) takes ${fmt(f.medianMs)} ms against B's ${fmt(b.medianMs)} ms: ` +
        `${relationClause('B', 'F', comparison)}; B pays ${fmt(num(b, 'usPerFault'))} µs for each of its ${faults(b)} faults` +
        (faultBound ? ' — page faults, not memory bandwidth, set its time.' : '.'),
    )
  }
  const d = at('populate-memset1')
  if (d) out.push(`MAP_POPULATE (D) faults the pages in within the mmap call: ${ratio(d)}; ${versusB(d)}.`)
  const e = at('thp-memset1')
  if (e) {
    const huge = num(e, 'anonHugeMiB')
    out.push(
      huge > 0
        ? `MADV_HUGEPAGE (E) got ${fmt(huge)} MiB of transparent huge pages and took ${faultCount(e)} against B's ${faults(b)}: ${ratio(e)}; ${versusB(e)}.`
        : `MADV_HUGEPAGE (E) got no huge pages here (THP disabled, or no free 2 MiB blocks) and took ${faultCount(e)}: ${ratio(e)}; ${versusB(e)}.`,
    )
  }
  const g = at('shared-anon-memset1')
  if (g)
    out.push(`Shared anonymous memory (G) is shmem, a file in the kernel's internal tmpfs: ${ratio(g)}; ${versusB(g)}.`)
  const c = at('calloc')
  if (c) {
    const touchedNothing = faults(c) < pages / 100
    out.push(
      `calloc (C) takes ${fmt(c.medianMs)} ms and ${faultCount(c)} for ${size} MiB` +
        (touchedNothing
          ? ': fresh mmap pages are already zero, so it writes nothing; the cost comes at the first write (C+).'
          : '.'),
    )
  }
  const js = at('js-mmap-fill1')
  if (js) {
    out.push(
      `From JavaScript, mman's mmap + Uint8Array.fill(1) runs at ${vsB(js)} of native B ` +
        `(target ≤ 1.10×: ${num(js, 'vsBMedian') <= 1.1 ? 'met' : 'missed'}); ${verdictClause('it', 'B', compareSpreads(spreadOf(js), spreadOf(b)))}.`,
    )
  }
  const buffer = at('js-arraybuffer')
  if (buffer) {
    const untouched = faults(buffer) < pages / 100
    out.push(
      `new ArrayBuffer(n) takes ${fmt(buffer.medianMs)} ms and ${faultCount(buffer)} at ${size} MiB` +
        (untouched ? ': V8 gets zeroed memory (calloc), so nothing is written until you write it.' : '.'),
    )
  }
  const seedMalloc = rows.find((r) => r.mode === SEED_MALLOC && r.sizeMiB === size)
  const seedMmap = rows.find((r) => r.mode === SEED_MMAP && r.sizeMiB === size)
  if (seedMalloc && seedMmap) {
    const comparison = compareSpreads(spreadOf(seedMalloc), spreadOf(seedMmap))
    const verdict =
      comparison.direction === 'slower'
        ? `reproduced: its malloc route is ${fmt(comparison.factor)}× slower here too`
        : comparison.direction === 'faster'
          ? `not reproduced: its malloc route is ${fmt(comparison.factor)}× faster here`
          : 'not reproduced: the two routes are within noise of each other'
    const mallocIsMmap = a !== undefined && a.mallocUsedMmapTrials === a.reps
    out.push(
      'The seed post measured malloc+memset at 56–76 ms and mmap+memset at 45 ms for 100 MB, and read it as "mmap is faster". ' +
        `Its own program here gives malloc/mmap = ${ratioText(num(seedMalloc, 'vsSeedMmapMedian'), num(seedMalloc, 'vsSeedMmapMin'), num(seedMalloc, 'vsSeedMmapMax'))} at ${size} MiB: ${verdict}` +
        (mallocIsMmap && comparison.direction === 'within noise'
          ? ` — at this size glibc's malloc is mmap (A above).`
          : '.'),
    )
  }
  const invalid = rows.filter((r) => r.valid === false)
  if (invalid.length > 0)
    out.push(
      `Invalid rows (far fewer faults than pages): ${invalid.map((r) => `${r.label ?? r.mode} at ${r.sizeMiB} MiB`).join(', ')}.`,
    )
  return out
}
