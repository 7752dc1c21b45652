// The house rules, checked:
// - lib/ is the library: it imports nothing outside lib/ (its addon it loads by path).
// - bench/ (the mman command, the suites, the report) uses the library as users
//   do, through its public entry: `import ... from 'mman'`. One documented
//   exception: bench/tools.ts imports lib/addon.ts, to load the tools addon the
//   way the library loads its own.
// - So nothing in lib/ imports bench/, and no arrow runs back up.
// And the library addon is built without the tools (bench/native): no benchmark kernel, no fork().
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
  const library = sourceFiles('lib')
  const bench = sourceFiles('bench')

  it('finds the files it checks', () => {
    expect(library).toContain('lib/index.ts')
    expect(bench).toContain('bench/cli/index.ts')
    expect(importsOf('bench/suites/loop/suite.ts')).toContain('mman')
  })

  it('lib/ imports only lib/', () => {
    expect(violations(library, (target) => inside(target, 'lib'))).toEqual([])
  })

  it("bench/ imports the library only as 'mman' (and bench/tools.ts lib/addon.ts), besides its own files and the peers it measures against", () => {
    const peers = new Set(['@riaskov/mmap-io', 'shm-typed-array', 'koffi'])
    const allowed = (file: string, target: string) =>
      target === 'mman' || inside(target, 'bench') || peers.has(target) || (file === 'bench/tools.ts' && target === 'lib/addon.ts')
    expect(bench.flatMap((file) => violations([file], (target) => allowed(file, target)))).toEqual([])
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
