// Each suite's presentation as a function of its saved rows, so that a run
// read back from its results file renders exactly as it did live.
import { presentFile } from './file-report.js'
import { presentIpc } from './ipc-report.js'
import { presentLoop } from './loop-report.js'
import { presentOverhead } from './overhead-report.js'
import type { Presentation, Row, Unmeasured } from './report.js'
import { presentZeroing } from './zeroing-report.js'

const PRESENTERS: Record<string, (rows: Row[], unmeasured: Unmeasured[]) => Presentation> = {
  zeroing: (rows) => presentZeroing(rows),
  file: presentFile,
  overhead: presentOverhead,
  loop: (rows) => presentLoop(rows),
  ipc: presentIpc,
}

/** The presentation of a saved suite; undefined for a suite this version does not know. */
export function presentSection(section: { suite: string; rows: Row[]; unmeasured: Unmeasured[] }): Presentation | undefined {
  return Object.hasOwn(PRESENTERS, section.suite) ? PRESENTERS[section.suite]!(section.rows, section.unmeasured) : undefined
}
