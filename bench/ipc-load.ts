// Round trips on an oversubscribed machine: one busy process per core runs
// beside the two ends, as when a parent and a pool of children share the
// machine with other work. Spinning through a descheduled peer's timeslice is
// what made the Channel collapse there; each run starts fresh processes.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { availableParallelism } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { measure, type Measured } from './ipc-measure.js'
import type { Transport } from './ipc-transports.js'

/** Runs `body` with one busy-looping process per core beside it. */
export async function withBusyCores<T>(body: () => Promise<T>): Promise<T> {
  const busy = Array.from({ length: availableParallelism() }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }))
  try {
    await sleep(200)
    return await body()
  } finally {
    for (const child of busy) child.kill()
    await Promise.all(busy.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : once(child, 'exit'))))
  }
}

export interface LoadRun {
  run: number
  results: Measured[]
}

/** `runs` runs of 64-byte round trips through each transport, all under load. */
export async function loadRuns(makers: Record<string, () => Transport>, runs: number, rounds: number, step: (what: string) => void): Promise<LoadRun[]> {
  const names = Object.keys(makers)
  const out: LoadRun[] = []
  for (let run = 0; run < runs; run++) {
    const order = [...names.slice(run % names.length), ...names.slice(0, run % names.length)]
    const results = await withBusyCores(async () => {
      const measured: Measured[] = []
      for (const name of order) measured.push(await measure(name, makers[name]!, 64, false, rounds))
      return measured
    })
    out.push({ run, results })
    step(`under load, run ${run + 1} of ${runs}`)
  }
  return out
}
