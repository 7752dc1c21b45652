// The house rules (.dependency-cruiser.cjs states them: lib/ imports only lib/;
// bench/ uses the library through its public entry 'mman', bench/tools.ts
// excepted for the addon loader; no circle at run time), checked by
// dependency-cruiser from the TypeScript compiler's reading of every import,
// here and in `npm run lint`. And the library addon is built without the
// tools (bench/native): no benchmark kernel, no fork().
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { addonBinary, repoRoot } from './helpers.js'

interface Cruise {
  summary: { violations: { rule: { name: string }; from: string; to: string }[]; totalCruised: number }
}

const cruise = (...paths: string[]): Cruise => {
  const run = spawnSync(
    process.execPath,
    [join(repoRoot, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs'), '--output-type', 'json', ...paths],
    {
      cwd: repoRoot,
      encoding: 'utf8',
      maxBuffer: 64 * 2 ** 20,
    },
  )
  return JSON.parse(run.stdout) as Cruise
}

describe('layering', () => {
  it('lib/ and bench/ keep the house rules', () => {
    const { summary } = cruise('lib', 'bench')
    expect(summary.totalCruised).toBeGreaterThan(100)
    expect(summary.violations.map(({ rule, from, to }) => `${rule.name}: ${from} -> ${to}`)).toEqual([])
  })

  it('the library addon is built without the tools: no benchmark kernel, no mallinfo2, no fork()', () => {
    const symbols = execFileSync('nm', ['-D', addonBinary(repoRoot)], { encoding: 'utf8' })
    const undefinedNames = symbols
      .split('\n')
      .filter((line) => /^\s+U /.test(line))
      .map((line) => line.trim().split(/\s+/)[1]!.split('@')[0])
    expect(undefinedNames.filter((name) => ['fork', 'mallinfo2', 'waitpid'].includes(name!))).toEqual([])
    const gyp = readFileSync(join(repoRoot, 'binding.gyp'), 'utf8')
    const sources = [...gyp.matchAll(/"([\w/.]+\.cc)"/g)].map((match) => match[1])
    expect(sources).toContain('native/region.cc')
    expect(sources.filter((source) => !/^native\/[\w]+\.cc$/.test(source!))).toEqual([])
  })
})
