// What a mapping costs from JS: ns per mmap + munmap pair of 4 KiB, against
// the same pair in a C loop inside the addon.
import type { RunOptions } from '../../report/results-file.js'
import { OVERHEAD_METHODS as METHODS, presentOverhead } from './report.js'
import { loadKoffi, loadMmapIo, PEER_PACKAGES } from '../peers.js'
import { Progress } from '../progress.js'
import { notInstalled, type Row, type SuiteResult, type Unmeasured } from '../../report/rows.js'
import { pairedRatio, summarize } from '../stats.js'
import { runTrial } from '../trial.js'

export async function overheadSuite(options: RunOptions): Promise<SuiteResult> {
  const iterations = options.quick ? 5_000 : 50_000
  const reps = options.reps ?? (options.quick ? 2 : 15)
  const methods = ['c-loop', 'syscall-layer', 'object-layer']
  const unmeasured: Unmeasured[] = []
  if (await loadMmapIo()) methods.push('mmap-io')
  else unmeasured.push(notInstalled('overhead', 'mmap-io', METHODS['mmap-io']!, PEER_PACKAGES.mmapIo))
  if (await loadKoffi()) methods.push('koffi')
  else unmeasured.push(notInstalled('overhead', 'koffi', METHODS.koffi!, PEER_PACKAGES.koffi))
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
  for (const method of methods) {
    const s = summarize(ns.get(method)!)
    const ratio = pairedRatio(ns.get(method)!, c)
    rows.push({
      suite: 'overhead',
      mode: method,
      label: METHODS[method],
      reps,
      iterations,
      minMs: s.min / 1e6,
      medianMs: s.median / 1e6,
      maxMs: s.max / 1e6,
      nsPerPair: s.median,
      vsCMedian: ratio.median,
      vsCMin: ratio.min,
      vsCMax: ratio.max,
    })
  }
  return { suite: 'overhead', rows, unmeasured, ...presentOverhead(rows, unmeasured) }
}
