// Finding and loading the package's native addons: `mman` (the library's) and
// `mman_tools` (the benchmark kernels and the seed demos' fork, which the
// library never loads). This is the one internal module bench/ may import
// (test/layering.test.ts holds that line).
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export type AddonName = 'mman' | 'mman_tools'

const require = createRequire(import.meta.url)

/** The package root: the directory holding binding.gyp, above lib/ (or dist/lib/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'binding.gyp'))) {
    if (dirname(dir) === dir) throw new Error(`mman: cannot find the package root (binding.gyp) above ${import.meta.url}`)
    dir = dirname(dir)
  }
  return dir
}

/** Where a build of the addon may be, the local build first. */
export function addonCandidates(name: AddonName, root = packageRoot()): string[] {
  return [
    join(root, 'build', 'Release', `${name}.node`),
    join(root, 'build', 'Debug', `${name}.node`),
    join(root, 'prebuilds', `${process.platform}-${process.arch}`, `${name}.node`),
  ]
}

/** Loads an addon by name (two addons share build/Release, so none is loaded by guessing). */
export function loadAddon(name: AddonName): unknown {
  const candidates = addonCandidates(name)
  const found = candidates.find((path) => existsSync(path))
  if (found === undefined) {
    throw new Error(
      `mman: no native build of ${name} for ${process.platform}-${process.arch} (looked for ${candidates.join(', ')}). ` +
        'Build it with `npm rebuild mman` (needs python3, make and a C++ compiler).',
    )
  }
  return require(found)
}
