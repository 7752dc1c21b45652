// The prebuilt binaries the package ships, made by prebuildify, and the checks
// no tool makes before they are packed:
//   node test/package/prebuilds.mjs build [--arch x64|arm64]...  (npm run prebuilds) prebuildify each addon, then stamp
//   node test/package/prebuilds.mjs stamp   record that the prebuilds in place are of the sources as they are now
//   node test/package/prebuilds.mjs check   (prepack) refuse to pack unless every addon has, for every shipped
//                                           architecture, an ELF binary of that machine that needs no glibc newer
//                                           than README.md promises, built from the sources as they are now
// arm64 is cross-compiled with Debian's g++-aarch64-linux-gnu (and stripped with its strip).
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { arch as hostArch } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const root = fileURLToPath(new URL('../..', import.meta.url))
/** Each addon's directory (its binding.gyp) and the name its prebuilds get. */
const ADDONS = [
  { dir: '.', name: 'mman' },
  { dir: 'bench/native', name: 'mman_tools' },
]
/** ELF e_machine of each shipped architecture, and the GNU triplet of its cross toolchain. */
const ARCHES = {
  x64: { machine: 62, triplet: 'x86_64-linux-gnu' },
  arm64: { machine: 183, triplet: 'aarch64-linux-gnu' },
}
/** The newest glibc a prebuild may need (README.md says so): fstat64 and the tools' mallinfo2 are 2.33's. */
const GLIBC_FLOOR = 33
const STAMP = join(root, 'prebuilds', 'sources.sha256')

const prebuildsOf = (addon, arch) => join(root, addon.dir, 'prebuilds', `linux-${arch}`)

/** A hash of everything the binaries are compiled from, so a stale prebuild is noticed. */
function sourcesHash() {
  const hash = createHash('sha256')
  const files = ['native', 'bench/native'].flatMap((dir) =>
    readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((name) => /\.(cc|h|gyp)$/.test(name) && !/^(build|prebuilds)\//.test(name))
      .map((name) => join(dir, name)),
  )
  for (const file of ['binding.gyp', ...files].sort()) hash.update(`${file}\0`).update(readFileSync(join(root, file))).update('\0')
  const addonApi = JSON.parse(readFileSync(join(root, 'node_modules/node-addon-api/package.json'), 'utf8')).version
  return hash.update(`node-addon-api@${addonApi}`).digest('hex')
}

function elfMachine(path) {
  const header = Buffer.alloc(20)
  const fd = openSync(path, 'r')
  readSync(fd, header, 0, 20, 0)
  closeSync(fd)
  return header.toString('latin1', 1, 4) === 'ELF' ? header.readUInt16LE(18) : -1
}

/** The newest GLIBC_2.x symbol version a binary needs (its .dynstr names exactly those it references). */
function glibcNeeded(path) {
  return Math.max(0, ...[...readFileSync(path).toString('latin1').matchAll(/GLIBC_2\.(\d+)/g)].map((match) => Number(match[1])))
}

function build(arches) {
  const prebuildify = createRequire(import.meta.url).resolve('prebuildify/bin.js')
  // The host's own build last, so that build/ is left configured for this machine.
  for (const arch of [...arches].sort((a, b) => Number(a === hostArch()) - Number(b === hostArch()))) {
    const { triplet } = ARCHES[arch]
    const cross = arch === hostArch() ? {} : { CC: `${triplet}-gcc`, CXX: `${triplet}-g++`, PREBUILD_STRIP_BIN: `${triplet}-strip` }
    for (const tool of Object.values(cross)) {
      if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
        throw new Error(`${tool} is missing: on Debian, apt-get install g++-${triplet.replace('_', '-')}`)
      }
    }
    for (const addon of ADDONS) {
      rmSync(prebuildsOf(addon, arch), { recursive: true, force: true })
      const args = [prebuildify, '--napi', '--strip', '--tag-libc', `--arch=${arch}`, `--cwd=${addon.dir}`, `--name=${addon.name}`]
      console.log(`$ ${Object.entries(cross).map(([k, v]) => `${k}=${v} `).join('')}prebuildify ${args.slice(1).join(' ')}`)
      const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...cross } })
      if (result.status !== 0) throw new Error(`prebuildify failed (${result.error?.message ?? `exit ${result.status}`})`)
      for (const file of readdirSync(prebuildsOf(addon, arch))) {
        const path = join(prebuildsOf(addon, arch), file)
        console.log(`${relative(root, path)}: ${readFileSync(path).length} bytes`)
      }
    }
  }
  if (Object.keys(ARCHES).every((arch) => arches.includes(arch))) writeFileSync(STAMP, `${sourcesHash()}\n`)
}

/** What keeps the prebuilds from being shipped: missing, extra, foreign or stale binaries. */
function prebuildProblems() {
  const problems = []
  for (const arch of Object.keys(ARCHES)) {
    for (const addon of ADDONS) {
      const dir = prebuildsOf(addon, arch)
      const expected = `${addon.name}.glibc.node`
      const path = join(dir, expected)
      const shown = relative(root, path)
      const files = existsSync(dir) ? readdirSync(dir) : []
      const extra = files.filter((file) => file !== expected)
      // node-gyp-build takes any *.node there that fits, so a leftover could be loaded instead.
      if (extra.length > 0) problems.push(`${relative(root, dir)} holds ${extra.join(', ')} besides ${expected}`)
      if (!files.includes(expected)) problems.push(`${shown} is missing`)
      else if (elfMachine(path) !== ARCHES[arch].machine) problems.push(`${shown} is not a linux-${arch} binary`)
      else if (glibcNeeded(path) > GLIBC_FLOOR) {
        problems.push(`${shown} needs glibc 2.${glibcNeeded(path)}, newer than the 2.${GLIBC_FLOOR} README.md promises`)
      }
    }
  }
  if (problems.length === 0 && (!existsSync(STAMP) || readFileSync(STAMP, 'utf8').trim() !== sourcesHash())) {
    problems.push('they were built from other sources than binding.gyp, native/ and bench/native/ hold now')
  }
  return problems
}

const USAGE = 'usage: node test/package/prebuilds.mjs build [--arch x64|arm64]... | stamp | check'
let args
try {
  args = parseArgs({ allowPositionals: true, options: { arch: { type: 'string', multiple: true } } })
} catch (error) {
  console.error(`${error.message}\n${USAGE}`)
  process.exit(2)
}
const { positionals, values } = args
const [command] = positionals
if (command === 'build' && positionals.length === 1) {
  const arches = values.arch ?? Object.keys(ARCHES)
  const unknown = arches.filter((arch) => !(arch in ARCHES))
  if (unknown.length > 0) throw new Error(`unknown --arch ${unknown.join(', ')} (known: ${Object.keys(ARCHES).join(', ')})`)
  build(arches)
} else if (command === 'stamp' && positionals.length === 1 && !values.arch) {
  writeFileSync(STAMP, `${sourcesHash()}\n`)
} else if (command === 'check' && positionals.length === 1 && !values.arch) {
  const problems = prebuildProblems()
  if (problems.length > 0) {
    console.error(
      `mman: not packing without the prebuilt addons for ${Object.keys(ARCHES).map((arch) => `linux-${arch}`).join(' and ')}: ` +
        `${problems.join('; ')}. Run \`npm run prebuilds\` first (it needs g++-aarch64-linux-gnu; see README.md).`,
    )
    process.exit(1)
  }
} else {
  console.error(USAGE)
  process.exit(2)
}
