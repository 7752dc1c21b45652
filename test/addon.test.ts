// lib/addon.ts, the one place that knows where the native addons live: the
// local build first, then the package's prebuilt binary for this platform,
// architecture and C library; a binary that does not load is passed over, and
// when none loads the error says what was looked for and what to run.
// Loading copies of the addons happens in child processes, so this worker
// keeps a single instance of each.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { addonCandidates, hostTarget, packageRoot, prebuildPath } from '../lib/addon.js'
import { repoRoot, runChild, tempDir } from './helpers.js'

const arch = process.arch

describe('where the addons are looked for', () => {
  it('finds the package root from lib/', () => {
    expect(relative(repoRoot, packageRoot())).toBe('')
  })

  it('this machine runs glibc (Node reports its version)', () => {
    expect(hostTarget()).toEqual({ platform: 'linux', arch, libc: 'glibc' })
  })

  it('the local build first, then the prebuild for this platform, architecture and C library', () => {
    expect(addonCandidates('mman_tools', '/pkg')).toEqual([
      '/pkg/build/Release/mman_tools.node',
      '/pkg/build/Debug/mman_tools.node',
      `/pkg/prebuilds/linux-${arch}/mman_tools.glibc.node`,
    ])
  })

  it('a musl target has a name of its own, so a glibc prebuild is never loaded there', () => {
    expect(prebuildPath('mman', { platform: 'linux', arch: 'x64', libc: 'musl' }, '/pkg')).toBe('/pkg/prebuilds/linux-x64/mman.musl.node')
  })
  // prepack refuses such prebuilds too; this says so at `npm test`, not at release.
  it('the built addons need no glibc newer than README.md promises', () => {
    const promised = Number(/glibc 2\.(\d+) or later/.exec(readFileSync(join(repoRoot, 'README.md'), 'utf8'))?.[1])
    expect(promised).toBeGreaterThan(0)
    for (const name of ['mman', 'mman_tools']) {
      const binary = readFileSync(join(repoRoot, 'build/Release', `${name}.node`)).toString('latin1')
      const needed = Math.max(0, ...[...binary.matchAll(/GLIBC_2\.(\d+)/g)].map((match) => Number(match[1])))
      expect(needed, `${name}.node needs glibc 2.${needed}`).toBeLessThanOrEqual(promised)
    }
  })
})

describe('loading', () => {
  const cleanups: (() => void)[] = []
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()))

  /** A package root with the given files: each a copy of the local build's addon, or junk. */
  function fakeRoot(files: Record<string, 'mman' | 'mman_tools' | 'junk'>): string {
    const temp = tempDir()
    cleanups.push(temp.cleanup)
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(temp.dir, path, '..'), { recursive: true })
      if (content === 'junk') writeFileSync(join(temp.dir, path), 'not an ELF file\n'.repeat(100))
      else copyFileSync(join(repoRoot, 'build/Release', `${content}.node`), join(temp.dir, path))
    }
    return temp.dir
  }

  /** Runs `expression` in a child with lib/addon.ts's build imported as `addon`; prints its JSON. */
  function inChild(expression: string): unknown {
    const child = runChild(
      `import * as addon from './dist/lib/addon.js'
       let result
       try { result = ${expression} } catch (error) { result = { code: error.code, message: error.message } }
       console.log(JSON.stringify(result))`,
    )
    expect(child.stderr).toBe('')
    return JSON.parse(child.stdout)
  }

  const prebuild = (name: string) => `prebuilds/linux-${arch}/${name}.glibc.node`

  it('with no binary at all, the error names every place looked at and the command that compiles', () => {
    const root = fakeRoot({})
    const result = inChild(`addon.loadAddon('mman', ${JSON.stringify(root)})`) as { code: string; message: string }
    expect(result.code).toBe('ERR_MMAN_NO_NATIVE_BUILD')
    expect(result.message).toContain(`for linux-${arch} (glibc)`)
    expect(result.message).toContain(`build/Release/mman.node, build/Debug/mman.node, ${prebuild('mman')}, and none of them exists`)
    expect(result.message).toContain('this copy has no prebuilds/')
    expect(result.message).toContain('`npm rebuild mman`')
    expect(result.message).toMatch(/python3, make and a C\+\+ compiler/)
  })

  it('passes over a local build that does not load and takes the prebuild', () => {
    const root = fakeRoot({ 'build/Release/mman.node': 'junk', [prebuild('mman')]: 'mman' })
    expect(inChild(`typeof addon.loadAddon('mman', ${JSON.stringify(root)}).mmap`)).toBe('function')
  })

  it('when none loads, the error carries why each failed and what the package ships', () => {
    const root = fakeRoot({ 'build/Release/mman.node': 'junk', [prebuild('mman')]: 'junk', 'prebuilds/linux-riscv64/mman.glibc.node': 'junk' })
    const { message } = inChild(`addon.loadAddon('mman', ${JSON.stringify(root)})`) as { message: string }
    expect(message).toMatch(/none of them loads \(build\/Release\/mman\.node: .*invalid ELF header.*; prebuilds\/linux-\w+\/mman\.glibc\.node: .*invalid ELF header/)
    expect(message).toContain('ships prebuilt binaries for ')
    expect(message).toContain('linux-riscv64 (mman.glibc.node)')
  })

  it('the install script compiles unless both prebuilds load here', () => {
    const half = fakeRoot({ [prebuild('mman')]: 'mman' })
    expect(inChild(`addon.prebuildsLoad(${JSON.stringify(half)})`)).toBe(`no prebuilt ${prebuild('mman_tools')} in this package`)
    const broken = fakeRoot({ [prebuild('mman')]: 'mman', [prebuild('mman_tools')]: 'junk' })
    expect(inChild(`addon.prebuildsLoad(${JSON.stringify(broken)})`)).toMatch(new RegExp(`^${prebuild('mman_tools')} does not load here: .*invalid ELF header`))
    const both = fakeRoot({ [prebuild('mman')]: 'mman', [prebuild('mman_tools')]: 'mman_tools' })
    expect(inChild(`addon.prebuildsLoad(${JSON.stringify(both)})`)).toBe(true)
  })
})
