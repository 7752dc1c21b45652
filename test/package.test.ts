// The package as npm ships it: what the tarball holds (so its contents cannot
// regress), require('mman') and import on the Node under test, the types under
// both conditions, and the smoke suite that CI also runs from a packed tarball
// installed with --ignore-scripts (and under qemu on the arm64 prebuilds:
// test/package/install.sh).
import { spawnSync } from 'node:child_process'
import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { addonBinary, repoRoot, tempDir } from './helpers.js'

const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 })

describe('the tarball (npm pack --dry-run)', () => {
  let files: string[] = []
  beforeAll(() => {
    // --ignore-scripts: prepack's prebuild check is tested on its own below.
    const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: repoRoot,
      encoding: 'utf8',
    })
    expect(pack.status).toBe(0)
    files = (JSON.parse(pack.stdout) as [{ files: { path: string }[] }])[0].files.map((file) => file.path).sort()
  })

  it('holds only what a user needs: compiled code, types, sources to compile from, prebuilds, docs', () => {
    const allowed = [
      /^(package\.json|README\.md|CHANGELOG\.md|LICENSE|binding\.gyp)$/,
      /^dist\/(lib|bench)\/[\w/-]+\.(js|d\.ts)$/,
      /^native\/[\w-]+\.(cc|h)$/,
      /^bench\/native\/([\w-]+\.(cc|h)|binding\.gyp)$/,
      /^bench\/c\/[\w-]+\.c$/,
      /^prebuilds\/linux-(x64|arm64)\/mman\.glibc\.node$/,
      /^bench\/native\/prebuilds\/linux-(x64|arm64)\/mman_tools\.glibc\.node$/,
      /^prebuilds\/sources\.sha256$/,
      /^docs\/[\w-]+\.(md|json)$/,
      /^docs\/img\/[\w-]+\.svg$/,
    ]
    expect(files.filter((file) => !allowed.some((pattern) => pattern.test(file)))).toEqual([])
  })

  it("has the entry points, the command, both addons' binding.gyp, the license and the changelog", () => {
    for (const file of [
      'LICENSE',
      'README.md',
      'CHANGELOG.md',
      'dist/lib/index.js',
      'dist/lib/index.d.ts',
      'dist/bench/cli/index.js',
      'binding.gyp',
      'bench/native/binding.gyp',
    ]) {
      expect(files).toContain(file)
    }
  })

  it('the command package.json names as bin runs as a program after npm run build (npx mman in a clone)', () => {
    const { bin } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string> }
    const run = spawnSync(join(repoRoot, bin.mman!), ['--version'], { encoding: 'utf8' })
    expect(run.error).toBeUndefined()
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/)
  })

  it('has no source maps and no tests', () => {
    expect(files.filter((file) => file.endsWith('.map') || file.startsWith('test/'))).toEqual([])
  })

  it('every compiled module has its source in the repository (dist/ is rebuilt, never accumulated)', () => {
    const orphans = files
      .filter((file) => file.startsWith('dist/') && file.endsWith('.js'))
      .filter((file) => !existsSync(join(repoRoot, file.slice('dist/'.length).replace(/\.js$/, '.ts'))))
    expect(orphans).toEqual([])
  })

  it('has every C++ source both binding.gyp compile, so an install without a matching prebuild can compile', () => {
    const sourcesOf = (dir: string) =>
      [...readFileSync(join(repoRoot, dir, 'binding.gyp'), 'utf8').matchAll(/"([\w/.]+\.cc)"/g)].map((match) =>
        join(dir, match[1]!),
      )
    const library = sourcesOf('.')
    const tools = sourcesOf('bench/native')
    expect(library.length).toBeGreaterThan(10)
    expect(tools).toContain('native/args.cc')
    expect([...library, ...tools].filter((source) => !files.includes(source))).toEqual([])
  })

  it('every relative link and image in README.md and docs/*.md points at a file in the package', () => {
    const documents = files.filter((file) => file === 'README.md' || /^docs\/[\w-]+\.md$/.test(file))
    const broken = documents.flatMap((doc) => {
      const dir = doc.includes('/') ? doc.slice(0, doc.lastIndexOf('/') + 1) : ''
      const targets = [...readFileSync(join(repoRoot, doc), 'utf8').matchAll(/\]\(([^)\s#]+)[^)]*\)/g)].map(
        (match) => match[1]!,
      )
      return targets
        .filter((target) => !/^[a-z]+:/.test(target) && !files.includes(join(dir, target)))
        .map((target) => `${doc} -> ${target}`)
    })
    expect(documents.length).toBeGreaterThanOrEqual(4)
    expect(broken).toEqual([])
  })

  it('packs the prebuilds of both addons for linux-x64 and linux-arm64, or prepack refuses to pack', () => {
    const check = node(['test/package/prebuilds.mjs', 'check'])
    const prebuilt = files.filter((file) => file.endsWith('.node'))
    if (check.status === 0) {
      expect(prebuilt).toEqual([
        'bench/native/prebuilds/linux-arm64/mman_tools.glibc.node',
        'bench/native/prebuilds/linux-x64/mman_tools.glibc.node',
        'prebuilds/linux-arm64/mman.glibc.node',
        'prebuilds/linux-x64/mman.glibc.node',
      ])
    } else {
      expect(check.stderr).toMatch(
        /^mman: not packing without the prebuilt addons for linux-x64 and linux-arm64: .+ Run `npm run prebuilds` first/,
      )
    }
  })
})

