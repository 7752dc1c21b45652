// The README's JavaScript examples run as written.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot, runChild } from './helpers.js'

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')
const examples = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => match[1]!)

describe('README examples', () => {
  it('has examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4)
  })

  it.each(examples.map((source, i) => [i + 1, source] as const))('example %i runs', (_n, source) => {
    const child = runChild(source)
    expect(child.stderr).toBe('')
    expect(child.status).toBe(0)
    expect(child.stdout.length).toBeGreaterThan(0)
  })
})
