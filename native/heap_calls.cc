// brk/sbrk inside a process whose malloc also moves the break. Growth is
// always safe. Shrinking is only done while the break is still exactly where
// the toolkit last put it and not below the bytes the toolkit itself added:
// anything else would hand malloc's live heap back to the kernel.
// glibc's brk()/sbrk() are used (not the raw syscall) so that glibc's cached
// break, which malloc reads, stays right.
#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <vector>

#include "args.h"
#include "calls.h"

namespace mman {

namespace {

struct Chunk {
  Region* region;
  napi_env env;
};

struct HeapGuard {
  std::mutex mutex;
  uintptr_t toolkitTop = 0;  // the break the toolkit last set; 0 before any growth
  uintptr_t floor = 0;       // start of the toolkit's bytes that end at toolkitTop
  std::vector<Chunk> chunks;  // growths in that run, oldest first
};

HeapGuard& Guard() {
  static HeapGuard* guard = new HeapGuard();
  return *guard;
}

uintptr_t CurrentBreak() { return reinterpret_cast<uintptr_t>(sbrk(0)); }

}  // namespace

Napi::Value ProgramBreak(const Napi::CallbackInfo& info) { return BigUint(info.Env(), CurrentBreak()); }

// heapState() -> [current break, toolkit top (0 if none), floor]
Napi::Value HeapState(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  HeapGuard& guard = Guard();
  std::lock_guard<std::mutex> lock(guard.mutex);
  Napi::Array state = Napi::Array::New(env, 3);
  state.Set(0u, BigUint(env, CurrentBreak()));
  state.Set(1u, BigUint(env, guard.toolkitTop));
  state.Set(2u, BigUint(env, guard.floor));
  return state;
}

// heapGrow(increment > 0) -> region handle over the new bytes | -errno
Napi::Value HeapGrow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t increment = 0;
  if (!Int64Arg(info, 0, &increment) || increment <= 0) return Errno(env, -EINVAL);
  HeapGuard& guard = Guard();
  std::lock_guard<std::mutex> lock(guard.mutex);
  void* previous = sbrk(static_cast<intptr_t>(increment));
  if (previous == reinterpret_cast<void*>(-1)) return Errno(env, -errno);
  const uintptr_t start = reinterpret_cast<uintptr_t>(previous);
  if (start != guard.toolkitTop) {
    // Someone else moved the break since our last growth: what we added
    // before is no longer on top and can never be shrunk safely.
    for (Chunk& chunk : guard.chunks) {
      if (chunk.env == env) Unref(chunk.region);
    }
    guard.chunks.clear();
    guard.floor = start;
  }
  guard.toolkitTop = start + static_cast<uintptr_t>(increment);
  Region* region = NewRegion(env, RegionKind::Heap, start, static_cast<size_t>(increment), nullptr);
  Ref(region);
  guard.chunks.push_back({region, env});
  return Napi::Value(env, WrapRegion(env, region));
}

// heapShrink(newTop: bigint) -> 0 | -errno (EBUSY when shrinking is unsafe)
Napi::Value HeapShrink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uintptr_t newTop = 0;
  if (!UintptrArg(info, 0, &newTop)) return Errno(env, -EINVAL);
  HeapGuard& guard = Guard();
  std::lock_guard<std::mutex> lock(guard.mutex);
  const uintptr_t current = CurrentBreak();
  if (guard.toolkitTop == 0 || current != guard.toolkitTop) return Errno(env, -EBUSY);
  if (newTop < guard.floor || newTop > current) return Errno(env, -EINVAL);
  for (const Chunk& chunk : guard.chunks) {
    if (chunk.region->base + chunk.region->size > newTop && chunk.env != env) return Errno(env, -EBUSY);
  }
  while (!guard.chunks.empty()) {
    Region* region = guard.chunks.back().region;
    if (region->base + region->size <= newTop) break;
    // Views over bytes about to be released are detached first; a growth the
    // new top cuts into loses its views as a whole.
    Release(env, region);
    guard.chunks.pop_back();
    Unref(region);
  }
  if (brk(reinterpret_cast<void*>(newTop)) != 0) return Errno(env, -errno);
  guard.toolkitTop = newTop;
  return Errno(env, 0);
}

}  // namespace mman
