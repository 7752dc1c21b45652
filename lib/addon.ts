// Loading the package's native addons with node-gyp-build: a local build
// (build/Release, build/Debug) first, then the prebuild prebuildify made for
// this platform, architecture and C library (prebuilds/linux-x64/mman.glibc.node).
// Each addon has its own directory: the library's is the package root, the
// tools addon's (benchmark kernels, fork demo) is bench/native. This module
// adds only the error when no binary loads: what node-gyp-build tried, what the
// package ships, and what to run. It is also the one internal module bench/ may
// import (test/layering.test.ts holds that line).
import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const nodeGypBuild = createRequire(import.meta.url)('node-gyp-build') as (dir: string) => unknown

/** The package root: the directory holding binding.gyp, above lib/ (or dist/lib/). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'binding.gyp'))) {
    if (dirname(dir) === dir)
      throw new Error(`mman: cannot find the package root (binding.gyp) above ${import.meta.url}`)
    dir = dirname(dir)
  }
  return dir
}

/** What to run when no binary loads (pnpm and `--ignore-scripts` skip the install script that compiles). */
const REBUILD_HINT =
  'Compile it with `npm rebuild mman` (or `pnpm rebuild mman`), which needs python3, make and a C++ compiler (g++).'

/** Loads the addon of `dir` (the directory of its binding.gyp); throws ERR_MMAN_NO_NATIVE_BUILD when no binary loads. */
export function loadAddon(dir: string): unknown {
  try {
    return nodeGypBuild(dir)
  } catch (error) {
    // node-gyp-build's own words: the target it found no binary for, or the binary that did not load and why.
    const tried = (error as Error).message.trim().replace(/\s*\n\s*/g, '; ')
    throw Object.assign(
      new Error(
        `mman: no native addon loads from ${dir}: ${tried}. The package ships prebuilt binaries for ${shippedPrebuilds(dir)}. ${REBUILD_HINT}`,
        {
          cause: error,
        },
      ),
      { code: 'ERR_MMAN_NO_NATIVE_BUILD' },
    )
  }
}

/** The prebuilt binaries in `dir`, by target ("linux-x64 (mman.glibc.node), ..."), for the error message. */
function shippedPrebuilds(dir: string): string {
  const prebuilds = join(dir, 'prebuilds')
  const targets = existsSync(prebuilds)
    ? readdirSync(prebuilds, { withFileTypes: true }).filter((entry) => entry.isDirectory())
    : []
  if (targets.length === 0) return 'no target (this copy has no prebuilds/)'
  return targets.map((target) => `${target.name} (${readdirSync(join(prebuilds, target.name)).join(', ')})`).join(', ')
}
