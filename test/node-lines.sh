#!/usr/bin/env bash
# npm run test:node-lines: the whole vitest suite under each Node line users
# run (22 maintenance, 24 active LTS, 26 current; `npm test` covers the
# machine's own). The addon is Node-API, so the one build serves them all.
# Binaries come from the npm registry's `node` package (it fetches
# node-linux-<arch>, nothing else); vitest's workers and every child process
# the tests start use that same binary (process.execPath).
# MMAN_NODE_LINES="22 26" picks lines; extra arguments go to vitest.
set -euo pipefail
cd "$(dirname "$0")/.."

failed=()
passed=()
for line in ${MMAN_NODE_LINES:-22 24 26}; do
  # The binary npm exec resolves must be that line, or the run proves nothing.
  version=$(npm exec --yes --package="node@$line" -- node -p process.version)
  echo "=== Node $line: $version"
  if [ "${version%%.*}" != "v$line" ]; then
    echo "test:node-lines: node@$line resolved to $version" >&2
    failed+=("$line")
  elif npm exec --yes --package="node@$line" -- node node_modules/vitest/vitest.mjs run "$@"; then
    passed+=("$version")
  else
    failed+=("$version")
  fi
done
echo "test:node-lines: passed on ${passed[*]:-none}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "test:node-lines: failed on Node ${failed[*]}" >&2
  exit 1
fi
