// npm's install hook: keep the prebuilt addons when both load on this machine,
// compile them otherwise (a clone, musl, another architecture, an older glibc,
// or `npm install --build-from-source`). Where the binaries live is known only
// to lib/addon.ts, so this asks its build in dist/; a clone has no dist/ yet and
// no prebuilds/ at all, so it compiles.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const fromSource = process.env.npm_config_build_from_source === 'true'
const addon = existsSync(new URL('../dist/lib/addon.js', import.meta.url))
  ? await import('../dist/lib/addon.js')
  : undefined

const verdict = fromSource ? 'asked to build from source' : addon === undefined ? 'no dist/ yet (a clone)' : addon.prebuildsLoad()
if (verdict === true) process.exit(0)

console.log(`mman: compiling the native addons (${verdict})`)
// npm and pnpm put their own node-gyp on PATH for install scripts; a clone has ours.
const build = spawnSync('node-gyp', ['rebuild'], { stdio: 'inherit' })
if (build.status !== 0) {
  const cause = build.error?.code === 'ENOENT' ? 'node-gyp was not found on PATH' : `node-gyp exited with ${build.status ?? build.signal}`
  console.error(
    `mman: could not compile the native addons (${cause}). No prebuilt binary fits this machine ` +
      `(${process.platform}-${process.arch}: ${verdict}), so they must be compiled here, which needs ` +
      'python3, make and a C++ compiler (on Debian/Ubuntu: apt-get install python3 make g++; on Alpine: apk add python3 make g++). ' +
      'Then run `npm rebuild mman`.',
  )
  process.exit(1)
}
