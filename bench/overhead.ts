// What a mapping costs from JS: ns per mmap + munmap pair of 4 KiB, against
// the same pair in a C loop inside the addon.
import type { BenchOptions } from './options.js'
import { loadKoffi, loadMmapIo } from './peers.js'
import { Progress } from './progress.js'
import { fmt, ratioText, spread, table, type Row, type SuiteResult } from './report.js'
import { pairedRatio, summarize } from './stats.js'
import { barChart } from './svg.js'
import { runTrial } from './trial.js'

const METHODS: Record<string, string> = {
  'c-loop': 'C loop in the addon',
  'syscall-layer': 'mman mmap() + munmap()',
  'object-layer': 'mman mapAnonymous() + unmap()',
  'mmap-io': '@riaskov/mmap-io map(), unmapped by GC',
  koffi: 'libc mmap + munmap through koffi',
}

export async function overheadSuite(options: BenchOptions): Promise<SuiteResult> {
  const iterations = options.quick ? 5_000 : 50_000
  const reps = options.reps ?? (options.quick ? 2 : 15)
  const methods = ['c-loop', 'syscall-layer', 'object-layer']
  if (await loadMmapIo()) methods.push('mmap-io')
  if (await loadKoffi()) methods.push('koffi')
  const ns = new Map<string, number[]>(methods.map((m) => [m, []]))
  const progress = new Progress(reps * methods.length, 'overhead')
  for (let rep = 0; rep < reps; rep++) {
    const order = [...methods.slice(rep % methods.length), ...methods.slice(0, rep % methods.length)]
    for (const method of order) {
      ns.get(method)!.push(await runTrial<number>('overhead', { method, iterations }, options.inProcess))
      progress.step(METHODS[method]!)
    }
  }
  progress.finish()
  const c = ns.get('c-loop')!
  const rows: Row[] = []
  const body = methods.map((method) => {
    const s = summarize(ns.get(method)!)
    const ratio = pairedRatio(ns.get(method)!, c)
    rows.push({
      suite: 'overhead', mode: method, label: METHODS[method], reps, iterations,
      minMs: s.min / 1e6, medianMs: s.median / 1e6, maxMs: s.max / 1e6,
      nsPerPair: s.median, vsCMedian: ratio.median, vsCMin: ratio.min, vsCMax: ratio.max,
    })
    return [METHODS[method]!, spread(s.median, s.min, s.max), ratioText(ratio.median, ratio.min, ratio.max)]
  })
  const get = (m: string) => rows.find((r) => r.mode === m)
  const objectLayer = get('object-layer')
  const syscallLayer = get('syscall-layer')
  const mmapio = get('mmap-io')
  const conclusions: string[] = []
  // The peers are optional (koffi is an optional peer dependency): say how to get a missing row.
  if (!methods.includes('mmap-io')) conclusions.push('No @riaskov/mmap-io row: it is not installed (`npm install @riaskov/mmap-io` adds it).')
  if (!methods.includes('koffi')) conclusions.push('No koffi row: koffi is not installed (`npm install koffi` adds libc mmap + munmap called through it).')
  if (objectLayer) {
    conclusions.push(
      `The object layer costs ${fmt(objectLayer.vsCMedian as number)}× the C loop per pair (target ≤ 1.3×: ${(objectLayer.vsCMedian as number) <= 1.3 ? 'met' : 'missed'}): ` +
        'each mapping also gets a region handle, a JS Mapping object and a FinalizationRegistry entry.',
    )
  }
  if (syscallLayer) {
    conclusions.push(
      `The syscall layer costs ${fmt(syscallLayer.vsCMedian as number)}× (target ≤ 1.3×: ${(syscallLayer.vsCMedian as number) <= 1.3 ? 'met' : 'missed'}): ` +
        'mmap() must return an ArrayBuffer, and on Node 20 an external ArrayBuffer is built through a Buffer with a weak ' +
        'finalizer, plus the weak reference munmap() needs to detach it.',
    )
  }
  if (mmapio && objectLayer && syscallLayer) {
    const speed = (row: Row) => (mmapio.nsPerPair as number) / (row.nsPerPair as number)
    conclusions.push(
      `@riaskov/mmap-io takes ${fmt(mmapio.nsPerPair as number)} ns per map() and its later munmap in a GC finalizer. ` +
        `Against it (target: no slower), mman's object layer runs at ${fmt(speed(objectLayer))}× its speed ` +
        `(${speed(objectLayer) >= 1 ? 'met' : 'missed'}) and the syscall layer at ${fmt(speed(syscallLayer))}× ` +
        `(${speed(syscallLayer) >= 1 ? 'met' : 'missed'}); both hand out an external buffer, but mman's also gets a ` +
        'weak reference so that munmap() can detach it, and a region record.',
    )
  }
  const markdown = [
    `## Call overhead: one mmap + munmap pair of 4 KiB (${reps} reps of ${iterations.toLocaleString('en')} pairs, fresh process each)`,
    '',
    'Each JS trial warms up, then times its pairs plus one full GC and the finalizers Node runs after it, so deferred unmapping (mmap-io has no unmap call) is counted.',
    '',
    table(['method', 'ns per pair median [min–max]', 'vs C loop (paired)'], body),
    '',
    '### What the numbers say',
    '',
    ...conclusions.map((c) => `- ${c}`),
    '',
  ].join('\n')
  const svg = barChart({
    title: 'mmap + munmap of 4 KiB: ns per pair',
    subtitle: `whiskers: min–max over ${reps} trials`,
    unit: 'ns per pair',
    groups: methods.map((m) => {
      const s = summarize(ns.get(m)!)
      return { label: m, bars: [{ label: METHODS[m]!, value: s.median, min: s.min, max: s.max }] }
    }),
  })
  return { suite: 'overhead', rows, markdown, svg }
}
