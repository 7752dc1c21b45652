// The house rules, checked: the library (lib/ outside lib/cli/) imports nothing
// outside itself but its addon; the mman command (lib/cli/) uses the library's
// public entry and bench/; bench/ uses the public entry and one documented
// internal module (lib/addon.ts, which loads its tools addon). And the library
// addon is built without the tools (bench/native): no benchmark kernel, no fork().
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { addonBinary, repoRoot } from './helpers.js'

const sourceFiles = (dir: string): string[] =>
  readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(dir, name))

/** Every module a file imports (static, re-exported or dynamic with a literal), resolved to a repository path or left as a package name. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(repoRoot, file), 'utf8')
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"\n]*?\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'/g)].map(
    (match) => match[1] ?? match[2]!,
  )
  return specifiers.map((spec) =>
    spec.startsWith('.') ? relative(repoRoot, resolve(repoRoot, dirname(file), spec)).replace(/\.js$/, '.ts') : spec,
  )
}

const builtin = (spec: string) => spec.startsWith('node:') || builtinModules.includes(spec)
const inside = (path: string, dir: string) => path.startsWith(`${dir}/`)

function violations(files: string[], allowed: (target: string) => boolean): string[] {
  return files.flatMap((file) => importsOf(file).filter((target) => !builtin(target) && !allowed(target)).map((target) => `${file} -> ${target}`))
}

describe('layering', () => {
  const library = sourceFiles('lib').filter((file) => !inside(file, 'lib/cli'))

  it('finds the files it checks', () => {
    expect(library).toContain('lib/index.ts')
    expect(importsOf('lib/cli/index.ts')).toContain('bench/index.ts')
  })

  it('the library imports nothing outside lib/ (bench/, lib/cli/ or any package)', () => {
    expect(violations(library, (target) => inside(target, 'lib') && !inside(target, 'lib/cli'))).toEqual([])
  })

  it('the mman command uses the public entry, its own files and bench/ (and koffi, optionally)', () => {
    const allowed = (target: string) =>
      target === 'lib/index.ts' || inside(target, 'lib/cli') || inside(target, 'bench') || target === 'koffi'
    expect(violations(sourceFiles('lib/cli'), allowed)).toEqual([])
  })

  it('bench/ uses the public entry and lib/addon.ts only (and the peers it measures against)', () => {
    const peers = new Set(['@riaskov/mmap-io', 'shm-typed-array', 'koffi'])
    const allowed = (target: string) =>
      target === 'lib/index.ts' || target === 'lib/addon.ts' || inside(target, 'bench') || peers.has(target)
    expect(violations(sourceFiles('bench'), allowed)).toEqual([])
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
