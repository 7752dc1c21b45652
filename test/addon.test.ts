// Where the native addons live and how they load: each in its own directory
// (the library's at the package root, the tools' in bench/native), loaded by
// node-gyp-build (the local build first, then the prebuild prebuildify named
// for this platform, architecture and C library), installed by node-gyp-build's
// install command (it keeps a prebuild that loads, compiles otherwise), and
// lib/addon.ts's error when no binary loads.
// Loading copies of the addons happens in child processes, so this worker
// keeps a single instance of each.
import { spawnSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { packageRoot } from '../lib/addon.js'
import { addonBinary, repoRoot, runChild, tempDir } from './helpers.js'

const require = createRequire(import.meta.url)
const arch = process.arch
const toolsDir = join(repoRoot, 'bench/native')

describe('where the addons live', () => {
  it('finds the package root from lib/', () => {
    expect(relative(repoRoot, packageRoot())).toBe('')
  })

  it('each addon directory yields its own addon: mman at the root, mman_tools in bench/native', () => {
    expect(relative(repoRoot, addonBinary(repoRoot))).toMatch(
      new RegExp(`^(build/Release/mman\\.node|prebuilds/linux-${arch}/mman\\.glibc\\.node)$`),
    )
    expect(relative(toolsDir, addonBinary(toolsDir))).toMatch(
      new RegExp(`^(build/Release/mman_tools\\.node|prebuilds/linux-${arch}/mman_tools\\.glibc\\.node)$`),
    )
  })

  // prepack refuses such prebuilds too; this says so at `npm test`, not at release.
  it('the addons loaded here need no glibc newer than README.md promises', () => {
    const promised = Number(/glibc 2\.(\d+) or later/.exec(readFileSync(join(repoRoot, 'README.md'), 'utf8'))?.[1])
    expect(promised).toBeGreaterThan(0)
    for (const binary of [addonBinary(repoRoot), addonBinary(toolsDir)]) {
      const text = readFileSync(binary).toString('latin1')
      const needed = Math.max(0, ...[...text.matchAll(/GLIBC_2\.(\d+)/g)].map((match) => Number(match[1])))
      expect(needed, `${binary} needs glibc 2.${needed}`).toBeLessThanOrEqual(promised)
    }
  })
})

describe('loading', () => {
  const cleanups: (() => void)[] = []
  afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()))

  /** An addon directory with the given files: each a copy of the library addon that loads here, or junk. */
  function fakeAddonDir(files: Record<string, 'mman' | 'junk'>): string {
    const temp = tempDir()
    cleanups.push(temp.cleanup)
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(temp.dir, path, '..'), { recursive: true })
      if (content === 'junk') writeFileSync(join(temp.dir, path), 'not an ELF file\n'.repeat(100))
      else copyFileSync(addonBinary(repoRoot), join(temp.dir, path))
    }
    return temp.dir
  }

  /** Loads the addon of `dir` in a child through lib/addon.ts's build: the binary it loaded, or the error. */
  function loadInChild(dir: string): { loaded?: string; code?: string; message?: string; cause?: string } {
    const child = runChild(
      `import { loadAddon } from './dist/lib/addon.js'
       let result
       try {
         loadAddon(${JSON.stringify(dir)})
         const loaded = process.report.getReport().sharedObjects.filter((path) => path.startsWith(${JSON.stringify(dir)}))
         result = { loaded: loaded.map((path) => path.slice(${dir.length + 1})).join(', ') }
       } catch (error) {
         result = { code: error.code, message: error.message, cause: error.cause?.message }
       }
       console.log(JSON.stringify(result))`,
    )
    expect(child.stderr).toBe('')
    return JSON.parse(child.stdout)
  }

  const prebuild = (file: string, target = `linux-${arch}`) => `prebuilds/${target}/${file}`
  const otherArch = arch === 'x64' ? 'arm64' : 'x64'

  it('the local build first', () => {
    const dir = fakeAddonDir({ 'build/Release/mman.node': 'mman', [prebuild('mman.glibc.node')]: 'junk' })
    expect(loadInChild(dir)).toEqual({ loaded: 'build/Release/mman.node' })
  })

  it('then the prebuild for this platform, architecture and C library, named as prebuildify names it', () => {
    const dir = fakeAddonDir({
      [prebuild('mman.musl.node')]: 'junk',
      [prebuild('mman.glibc.node', `linux-${otherArch}`)]: 'junk',
      [prebuild('mman.glibc.node')]: 'mman',
    })
    expect(loadInChild(dir)).toEqual({ loaded: prebuild('mman.glibc.node') })
  })

  it('with no binary at all, the error says what was looked for and the command that compiles', () => {
    const dir = fakeAddonDir({ [prebuild('mman.glibc.node', 'linux-riscv64')]: 'junk' })
    const { code, message } = loadInChild(dir)
    expect(code).toBe('ERR_MMAN_NO_NATIVE_BUILD')
    expect(message).toContain(
      `mman: no native addon loads from ${dir}: No native build was found for platform=linux arch=${arch} `,
    )
    expect(message).toContain(' libc=glibc ')
    expect(message).toContain(
      `; loaded from: ${dir}. The package ships prebuilt binaries for linux-riscv64 (mman.glibc.node).`,
    )
    expect(message).toContain('`npm rebuild mman`')
    expect(message).toMatch(/python3, make and a C\+\+ compiler \(g\+\+\)/)
  })

  it('a binary that does not load: the error names it and says why, and keeps the cause', () => {
    const dir = fakeAddonDir({ [prebuild('mman.glibc.node')]: 'junk' })
    const { code, message, cause } = loadInChild(dir)
    expect(code).toBe('ERR_MMAN_NO_NATIVE_BUILD')
    expect(message).toContain(
      `no native addon loads from ${dir}: ${join(dir, prebuild('mman.glibc.node'))}: invalid ELF header.`,
    )
    expect(message).toContain(`ships prebuilt binaries for linux-${arch} (mman.glibc.node)`)
    expect(cause).toMatch(/invalid ELF header/)
  })

  it('this copy has no prebuilds/: the error says so', () => {
    expect(loadInChild(fakeAddonDir({})).message).toContain(
      'ships prebuilt binaries for no target (this copy has no prebuilds/)',
    )
  })
})

