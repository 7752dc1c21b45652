// The file suite's report, computed from its rows alone.
import { barChart } from '../../report/charts/bars.js'
import { chart, conclusionsSection, heading, paragraph, table } from '../../report/blocks.js'
import { fmt, ratioText, spread } from '../../report/format.js'
import { spreadOf, unmeasuredText, type Presentation, type Row, type Unmeasured } from '../../report/rows.js'
import { compareSpreads, relationClause } from '../../report/verdict.js'

const TITLE = 'File access'
const MiB = 1024 * 1024

export const SCAN_LABELS: Record<string, string> = {
  readFileSync: 'fs.readFileSync',
  readSync: 'fs.readSync, 1 MiB chunks',
  mapFile: 'mapFile, first scan',
  'mapFile-second': 'mapFile, second scan',
  'mmap-io': '@riaskov/mmap-io',
}

export const RANDOM_LABELS: Record<string, string> = {
  mapFile: 'mapFile (Float64Array)',
  pread: 'fs.readSync 8 bytes (pread)',
  'mmap-io': '@riaskov/mmap-io',
}

const num = (row: Row, field: string) => row[field] as number
const optionalRatio = (row: Row, field: string) =>
  row[field] === undefined ? '–' : ratioText(num(row, field), num(row, `${field}Min`), num(row, `${field}Max`))

/** GB/s of one scan: every repetition read the whole file, so the fastest time is the highest rate. */
function gbps(row: Row): { median: number; min: number; max: number } {
  const bytes = row.sizeMiB! * MiB
  return { median: num(row, 'gbPerS'), min: bytes / (row.maxMs / 1e3) / 1e9, max: bytes / (row.minMs / 1e3) / 1e9 }
}

export function presentFile(rows: Row[], unmeasured: Unmeasured[]): Presentation {
  const scans = rows.filter((r) => r.mode.startsWith('scan-'))
  const randoms = rows.filter((r) => r.mode.startsWith('random-'))
  const missing = (prefix: string) => unmeasured.filter((u) => u.mode.startsWith(prefix))
  const reps = Math.max(...rows.map((r) => r.reps))
  const scanMiB = scans[0]?.sizeMiB ?? 0
  const sparseMiB = randoms[0]?.sizeMiB ?? 0
  const reads = (randoms[0]?.reads as number | undefined) ?? 0
  const scanBody = scans.map((r) => {
    const rate = gbps(r)
    return [
      r.label ?? r.mode,
      spread(rate.median, rate.min, rate.max),
      spread(r.medianMs, r.minMs, r.maxMs),
      optionalRatio(r, 'speedVsReadFileSync'),
      fmt(num(r, 'maxRssDeltaMiB')),
      fmt(num(r, 'rssAnonDeltaMiB')),
    ]
  })
  for (const u of missing('scan-')) scanBody.push([u.label, unmeasuredText(u), '–', '–', '–', '–'])
  const randomBody = randoms.map((r) => [
    r.label ?? r.mode,
    spread(num(r, 'coldNsPerRead'), num(r, 'coldNsPerReadMin'), num(r, 'coldNsPerReadMax')),
    spread((r.medianMs * 1e6) / reads, (r.minMs * 1e6) / reads, (r.maxMs * 1e6) / reads),
    optionalRatio(r, 'coldSpeedVsPread'),
    optionalRatio(r, 'warmSpeedVsPread'),
  ])
  for (const u of missing('random-')) randomBody.push([u.label, unmeasuredText(u), '–', '–', '–'])
  const conclusions = fileConclusions(rows, unmeasured)
  const svg = barChart({
    title: 'Reading a file: throughput of one sequential scan',
    subtitle: `${scanMiB} MiB in the page cache, the same JS scan for every method; ${reps} repetitions, each in a fresh process`,
    axis: 'GB/s',
    unit: 'GB/s',
    reading: 'longer is faster',
    rows: [
      ...scans.map((r) => ({ label: r.label ?? r.mode, ...gbps(r), mman: r.mode.startsWith('scan-mapFile') })),
      ...missing('scan-').map((u) => ({ label: u.label, note: unmeasuredText(u) })),
    ],
  })
  const blocks = [
    heading(2, `${TITLE} (${reps} reps, fresh process per trial)`),
    chart(svg),
    heading(3, `One sequential scan of a ${scanMiB} MiB file in the page cache`),
    paragraph(
      'Every method counts one byte value with the same JS scan (Buffer#indexOf). "Speed vs readFileSync" is paired per repetition (higher is faster).\n' +
        'Peak RSS counts mapped file pages too; RssAnon after the scan is what a method copied.',
    ),
    table(
      ['method', 'GB/s median [min–max]', 'ms', 'speed vs readFileSync', 'peak RSS Δ MiB', 'RssAnon Δ MiB'],
      scanBody,
    ),
    heading(3, `${reads.toLocaleString('en')} random 8-byte reads of a ${sparseMiB} MiB sparse file`),
    paragraph(
      'First pass: every read lands on a page this process has not touched (a page fault for mappings). Second pass: the same offsets again.',
    ),
    table(
      ['method', 'first pass ns/read', 'second pass ns/read', 'speed vs pread, first', 'speed vs pread, second'],
      randomBody,
    ),
    ...conclusionsSection(conclusions),
  ]
  return { title: TITLE, blocks, conclusions }
}

