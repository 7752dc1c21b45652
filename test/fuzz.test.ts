// Properties: whatever a caller passes, every public function returns or throws
// an Error with a code — never a signal; and whatever sequence of operations a
// program runs (views of every kind, remap, unmap, gc, transfer(),
// postMessage, ...), every view reads what a model says. Each campaign runs in
// its own process (on the Node under test), so that a crash is seen as a
// signal and reported with its seed.
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot } from './helpers.js'

const CAMPAIGNS = 4
const CASES_PER_CAMPAIGN = 12_500 // 50,000 in all
const baseSeed = Number(process.env.MMAN_FUZZ_SEED ?? Date.now() % 1_000_000)

describe('fuzzing every public function', () => {
  it.each(Array.from({ length: CAMPAIGNS }, (_, i) => baseSeed + i))('campaign with seed %i', (seed) => {
    const child = spawnSync(
      process.execPath,
      [join(repoRoot, 'test/fuzz/fuzz-child.mjs'), String(seed), String(CASES_PER_CAMPAIGN)],
      {
        encoding: 'utf8',
        timeout: 120_000,
        maxBuffer: 16 << 20,
      },
    )
    const reproduce = `reproduce with: node test/fuzz/fuzz-child.mjs ${seed} ${CASES_PER_CAMPAIGN}`
    expect(child.signal, `${reproduce}\n${child.stderr}`).toBeNull()
    expect(child.status, `${reproduce}\n${child.stderr}`).toBe(0)
    const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as { cases: number; failures: string[] }
    expect(result.failures, reproduce).toEqual([])
    expect(result.cases).toBeGreaterThanOrEqual(CASES_PER_CAMPAIGN)
  })
})

const SEQUENCE_CAMPAIGNS = 2
const SEQUENCES_PER_CAMPAIGN = 100

describe('fuzzing sequences of operations against a model', () => {
  it.each(Array.from({ length: SEQUENCE_CAMPAIGNS }, (_, i) => baseSeed + i))(
    'campaign with seed %i',
    (seed) => {
      const child = spawnSync(
        process.execPath,
        ['--expose-gc', join(repoRoot, 'test/fuzz/sequence-child.mjs'), String(seed), String(SEQUENCES_PER_CAMPAIGN)],
        {
          encoding: 'utf8',
          timeout: 240_000,
          maxBuffer: 16 << 20,
        },
      )
      const reproduce = `reproduce with: node --expose-gc test/fuzz/sequence-child.mjs ${seed} ${SEQUENCES_PER_CAMPAIGN} (MMAN_SEQUENCE='<counterexample>' replays one)`
      expect(child.signal, `${reproduce}\n${child.stderr}`).toBeNull()
      expect(child.status, `${reproduce}\n${child.stderr}`).toBe(0)
      const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as { cases: number; failures: string[] }
      expect(result.failures, reproduce).toEqual([])
      expect(result.cases).toBe(SEQUENCES_PER_CAMPAIGN)
    },
    300_000,
  )
})
