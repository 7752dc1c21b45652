// The benchmark suites: what each measures, how it runs, and how it presents
// its rows. A presentation is a function of the rows alone, so that a run read
// back from its results file renders exactly as it did live.
import type { Presentation, Row, SuiteResult, Unmeasured } from '../report/rows.js'
import type { RunOptions } from '../report/results-file.js'
import { presentFile } from './file/report.js'
import { fileSuite } from './file/suite.js'
import { presentIpc } from './ipc/report.js'
import { ipcSuite } from './ipc/suite.js'
import { presentLoop } from './loop/report.js'
import { loopSuite } from './loop/suite.js'
import { presentOverhead } from './overhead/report.js'
import { overheadSuite } from './overhead/suite.js'
import { presentZeroing } from './zeroing/report.js'
import { zeroingSuite } from './zeroing/suite.js'

interface Suite {
  summary: string
  run(options: RunOptions): Promise<SuiteResult>
  present(rows: Row[], unmeasured: Unmeasured[]): Presentation
}

export const SUITES: Record<string, Suite> = {
  zeroing: {
    summary: "the seed blog's malloc-vs-mmap experiment, modes A-G plus JS, with page-fault counts",
    run: zeroingSuite,
    present: (rows) => presentZeroing(rows),
  },
  file: {
    summary: 'one sequential scan of a cached file, random reads of a sparse file, vs fs and mmap-io',
    run: fileSuite,
    present: presentFile,
  },
  overhead: {
    summary: 'ns per mmap + munmap pair: C loop, both mman layers, mmap-io, koffi',
    run: overheadSuite,
    present: presentOverhead,
  },
  loop: {
    summary: 'event-loop delay while syncAsync / populateAsync / futexWaitAsync run, vs blocking forms',
    run: loopSuite,
    present: (rows) => presentLoop(rows),
  },
  ipc: {
    summary:
      'parent/child round trips and throughput: mman Channel vs the floors, process.send, postMessage, shm-typed-array',
    run: ipcSuite,
    present: presentIpc,
  },
}

/** The presentation of a saved suite; undefined for a suite this version does not know. */
export function presentSection(section: {
  suite: string
  rows: Row[]
  unmeasured: Unmeasured[]
}): Presentation | undefined {
  return Object.hasOwn(SUITES, section.suite)
    ? SUITES[section.suite]!.present(section.rows, section.unmeasured)
    : undefined
}
