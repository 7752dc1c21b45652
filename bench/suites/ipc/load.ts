// Round trips on an oversubscribed machine: one busy process per core runs
// beside the two ends, as when a parent and a pool of children share the
// machine with other work. Spinning through a descheduled peer's timeslice is
// what made the Channel collapse there; each run starts fresh processes.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { availableParallelism } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Measured } from './measure.js'

/** Runs `body` with one busy-looping process per core beside it; `body` gets their count. */
async function withBusyCores<T>(body: (busy: number) => Promise<T>): Promise<T> {
  const busy = Array.from({ length: availableParallelism() }, () =>
    spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
  )
  try {
    await sleep(200)
    return await body(busy.length)
  } finally {
    for (const child of busy) child.kill()
    await Promise.all(
      busy.filter((child) => child.exitCode === null && child.signalCode === null).map((child) => once(child, 'exit')),
    )
  }
}

export interface LoadRun {
  run: number
  results: Measured[]
}

/** `runs` runs of 64-byte round trips through each transport, all under load; `measure` gets the count of busy loops. */
export async function loadRuns(
  names: string[],
  measure: (name: string, busy: number) => Promise<Measured>,
  runs: number,
  step: (what: string) => void,
): Promise<LoadRun[]> {
  const out: LoadRun[] = []
  for (let run = 0; run < runs; run++) {
    const order = [...names.slice(run % names.length), ...names.slice(0, run % names.length)]
    const results = await withBusyCores(async (busy) => {
      const measured: Measured[] = []
      for (const name of order) measured.push(await measure(name, busy))
      return measured
    })
    out.push({ run, results })
    step(`under load, run ${run + 1} of ${runs}`)
  }
  return out
}
