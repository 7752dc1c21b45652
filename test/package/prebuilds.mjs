// The prebuilt binaries the package ships, made by prebuildify, and the checks
// no tool makes before they are packed:
//   node test/package/prebuilds.mjs build   (npm run prebuilds) prebuildify each addon for x64 and arm64, then stamp
//   node test/package/prebuilds.mjs stamp   record that the prebuilds in place are of the sources as they are now
//   node test/package/prebuilds.mjs check   (prepack) refuse to pack unless each addon has, for each architecture,
//                                           one ELF binary of that machine, needing no glibc newer than README.md
//                                           promises, built from the sources as they are now
// arm64 is cross-compiled with Debian's g++-aarch64-linux-gnu (and stripped with its strip).
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { arch as hostArch } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
/** Each addon's directory (that of its binding.gyp) and the name prebuildify gives its binaries. */
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
  const sources = ['native', 'bench/native'].flatMap((dir) =>
    readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
      .filter((name) => /\.(cc|h|gyp)$/.test(name) && !/^(build|prebuilds)\//.test(name))
      .map((name) => join(dir, name)),
  )
  for (const file of ['binding.gyp', ...sources].sort())
    hash
      .update(`${file}\0`)
      .update(readFileSync(join(root, file)))
      .update('\0')
  const addonApi = JSON.parse(readFileSync(join(root, 'node_modules/node-addon-api/package.json'), 'utf8')).version
  return hash.update(`node-addon-api@${addonApi}`).digest('hex')
}

function build() {
  const prebuildify = createRequire(import.meta.url).resolve('prebuildify/bin.js')
  // The host's own build last, so that build/ is left configured for this machine.
  for (const arch of Object.keys(ARCHES).sort((a, b) => Number(a === hostArch()) - Number(b === hostArch()))) {
    const { triplet } = ARCHES[arch]
    const cross =
      arch === hostArch() ? {} : { CC: `${triplet}-gcc`, CXX: `${triplet}-g++`, PREBUILD_STRIP_BIN: `${triplet}-strip` }
    for (const addon of ADDONS) {
      rmSync(prebuildsOf(addon, arch), { recursive: true, force: true })
      const args = ['--napi', '--strip', '--tag-libc', `--arch=${arch}`, `--cwd=${addon.dir}`, `--name=${addon.name}`]
      console.log(
        `$ ${Object.entries(cross)
          .map(([k, v]) => `${k}=${v} `)
          .join('')}prebuildify ${args.join(' ')}`,
      )
      const result = spawnSync(process.execPath, [prebuildify, ...args], {
        cwd: root,
        stdio: 'inherit',
        env: { ...process.env, ...cross },
      })
      if (result.status !== 0)
        throw new Error(`prebuildify failed (${result.error?.message ?? `exit ${result.status}`})`)
      for (const file of readdirSync(prebuildsOf(addon, arch))) {
        const path = join(prebuildsOf(addon, arch), file)
        console.log(`${relative(root, path)}: ${statSync(path).size} bytes`)
      }
    }
  }
  writeFileSync(STAMP, `${sourcesHash()}\n`)
}

/** What keeps the prebuilds from being shipped: missing, extra, foreign, too demanding or stale binaries. */
function prebuildProblems() {
  const problems = []
  for (const arch of Object.keys(ARCHES)) {
    for (const addon of ADDONS) {
      const dir = prebuildsOf(addon, arch)
      const expected = `${addon.name}.glibc.node`
      const files = existsSync(dir) ? readdirSync(dir) : []
      const shown = relative(root, join(dir, expected))
      // node-gyp-build loads any *.node there that fits, so a leftover could be loaded instead.
      const extra = files.filter((file) => file !== expected)
      if (extra.length > 0) problems.push(`${relative(root, dir)} holds ${extra.join(', ')} besides ${expected}`)
      if (!files.includes(expected)) {
        problems.push(`${shown} is missing`)
        continue
      }
      const binary = readFileSync(join(dir, expected))
      const machine = binary.toString('latin1', 1, 4) === 'ELF' ? binary.readUInt16LE(18) : -1
      // The .dynstr names exactly the GLIBC_2.x versions the binary needs.
      const glibc = Math.max(
        0,
        ...[...binary.toString('latin1').matchAll(/GLIBC_2\.(\d+)/g)].map((match) => Number(match[1])),
      )
      if (machine !== ARCHES[arch].machine) problems.push(`${shown} is not a linux-${arch} binary`)
      else if (glibc > GLIBC_FLOOR)
        problems.push(`${shown} needs glibc 2.${glibc}, newer than the 2.${GLIBC_FLOOR} README.md promises`)
    }
  }
  if (problems.length === 0 && (!existsSync(STAMP) || readFileSync(STAMP, 'utf8').trim() !== sourcesHash())) {
    problems.push('they were built from other sources than binding.gyp, native/ and bench/native/ hold now')
  }
  return problems
}

const command = process.argv.slice(2).join(' ')
if (command === 'build') build()
else if (command === 'stamp') writeFileSync(STAMP, `${sourcesHash()}\n`)
else if (command === 'check') {
  const problems = prebuildProblems()
  if (problems.length > 0) {
    console.error(
      `mman: not packing without the prebuilt addons for ${Object.keys(ARCHES)
        .map((arch) => `linux-${arch}`)
        .join(' and ')}: ` +
        `${problems.join('; ')}. Run \`npm run prebuilds\` first (it needs g++-aarch64-linux-gnu; see README.md).`,
    )
    process.exit(1)
  }
} else {
  console.error('usage: node test/package/prebuilds.mjs build | stamp | check')
  process.exit(2)
}