describe('npm pack refuses prebuilds it must not ship (prepack, in a temporary copy of the sources)', () => {
  const { scripts } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>
  }
  const machines = { x64: 62, arm64: 183 }
  let copy: { dir: string; cleanup: () => void }

  /** Puts a prebuild in the copy: the addon that loads here, with the ELF machine of `arch` (the check reads no further). */
  function putPrebuild(addonDir: string, name: string, arch: keyof typeof machines, tail = '') {
    const binary = Buffer.concat([readFileSync(addonBinary(join(repoRoot, addonDir))), Buffer.from(tail, 'latin1')])
    binary.writeUInt16LE(machines[arch], 18)
    mkdirSync(join(copy.dir, addonDir, 'prebuilds', `linux-${arch}`), { recursive: true })
    writeFileSync(join(copy.dir, addonDir, 'prebuilds', `linux-${arch}`, `${name}.glibc.node`), binary)
  }

  /** `npm pack --dry-run` in the copy: the status, and why prepack refused. */
  function pack() {
    const result = spawnSync('npm', ['pack', '--dry-run'], { cwd: copy.dir, encoding: 'utf8' })
    return { status: result.status, refusal: /^mman: not packing .*$/m.exec(result.stderr)?.[0] ?? '' }
  }

  // The sources, both addons' prebuilds for both architectures, stamped: what `npm run prebuilds` leaves.
  beforeEach(() => {
    copy = tempDir()
    writeFileSync(
      join(copy.dir, 'package.json'),
      JSON.stringify({ name: 'mman', version: '0.0.0', files: ['prebuilds'], scripts: { prepack: scripts.prepack } }),
    )
    for (const path of ['binding.gyp', 'native', 'test/package/prebuilds.mjs'])
      cpSync(join(repoRoot, path), join(copy.dir, path), { recursive: true })
    cpSync(join(repoRoot, 'bench/native'), join(copy.dir, 'bench/native'), {
      recursive: true,
      filter: (path) => !/\/(build|prebuilds)$/.test(path),
    })
    symlinkSync(join(repoRoot, 'node_modules'), join(copy.dir, 'node_modules'))
    for (const arch of ['x64', 'arm64'] as const) {
      putPrebuild('.', 'mman', arch)
      putPrebuild('bench/native', 'mman_tools', arch)
    }
    expect(spawnSync(process.execPath, ['test/package/prebuilds.mjs', 'stamp'], { cwd: copy.dir }).status).toBe(0)
  })
  afterEach(() => copy.cleanup())

  it('packs prebuilds of both addons for both architectures, built from the sources as they are', () => {
    expect(pack()).toEqual({ status: 0, refusal: '' })
  })

  it.each([
    'native/region.cc',
    'native/args.cc',
    'binding.gyp',
    'bench/native/bench_kernels.cc',
    'bench/native/binding.gyp',
  ])('refuses when %s changed after the prebuilds were built (a stale prebuild)', (source) => {
    appendFileSync(join(copy.dir, source), '# changed\n')
    expect(pack().refusal).toBe(
      'mman: not packing without the prebuilt addons for linux-x64 and linux-arm64: they were built from other sources than ' +
        'binding.gyp, native/ and bench/native/ hold now. Run `npm run prebuilds` first (it needs g++-aarch64-linux-gnu; see README.md).',
    )
  })

  it('refuses when a prebuild is missing, and names it', () => {
    rmSync(join(copy.dir, 'bench/native/prebuilds/linux-arm64/mman_tools.glibc.node'))
    expect(pack()).toMatchObject({
      status: 1,
      refusal: expect.stringContaining(': bench/native/prebuilds/linux-arm64/mman_tools.glibc.node is missing.'),
    })
  })

  it('refuses a binary of another machine, one needing a newer glibc, and a leftover node-gyp-build could load instead', () => {
    cpSync(
      join(copy.dir, 'prebuilds/linux-x64/mman.glibc.node'),
      join(copy.dir, 'prebuilds/linux-arm64/mman.glibc.node'),
    )
    putPrebuild('bench/native', 'mman_tools', 'x64', 'GLIBC_2.99\0')
    cpSync(
      join(copy.dir, 'prebuilds/linux-x64/mman.glibc.node'),
      join(copy.dir, 'prebuilds/linux-x64/mman_tools.glibc.node'),
    )
    const { refusal } = pack()
    expect(refusal).toContain('prebuilds/linux-arm64/mman.glibc.node is not a linux-arm64 binary')
    expect(refusal).toContain(
      'bench/native/prebuilds/linux-x64/mman_tools.glibc.node needs glibc 2.99, newer than the 2.33 README.md promises',
    )
    expect(refusal).toContain('prebuilds/linux-x64 holds mman_tools.glibc.node besides mman.glibc.node')
  })
})