/** Sentences computed from the rows they cite. */
export function fileConclusions(rows: Row[], unmeasured: Unmeasured[]): string[] {
  const get = (mode: string) => rows.find((r) => r.mode === mode)
  const out: string[] = []
  const first = get('scan-mapFile')
  const second = get('scan-mapFile-second')
  const readFile = get('scan-readFileSync')
  const chunks = get('scan-readSync')
  if (first && chunks) {
    out.push(
      `A first pass through a fresh mapping runs at ${fmt(num(first, 'gbPerS'))} GB/s against ${fmt(num(chunks, 'gbPerS'))} GB/s for 1 MiB read() chunks ` +
        `(the same JS scan on both): ${relationClause('the mapping', 'read()', compareSpreads(spreadOf(first), spreadOf(chunks)))}.`,
    )
  }
  if (first && readFile) {
    const copied = num(first, 'rssAnonDeltaMiB')
    const fileMiB = first.sizeMiB!
    out.push(
      `RssAnon grew ${fmt(copied)} MiB through the mapping against ${fmt(num(readFile, 'rssAnonDeltaMiB'))} MiB for readFileSync` +
        (copied < fileMiB / 100 ? ': the mapping copies nothing, readFileSync holds a private copy of the file.' : '.'),
    )
  }
  if (second && first) {
    out.push(
      `Once its pages are mapped, a second scan runs at ${fmt(num(second, 'gbPerS'))} GB/s: ${relationClause('the second scan', 'the first', compareSpreads(spreadOf(second), spreadOf(first)))}.`,
    )
  }
  const mapped = get('random-mapFile')
  const pread = get('random-pread')
  if (mapped && pread) {
    const warm = compareSpreads(spreadOf(mapped), spreadOf(pread))
    const cold = compareSpreads(
      {
        min: num(mapped, 'coldNsPerReadMin'),
        median: num(mapped, 'coldNsPerRead'),
        max: num(mapped, 'coldNsPerReadMax'),
      },
      { min: num(pread, 'coldNsPerReadMin'), median: num(pread, 'coldNsPerRead'), max: num(pread, 'coldNsPerReadMax') },
    )
    const speedup = num(mapped, 'warmSpeedVsPread')
    out.push(
      `Random 8-byte reads through the mapping, once its pages are mapped, take ${fmt(num(mapped, 'warmNsPerRead'))} ns against ${fmt(num(pread, 'warmNsPerRead'))} ns for pread: ` +
        `${relationClause('the mapping', 'pread', warm)} (paired: ${fmt(speedup)}×; target ≥ 20× faster: ${warm.direction === 'faster' && speedup >= 20 ? 'met' : 'missed'}). ` +
        `On the first pass, where each read takes a page fault, ${relationClause('the mapping', 'pread', cold)}.`,
    )
  }
  for (const u of unmeasured) {
    if (u.status === 'failed') out.push(`${u.label} could not do the ${u.sizeMiB} MiB case: ${u.detail}.`)
  }
  // A package that is missing misses both cases: one sentence for it.
  for (const label of new Set(unmeasured.filter((u) => u.status === 'not installed').map((u) => u.label))) {
    const entry = unmeasured.find((u) => u.label === label)!
    out.push(`${label}: ${unmeasuredText(entry)}, so it is not in the comparison.`)
  }
  return out
}
