// The pieces of the ipc suite that measure (its presentation is tested from
// fixture rows in bench-conclusions.test.ts): what it reads from /proc, how it
// tells the wait engines apart, and the pair's transports between two real
// processes, each echo checked by the parent.
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { idleRun, parseLoadAvg, parseStat } from '../bench/suites/ipc/conditions.js'
import { ioUringFutexExpected, repoRoot, runChild, tempDir } from './helpers.js'
import { runConditions } from './bench-fixtures.js'

describe('ipc conditions', () => {
  it("reads a thread's state and last CPU from its stat line, whatever its command name holds", () => {
    const own = readFileSync('/proc/self/stat', 'utf8')
    const parsed = parseStat(own)!
    expect(parsed.state).toBe('R')
    expect(parsed.cpu).toBeGreaterThanOrEqual(0)
    expect(parsed.cpu).toBeLessThan(availableParallelism())
    // The command name is field 2, in parentheses, and may hold both spaces and parentheses.
    const tricky = own.replace(/\(.*\)/, '(a) b (c d)')
    expect(parseStat(tricky)).toEqual(parsed)
    expect(parseStat('12 (x) S 1 2')).toBeUndefined()
  })

  it('reads the load average and the runnable tasks from /proc/loadavg', () => {
    expect(parseLoadAvg('0.52 0.58 0.59 2/345 12345\n')).toEqual({ loadAvg: 0.52, runnable: 2 })
    const now = parseLoadAvg(readFileSync('/proc/loadavg', 'utf8'))
    expect(now.runnable).toBeGreaterThanOrEqual(1)
  })

  it('calls a run idle only when, on average, fewer than 0.3 other tasks were runnable', () => {
    expect(idleRun(runConditions({ othersRunnableMean: 0.29 }))).toBe(true)
    expect(idleRun(runConditions({ othersRunnableMean: 0.3 }))).toBe(false)
  })
})

describe('the wait engine probe', () => {
  const probe = (env: NodeJS.ProcessEnv) =>
    runChild(
      `
      import { mapAnonymous, futexWaitAsync } from 'mman'
      import { asyncEngineProbe } from './dist/bench/suites/ipc/conditions.js'
      const engine = asyncEngineProbe()
      const ints = new Int32Array(mapAnonymous(4096, { shared: true }).buffer)
      // The io_uring ring is set up on a thread of its own: the first waits may go to the waiter thread meanwhile.
      for (let i = 0; i < 20; i++) await futexWaitAsync(ints, 0, 0, 5)
      console.log(engine())
    `,
      [],
      env,
    )

  it('names the waiter thread when MMAN_NO_IO_URING=1', () => {
    const child = probe({ MMAN_NO_IO_URING: '1' })
    expect(child.stderr).toBe('')
    expect(child.stdout).toBe('thread\n')
  })

  it.runIf(ioUringFutexExpected())(
    'names io_uring where the kernel has futex operations and nothing forbids it',
    () => {
      const child = probe({ MMAN_NO_IO_URING: undefined })
      expect(child.stderr).toBe('')
      expect(child.stdout).toBe('io_uring\n')
    },
  )
})

describe('the pair', () => {
  it('runs every transport between two processes, each echo checked, the placement sampled after each block, and one block each past the time budget', () => {
    // A program file, not -e: the pair's peer is forked with this process's flags, and --input-type is for -e only.
    const { dir, cleanup } = tempDir()
    const program = join(dir, 'pair.mjs')
    const dist = (path: string) => pathToFileURL(join(repoRoot, 'dist/bench/suites', path)).href
    writeFileSync(
      program,
      `
      import { pairRuns } from '${dist('ipc/pair.js')}'
      import { pairTransports } from '${dist('ipc/pair-transports.js')}'
      import { loadShm } from '${dist('peers.js')}'
      const shm = await loadShm()
      const [run] = await pairRuns(() => pairTransports(shm), { runs: 1, blocks: 3, roundsPerBlock: 50, warmUpMs: 0, budgetMs: 0 }, () => {})
      console.log(JSON.stringify({ installed: shm !== undefined, run }))
    `,
    )
    const child = spawnSync(process.execPath, [program], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 })
    cleanup()
    expect(child.stderr).toBe('')
    const { installed, run } = JSON.parse(child.stdout) as {
      installed: boolean
      run: { blockNs: Record<string, number[]>; conditions: Record<string, Record<string, unknown>> }
    }
    const keys = [
      'spin',
      'c-floor',
      'zero-copy-ring',
      'copy-ring',
      ...(installed ? ['shm-polling'] : []),
      'channel-zero-copy',
      'channel',
      'channel-receive',
    ]
    expect(Object.keys(run.blockNs)).toEqual(keys)
    for (const key of keys) {
      expect(run.blockNs[key]!.length, key).toBe(1)
      expect(run.blockNs[key]![0], key).toBeGreaterThan(0)
      expect(run.conditions[key]).toMatchObject({ samples: 1 })
      expect(run.conditions[key]!.sameCpuShare, key).not.toBeNull()
    }
    expect(run.conditions.channel).toMatchObject({ parentEngine: 'sync', peerEngine: 'sync' })
    expect(run.conditions.spin).not.toHaveProperty('parentEngine')
  })
})