describe('loading the package by its name', () => {
  const keysBy = (args: string[]) => {
    const child = node(args)
    expect(child.stderr).toBe('')
    expect(child.status).toBe(0)
    return JSON.parse(child.stdout) as string[]
  }

  it('require() from CommonJS gets the same exports as import (require(esm), Node >= 20.19)', () => {
    const required = keysBy(['-e', `const m = require('mman'); console.log(JSON.stringify(Object.keys(m).sort()))`])
    const imported = keysBy([
      '--input-type=module',
      '-e',
      `import * as m from 'mman'; console.log(JSON.stringify(Object.keys(m).sort()))`,
    ])
    expect(required).toContain('mapFile')
    expect(required).toContain('Channel')
    expect(required).toEqual(imported)
  })

  it('a CommonJS program maps memory through require()', () => {
    const child = node([
      '-e',
      `const { mapAnonymous, MAP, pageSize } = require('mman')
       const m = mapAnonymous(pageSize); m.bytes()[0] = 42
       console.log(m.bytes()[0], typeof MAP.FIXED_NOREPLACE, require('mman/package.json').name); m.unmap()`,
    ])
    expect(child.stderr).toBe('')
    expect(child.stdout.trim()).toBe('42 number mman')
  })

  it('TypeScript resolves the types for require() in a .cts and for import in a .mts (module nodenext)', () => {
    const tsc = node([join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'test/package/types/tsconfig.json'])
    expect(tsc.stdout + tsc.stderr).toBe('')
    expect(tsc.status).toBe(0)
  })

  it('the smoke suite passes (map a file, views, unmap, a Channel round trip, the tools addon)', () => {
    const smoke = node(['test/package/smoke.mjs'])
    expect(smoke.stderr).toBe('')
    expect(smoke.stdout).toMatch(new RegExp(`^smoke ok on linux-${process.arch}, Node ${process.version}: 4 checks`))
  })
})
