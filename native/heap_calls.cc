// brk/sbrk inside a process whose malloc also moves the break. Growth is
// always safe. Shrinking is only done while the break is still exactly where
// the toolkit last put it and not below the bytes the toolkit itself added:
// anything else would hand malloc's live heap back to the kernel.
// glibc's brk()/sbrk() are used (not the raw syscall) so that glibc's cached
// break, which malloc reads, stays right.
#include <dirent.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "args.h"
#include "calls.h"
#include "region.h"
#include "views.h"

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

long ThreadCount() {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  long count = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') count++;
  }
  closedir(dir);
  return count;
}

// How many malloc arenas glibc makes before threads start sharing them
// (M_ARENA_MAX, or 8 per CPU on 64-bit systems).
long ArenaLimit() {
  const char* fromEnv = getenv("MALLOC_ARENA_MAX");
  if (fromEnv != nullptr && atol(fromEnv) > 0) return atol(fromEnv);
  const char* tunables = getenv("GLIBC_TUNABLES");
  const char* key = tunables == nullptr ? nullptr : strstr(tunables, "glibc.malloc.arena_max=");
  if (key != nullptr && atol(key + strlen("glibc.malloc.arena_max=")) > 0) {
    return atol(key + strlen("glibc.malloc.arena_max="));
  }
  return 8L * get_nprocs();
}

// Only malloc's main arena moves the break. Threads get arenas of their own
// until there are more threads than arenas; past that, another thread may
// grow the break between our last look at it and brk(), and we would cut off
// what malloc just handed out.
bool MainArenaMayBeShared() {
  const long threads = ThreadCount();
  return threads < 0 || threads > ArenaLimit();
}

Napi::Value Refused(Napi::Env env, const char* reason) { return Napi::String::New(env, reason); }

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
  Region* region = NewRegion(env, RegionKind::Heap, start, static_cast<size_t>(increment), nullptr, -1);
  Ref(region);
  guard.chunks.push_back({region, env});
  return Napi::Value(env, WrapRegion(env, region));
}

// heapShrink(newTop: bigint) -> 0 | -errno | the reason it refused:
// 'moved' (the break is not where we left it), 'foreign' (a growth of another
// thread's is in the way), 'escaped' (a view of the bytes may still be in use
// where we cannot detach it), 'threads' (another thread may move the break).
Napi::Value HeapShrink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uintptr_t newTop = 0;
  if (!UintptrArg(info, 0, &newTop)) return Errno(env, -EINVAL);
  HeapGuard& guard = Guard();
  std::lock_guard<std::mutex> lock(guard.mutex);
  if (guard.toolkitTop == 0 || CurrentBreak() != guard.toolkitTop) return Refused(env, "moved");
  if (newTop < guard.floor || newTop > guard.toolkitTop) return Errno(env, -EINVAL);
  for (const Chunk& chunk : guard.chunks) {
    Region* region = chunk.region;
    if (region->base + region->size <= newTop) continue;
    if (chunk.env != env) return Refused(env, "foreign");
    const uintptr_t cut = region->base > newTop ? region->base : newTop;
    if (ViewsMayEscape(env, region, cut, region->base + region->size - cut)) return Refused(env, "escaped");
  }
  if (MainArenaMayBeShared()) return Refused(env, "threads");
  // Detaching views and dropping regions allocate and free (Node queues the
  // finalizers), and malloc may move the break meanwhile: all of that happens
  // first, and the break is checked again right before brk() with nothing in between.
  while (!guard.chunks.empty()) {
    Region* region = guard.chunks.back().region;
    if (region->base + region->size <= newTop) break;
    // A growth the new top cuts into loses its views as a whole.
    if (!ReleaseHeap(env, region, region->base > newTop ? region->base : newTop)) return Refused(env, "escaped");
    guard.chunks.pop_back();
    Unref(region);
  }
  if (CurrentBreak() != guard.toolkitTop) return Refused(env, "moved");
  if (brk(reinterpret_cast<void*>(newTop)) != 0) return Errno(env, -errno);
  guard.toolkitTop = newTop;
  return Errno(env, 0);
}

}  // namespace mman
