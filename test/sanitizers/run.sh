#!/usr/bin/env bash
# npm run test:asan: builds both addons (the library's at the root, the tools'
# in bench/native) with AddressSanitizer and UBSan, runs the whole test suite
# under them, and restores the normal builds. Fails on any
# sanitizer report. Node itself is not instrumented: libasan is preloaded so it
# owns malloc from the start, and LeakSanitizer is off (Node does not free
# everything at exit). SIGSEGV/SIGBUS are left alone so that the crash tests
# still see the real signals.
set -uo pipefail
cd "$(dirname "$0")/../.."

log=$(mktemp)
rebuild() { npx node-gyp rebuild "$@" && (cd bench/native && npx node-gyp rebuild "$@"); }
restore() { rebuild >/dev/null 2>&1; }
trap restore EXIT

rebuild --sanitize=true >/dev/null || exit 1
for addon in build/Release/mman.node bench/native/build/Release/mman_tools.node; do
  symbols=$(nm -D "$addon") # not piped into grep -q: with pipefail, nm's SIGPIPE would fail the test
  if ! grep -q __asan_init <<<"$symbols"; then
    echo "test:asan: $addon was not built with AddressSanitizer" >&2
    exit 1
  fi
done

MMAN_SANITIZER=asan+ubsan \
LD_PRELOAD="$(g++ -print-file-name=libasan.so)" \
ASAN_OPTIONS="detect_leaks=0:handle_segv=0:handle_sigbus=0:allow_user_segv_handler=1:abort_on_error=1:print_summary=1" \
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  npx vitest run "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

reports=$(grep -cE "ERROR: AddressSanitizer|runtime error:|ERROR: UndefinedBehaviorSanitizer" "$log")
echo "sanitizer reports: $reports"
[ "$status" -eq 0 ] && [ "$reports" -eq 0 ]
