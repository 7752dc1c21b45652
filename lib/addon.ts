// Finding and loading the package's native addons: `mman` (the library's) and
// `mman_tools` (the benchmark kernels and the seed demos' fork, which the
// library never loads). This is the one module that knows where they live: a
// local build (build/Release, build/Debug), then the prebuilt binary shipped in
// the package (prebuilds/<platform>-<arch>/<name>.<libc>.node). It is also the
// one internal module bench/ may import (test/layering.test.ts holds that line),
// and native/install.mjs and native/prebuilds.mjs use it from dist/.
import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

export type AddonName = 'mman' | 'mman_tools'

export const ADDON_NAMES: readonly AddonName[] = ['mman', 'mman_tools']

/** A prebuilt binary's target: the C library is part of it (a glibc build does not load on musl). */
export interface Target {
  platform: string
  arch: string
  libc: 'glibc' | 'musl'
}

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

let hostLibc: Target['libc'] | undefined

/** The C library this Node runs on: Node's report names glibc's version, and nothing on musl. */
function runningLibc(): Target['libc'] {
  hostLibc ??= (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime
    ? 'glibc'
    : 'musl'
  return hostLibc
}

/** The target of the running process. */
export function hostTarget(): Target {
  return { platform: process.platform, arch: process.arch, libc: runningLibc() }
}

/** Where the package ships the prebuilt binary of an addon for a target. */
export function prebuildPath(name: AddonName, target: Target, root = packageRoot()): string {
  return join(root, 'prebuilds', `${target.platform}-${target.arch}`, `${name}.${target.libc}.node`)
}

/** Where a build of the addon may be, the local build first. */
export function addonCandidates(name: AddonName, root = packageRoot()): string[] {
  return [
    join(root, 'build', 'Release', `${name}.node`),
    join(root, 'build', 'Debug', `${name}.node`),
    prebuildPath(name, hostTarget(), root),
  ]
}

/** What to run when no binary loads (pnpm and `--ignore-scripts` skip the install script that compiles). */
const REBUILD_HINT =
  'Compile it with `npm rebuild mman` (or `pnpm rebuild mman`), which needs python3, make and a C++ compiler (g++).'

/** Loads an addon by name (two addons share build/Release, so none is loaded by guessing). */
export function loadAddon(name: AddonName, root = packageRoot()): unknown {
  const failures: string[] = []
  for (const path of addonCandidates(name, root)) {
    if (!existsSync(path)) continue
    try {
      return require(path)
    } catch (error) {
      // A binary for another machine, or one needing a newer glibc: try the next one.
      failures.push(`${relative(root, path)}: ${(error as Error).message.split('\n')[0]}`)
    }
  }
  const { platform, arch, libc } = hostTarget()
  const tried = addonCandidates(name, root).map((path) => relative(root, path))
  const why = failures.length > 0 ? `none of them loads (${failures.join('; ')})` : 'none of them exists'
  throw Object.assign(
    new Error(
      `mman: no native build of ${name}.node for ${platform}-${arch} (${libc}) in ${root}: looked for ${tried.join(', ')}, ` +
        `and ${why}. The package ships prebuilt binaries for ${shippedPrebuilds(root)}. ${REBUILD_HINT}`,
    ),
    { code: 'ERR_MMAN_NO_NATIVE_BUILD' },
  )
}

/** The prebuilt binaries in the package, by directory ("linux-x64 (mman.glibc.node, ...)"), for error messages. */
function shippedPrebuilds(root: string): string {
  const dirs = existsSync(join(root, 'prebuilds'))
    ? readdirSync(join(root, 'prebuilds'), { withFileTypes: true }).filter((entry) => entry.isDirectory())
    : []
  if (dirs.length === 0) return 'no target (this copy has no prebuilds/)'
  return dirs.map((dir) => `${dir.name} (${readdirSync(join(root, 'prebuilds', dir.name)).join(', ')})`).join(', ')
}

/**
 * Whether every addon's prebuilt binary for this machine loads: then the
 * install script has nothing to compile. Answers the reason when one does not.
 */
export function prebuildsLoad(root = packageRoot()): true | string {
  for (const name of ADDON_NAMES) {
    const path = prebuildPath(name, hostTarget(), root)
    if (!existsSync(path)) return `no prebuilt ${relative(root, path)} in this package`
    try {
      require(path)
    } catch (error) {
      return `${relative(root, path)} does not load here: ${(error as Error).message.split('\n')[0]}`
    }
  }
  return true
}
