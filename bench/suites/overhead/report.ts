// The overhead suite's report, computed from its rows alone.
import { barChart } from '../../report/charts/bars.js'
import { chart, conclusionsSection, heading, paragraph, table } from '../../report/blocks.js'
import { fmt, ratioText, spread } from '../../report/format.js'
import { spreadOf, unmeasuredText, type Presentation, type Row, type Unmeasured } from '../../report/rows.js'
import { compareSpreads, relationClause } from '../../report/verdict.js'

const TITLE = 'Call overhead: one mmap + munmap pair of 4 KiB'

export const OVERHEAD_METHODS: Record<string, string> = {
  'c-loop': 'C loop in the addon',
  'syscall-layer': 'mman mmap() + munmap()',
  'object-layer': 'mman mapAnonymous() + unmap()',
  'mmap-io': '@riaskov/mmap-io map(), unmapped by GC',
  koffi: 'libc mmap + munmap through koffi',
}

const num = (row: Row, field: string) => row[field] as number
const vsC = (row: Row) => ratioText(num(row, 'vsCMedian'), num(row, 'vsCMin'), num(row, 'vsCMax'))

export function presentOverhead(rows: Row[], unmeasured: Unmeasured[]): Presentation {
  const reps = Math.max(...rows.map((r) => r.reps))
  const iterations = Math.max(...rows.map((r) => num(r, 'iterations')))
  const body = rows.map((r) => [r.label ?? r.mode, spread(r.medianMs * 1e6, r.minMs * 1e6, r.maxMs * 1e6), vsC(r)])
  for (const u of unmeasured) body.push([u.label, unmeasuredText(u), '–'])
  const conclusions = overheadConclusions(rows, unmeasured)
  const svg = barChart({
    title: 'mmap + munmap of 4 KiB from JavaScript: time per pair',
    subtitle: `${iterations.toLocaleString('en')} pairs per trial, GC and finalizers included; ${reps} trials, each in a fresh process`,
    axis: 'µs per pair',
    unit: 'µs',
    reading: 'shorter is faster',
    rows: [
      ...rows.map((r) => ({
        label: r.label ?? r.mode,
        median: r.medianMs * 1e3,
        min: r.minMs * 1e3,
        max: r.maxMs * 1e3,
        mman: r.mode.endsWith('-layer'),
      })),
      ...unmeasured.map((u) => ({ label: u.label, note: unmeasuredText(u) })),
    ],
  })
  const blocks = [
    heading(2, `${TITLE} (${reps} reps of ${iterations.toLocaleString('en')} pairs, fresh process each)`),
    paragraph(
      'Each JS trial warms up, then times its pairs plus one full GC and the finalizers Node runs after it, so deferred unmapping (mmap-io has no unmap call) is counted.',
    ),
    chart(svg),
    table(['method', 'ns per pair median [min–max]', 'vs C loop (paired)'], body),
    ...conclusionsSection(conclusions),
  ]
  return { title: TITLE, blocks, conclusions }
}

/** Sentences computed from the rows they cite. */
export function overheadConclusions(rows: Row[], unmeasured: Unmeasured[]): string[] {
  const get = (mode: string) => rows.find((r) => r.mode === mode)
  const out: string[] = []
  const c = get('c-loop')
  if (c === undefined) return out
  // Issue 19's targets: the object layer adds a Mapping and its registration, the syscall layer
  // an ArrayBuffer Node-API builds through a Buffer, and the watch that keeps escaped views safe.
  for (const [mode, name, target] of [
    ['object-layer', 'The object layer (mapAnonymous + unmap)', 1.7],
    ['syscall-layer', 'The syscall layer (mmap + munmap)', 2.5],
  ] as const) {
    const row = get(mode)
    if (row === undefined) continue
    const met = num(row, 'vsCMedian') <= target ? 'met' : 'missed'
    out.push(
      `${name} costs ${vsC(row)} of the C loop per pair (target ≤ ${target}×: ${met}): ` +
        `${fmt(num(row, 'nsPerPair'))} ns against ${fmt(num(c, 'nsPerPair'))} ns.`,
    )
  }
  const mmapio = get('mmap-io')
  if (mmapio) {
    const layers = (['object-layer', 'syscall-layer'] as const)
      .map((mode) => get(mode))
      .filter((row) => row !== undefined)
    const clauses = layers.map((row) => {
      const comparison = compareSpreads(spreadOf(row), spreadOf(mmapio))
      const name = row.mode === 'object-layer' ? "mman's object layer" : "mman's syscall layer"
      return `${relationClause(name, 'mmap-io', comparison)} (${comparison.direction === 'slower' ? 'missed' : 'met'})`
    })
    out.push(
      `@riaskov/mmap-io takes ${fmt(num(mmapio, 'nsPerPair'))} ns per map() and its later munmap in a GC finalizer. Against it (target: no slower), ${clauses.join('; ')}.`,
    )
  }
  const koffi = get('koffi')
  if (koffi)
    out.push(
      `libc's own mmap and munmap, called from JavaScript through koffi (two FFI calls per pair), cost ${vsC(koffi)} of the C loop.`,
    )
  for (const u of unmeasured) out.push(`${u.label}: ${unmeasuredText(u)}, so it is not in the comparison.`)
  return out
}
