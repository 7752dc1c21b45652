// The JavaScript examples in README.md and docs/guide.md run as written.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot, runChildGrowingHeap } from './helpers.js'

const examplesOf = (file: string) =>
  [...readFileSync(join(repoRoot, file), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]!)

describe.each([
  ['README.md', 4],
  ['docs/guide.md', 7],
])('examples in %s', (file, atLeast) => {
  const examples = examplesOf(file)

  it(`has at least ${atLeast}`, () => {
    expect(examples.length).toBeGreaterThanOrEqual(atLeast)
  })

  it.each(examples.map((source, i) => [i + 1, source] as const))('example %i runs', (_n, source) => {
    const child = runChildGrowingHeap(source)
    expect(child.stderr).toBe('')
    expect(child.status).toBe(0)
    expect(child.stdout.length).toBeGreaterThan(0)
  })
})