describe('installing (node-gyp-build in each addon directory, as the install script runs it)', () => {
  /** A copy of the tools addon's sources (bench/native and the native/args.cc it shares), with `prebuilt` as its prebuild. */
  function toolsCopy(prebuilt: 'loads' | 'junk'): { dir: string; cleanup: () => void } {
    const temp = tempDir()
    for (const file of ['native/args.cc', 'native/args.h']) cpSync(join(repoRoot, file), join(temp.dir, file))
    cpSync(toolsDir, join(temp.dir, 'bench/native'), {
      recursive: true,
      filter: (path) => !/\/(build|prebuilds)$/.test(path),
    })
    symlinkSync(join(repoRoot, 'node_modules'), join(temp.dir, 'node_modules'))
    const dir = join(temp.dir, 'bench/native')
    mkdirSync(join(dir, 'prebuilds', `linux-${arch}`), { recursive: true })
    const prebuildFile = join(dir, 'prebuilds', `linux-${arch}`, 'mman_tools.glibc.node')
    if (prebuilt === 'junk') writeFileSync(prebuildFile, 'not an ELF file\n')
    else copyFileSync(addonBinary(toolsDir), prebuildFile)
    return { dir, cleanup: temp.cleanup }
  }

  /** node-gyp-build's install command, run in `dir` with the PATH npm gives install scripts. */
  function install(dir: string, env: NodeJS.ProcessEnv = {}) {
    return spawnSync(process.execPath, [require.resolve('node-gyp-build/bin.js')], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${join(repoRoot, 'node_modules/.bin')}:${process.env.PATH}`, ...env },
      timeout: 300_000,
    })
  }

  /** Installs in a copy with `prebuilt` as its prebuild; expects a compile, and that the compiled addon loads. */
  function expectCompiled(prebuilt: 'loads' | 'junk', env: NodeJS.ProcessEnv = {}) {
    const { dir, cleanup } = toolsCopy(prebuilt)
    try {
      const result = install(dir, env)
      expect(result.status, result.stdout + result.stderr).toBe(0)
      expect(relative(dir, addonBinary(dir))).toBe('build/Release/mman_tools.node')
      const child = runChild(
        `import { loadAddon } from './dist/lib/addon.js'
         console.log(loadAddon(${JSON.stringify(dir)}).strerror(2))`,
      )
      expect(child.stderr).toBe('')
      expect(child.stdout.trim()).toBe('No such file or directory')
    } finally {
      cleanup()
    }
  }

  it('the install script runs node-gyp-build in both addon directories', () => {
    const { scripts } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>
    }
    expect(scripts.install).toBe('node-gyp-build && cd bench/native && node-gyp-build')
  })

  it('keeps a prebuild that loads and compiles nothing', () => {
    const { dir, cleanup } = toolsCopy('loads')
    try {
      const result = install(dir)
      expect(result.stderr).toBe('')
      expect(result.status).toBe(0)
      expect(existsSync(join(dir, 'build'))).toBe(false)
    } finally {
      cleanup()
    }
  })

  it('passes over a prebuild that does not load and compiles the addon, sources shared with native/ included', () => {
    expectCompiled('junk')
  }, 300_000)

  it('compiles when asked to build from source (npm install --build-from-source), though the prebuild loads', () => {
    expectCompiled('loads', { npm_config_build_from_source: 'true' })
  }, 300_000)
})
