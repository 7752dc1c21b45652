// The package as npm ships it: what the tarball holds (so its contents cannot
// regress), require('mman') and import on the Node under test, the types under
// both conditions, and the smoke suite that CI also runs from a packed tarball
// installed with --ignore-scripts (and under qemu on the arm64 prebuilds:
// test/package/install.sh).
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { repoRoot } from './helpers.js'

const node = (args: string[]) => spawnSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 })

describe('the tarball (npm pack --dry-run)', () => {
  let files: string[] = []
  beforeAll(() => {
    // --ignore-scripts: prepack's prebuild check is tested on its own below.
    const pack = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' })
    expect(pack.status).toBe(0)
    files = (JSON.parse(pack.stdout) as [{ files: { path: string }[] }])[0].files.map((file) => file.path).sort()
  })

  it('holds only what a user needs: compiled code, types, sources to compile from, prebuilds, docs', () => {
    const allowed = [
      /^(package\.json|README\.md|LICENSE|binding\.gyp)$/,
      /^dist\/(lib|bench)\/[\w/-]+\.(js|d\.ts)$/,
      /^native\/[\w/-]+\.(cc|h)$/,
      /^native\/(install|prebuilds)\.mjs$/,
      /^bench\/c\/[\w-]+\.c$/,
      /^prebuilds\/linux-(x64|arm64)\/(mman|mman_tools)\.glibc\.node$/,
      /^prebuilds\/sources\.sha256$/,
      /^docs\/[\w-]+\.(md|json)$/,
      /^docs\/img\/[\w-]+\.svg$/,
    ]
    expect(files.filter((file) => !allowed.some((pattern) => pattern.test(file)))).toEqual([])
  })

  it('has the entry points, the command, the install script and the license', () => {
    for (const file of ['LICENSE', 'README.md', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/bench/cli/index.js', 'native/install.mjs', 'binding.gyp']) {
      expect(files).toContain(file)
    }
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

  it('has every C++ source binding.gyp compiles, so an install without a matching prebuild can compile', () => {
    const sources = [...readFileSync(join(repoRoot, 'binding.gyp'), 'utf8').matchAll(/"(native\/[\w/]+\.cc)"/g)].map((match) => match[1]!)
    expect(sources.length).toBeGreaterThan(10)
    expect(sources.filter((source) => !files.includes(source))).toEqual([])
  })

  it('every relative link and image in README.md and docs/*.md points at a file in the package', () => {
    const documents = files.filter((file) => file === 'README.md' || /^docs\/[\w-]+\.md$/.test(file))
    const broken = documents.flatMap((doc) => {
      const dir = doc.includes('/') ? doc.slice(0, doc.lastIndexOf('/') + 1) : ''
      const targets = [...readFileSync(join(repoRoot, doc), 'utf8').matchAll(/\]\(([^)\s#]+)[^)]*\)/g)].map((match) => match[1]!)
      return targets.filter((target) => !/^[a-z]+:/.test(target) && !files.includes(join(dir, target))).map((target) => `${doc} -> ${target}`)
    })
    expect(documents.length).toBeGreaterThanOrEqual(4)
    expect(broken).toEqual([])
  })

  it('packs the prebuilds of both addons for linux-x64 and linux-arm64, or prepack refuses to pack', () => {
    const check = node(['native/prebuilds.mjs', 'check'])
    const prebuilt = files.filter((file) => file.endsWith('.node'))
    if (check.status === 0) {
      expect(prebuilt).toEqual([
        'prebuilds/linux-arm64/mman.glibc.node',
        'prebuilds/linux-arm64/mman_tools.glibc.node',
        'prebuilds/linux-x64/mman.glibc.node',
        'prebuilds/linux-x64/mman_tools.glibc.node',
      ])
    } else {
      expect(check.stderr).toMatch(/^mman: not packing without the prebuilt addons for linux-x64 and linux-arm64: .+ Run `npm run prebuilds` first/)
    }
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
    const imported = keysBy(['--input-type=module', '-e', `import * as m from 'mman'; console.log(JSON.stringify(Object.keys(m).sort()))`])
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
