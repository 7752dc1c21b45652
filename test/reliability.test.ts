// Nothing leaks, and nothing blocks the event loop where an async form exists.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dirty, loopDelayDuring, loopWorkload } from '../bench/suites/loop/suite.js'
import { futexWaitAsync } from '../lib/index.js'
import { repoRoot } from './helpers.js'

describe('soak', () => {
  it('10k map/unmap/remap cycles and 10k mappings left to the GC leave no region or reserved range behind, RSS bounded', () => {
    const child = spawnSync(process.execPath, ['--expose-gc', join(repoRoot, 'dist/bench/soak.js'), '10000'], {
      encoding: 'utf8',
      timeout: 120_000,
    })
    expect(child.stderr).toBe('')
    expect(child.stdout).not.toMatch(/\| NO \|/)
    expect(child.stdout.match(/\| yes \|/g)).toHaveLength(5)
    expect(child.status).toBe(0)
  })
})

describe('event loop', () => {
  // Relative, not absolute (it also runs under the sanitizer, where everything is
  // slower, beside other test files on two cores): a blocking form holds the loop
  // for the whole work, once; the async forms let it run throughout, never held
  // for half the work (a third was too tight under ASan in one CI run: 155 ms of
  // 456). `mman bench loop` measures the figures.
  it('keeps running while syncAsync, populateAsync and futexWaitAsync are in flight', async () => {
    const work = loopWorkload(64 * 2 ** 20, 128 * 2 ** 20)
    try {
      dirty(work.file)
      const delay = await loopDelayDuring(() =>
        Promise.all([work.file.syncAsync(), work.anon.populateAsync(), futexWaitAsync(work.words, 0, 0, 300)]),
      )
      expect(delay.workMs).toBeGreaterThanOrEqual(290)
      expect(delay.samples).toBeGreaterThan(50)
      expect(delay.maxMs).toBeLessThan(delay.workMs / 2)
      expect(work.anon.residency().resident).toBe((128 * 2 ** 20) / 4096)
    } finally {
      work.cleanup()
    }
  })
})
