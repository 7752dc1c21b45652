// brk/sbrk inside a process whose malloc also moves the break.
//
// What glibc's malloc does with the break (glibc 2.36, malloc/arena.c and
// malloc/malloc.c, read for this): only the main arena grows and trims the
// heap, through MORECORE (sbrk) under main_arena's mutex, which we cannot
// take. The main thread always allocates from the main arena (ptmalloc_init
// sets its thread_arena to &main_arena). Every other thread gets an arena of
// its own, made with mmap (arena_get2 -> _int_new_arena), until narenas
// reaches narenas_limit (M_ARENA_MAX, else 8 x __get_nprocs_sched(), the CPUs
// in the affinity mask; older glibc counts online CPUs); past that,
// reused_arena() hands out existing arenas round-robin starting from
// main_arena. A thread whose arena cannot grow (arena_get_retry, when mmap
// fails) retries in the main arena. free() of a main-arena chunk, from any
// thread, may trim the heap (systrim: sbrk(0), compare with its top, then
// sbrk(-n)). And glibc's sbrk() itself reads __curbrk and then calls brk():
// two threads growing at once are both handed the bytes at the old break.
//
// So: a thread other than the main one never moves the break (the main
// thread may be growing it through malloc at that very moment: growth,
// fill and shrink in a worker while the main thread allocated crashed every
// process). The main thread moves it only while no other thread can be in
// the main arena by allocation, i.e. while there are no more threads than
// arenas (a heuristic: a thread handed the main arena earlier may still be
// alive; and a free() from another thread that trims between its own check
// and its sbrk(-n) is not covered). Shrinking is done only while the break
// is still exactly where the toolkit last put it and not below the bytes
// the toolkit itself added. glibc's brk()/sbrk() are used (not the raw
// syscall) so that glibc's cached break, which malloc reads, stays right.
#include <dirent.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "args.h"
#include "calls.h"
#include "region.h"
#include "views.h"

namespace mman {

namespace {

// Only the main thread grows the heap, so every growth is the main env's.
struct HeapGuard {
  std::mutex mutex;
  uintptr_t toolkitTop = 0;    // the break the toolkit last set; 0 before any growth
  uintptr_t floor = 0;         // start of the toolkit's bytes that end at toolkitTop
  Region* topChunk = nullptr;  // growths in that run, newest first (Region::chunkBelow)
};

HeapGuard& Guard() {
  static HeapGuard* guard = new HeapGuard();
  return *guard;
}

uintptr_t CurrentBreak() {
  return reinterpret_cast<uintptr_t>(sbrk(0));
}

bool OnMainThread() {
  return syscall(SYS_gettid) == getpid();
}

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

// The CPU count glibc derives its arena limit from: the smaller of the two
// it may use (affinity mask on 2.35+, online CPUs before), to err on the safe side.
long ArenaCpus() {
  long cpus = get_nprocs();
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0 && CPU_COUNT(&set) < cpus) {
    cpus = CPU_COUNT(&set);
  }
  return cpus;
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
  return 8L * ArenaCpus();
}

// Threads get arenas of their own until there are more threads than arenas;
// past that, another thread may allocate from the main arena and move the
// break between our look at it and brk().
bool MainArenaMayBeShared() {
  const long threads = ThreadCount();
  return threads < 0 || threads > ArenaLimit();
}

// Why the break may not be moved from here now, or nullptr.
const char* RefuseToMoveBreak() {
  if (!OnMainThread()) return "thread";
  if (MainArenaMayBeShared()) return "threads";
  return nullptr;
}

Napi::Value Refused(Napi::Env env, const char* reason) {
  return Napi::String::New(env, reason);
}

// Forgets every growth: they are no longer on top and can never be shrunk safely.
void DropChunks(HeapGuard& guard) {
  while (Region* chunk = guard.topChunk) {
    guard.topChunk = chunk->chunkBelow;
    Unref(chunk);
  }
}

}  // namespace

Napi::Value ProgramBreak(const Napi::CallbackInfo& info) {
  return BigUint(info.Env(), CurrentBreak());
}

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

// heapGrow(increment > 0) -> region handle over the new bytes | -errno | the
// reason it refused: 'thread' (not the main thread), 'threads' (another
// thread may be in malloc's main arena).
Napi::Value HeapGrow(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t increment = 0;
  if (!Int64Arg(info, 0, &increment) || increment <= 0) return Errno(env, -EINVAL);
  if (const char* refusal = RefuseToMoveBreak()) return Refused(env, refusal);
  HeapGuard& guard = Guard();
  std::lock_guard<std::mutex> lock(guard.mutex);
  // The books are made first: once the break has moved, nothing may fail.
  Region* region = NewRegion(env, RegionKind::Heap, 0, static_cast<size_t>(increment), nullptr, -1);
  if (region == nullptr) return Errno(env, -ENOMEM);
  Ref(region);  // the guard's
  napi_value handle = WrapRegion(env, region);
  void* previous = handle == nullptr ? reinterpret_cast<void*>(-1) : sbrk(static_cast<intptr_t>(increment));
  if (previous == reinterpret_cast<void*>(-1)) {
    const int error = handle == nullptr ? ENOMEM : errno;
    region->released = true;
    DropHandle(region);
    Unref(region);
    return Errno(env, -error);
  }
  const uintptr_t start = reinterpret_cast<uintptr_t>(previous);
  region->base = start;
  if (start != guard.toolkitTop) {
    // Someone else moved the break since our last growth.
    DropChunks(guard);
    guard.floor = start;
  }
  guard.toolkitTop = start + static_cast<uintptr_t>(increment);
  region->chunkBelow = guard.topChunk;
  guard.topChunk = region;
  return Napi::Value(env, handle);
}

// heapShrink(newTop: bigint) -> 0 | -errno | the reason it refused:
// 'moved' (the break is not where we left it, or our floor rose meanwhile),
// 'escaped' (a view of the bytes may still be in use where we cannot detach
// it), 'thread' and 'threads' (as heapGrow).
Napi::Value HeapShrink(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uintptr_t newTop = 0;
  if (!UintptrArg(info, 0, &newTop)) return Errno(env, -EINVAL);
  if (!OnMainThread()) return Refused(env, "thread");
  HeapGuard& guard = Guard();
  std::lock_guard<std::mutex> lock(guard.mutex);
  if (guard.toolkitTop == 0 || CurrentBreak() != guard.toolkitTop) return Refused(env, "moved");
  // lib/ checked newTop against the floor it read; malloc moving the break
  // between that and here raises the floor (issue: a race, not a bad argument).
  if (newTop < guard.floor || newTop > guard.toolkitTop) return Refused(env, "moved");
  for (Region* region = guard.topChunk; region != nullptr; region = region->chunkBelow) {
    if (region->base + region->size <= newTop) break;
    const uintptr_t cut = region->base > newTop ? region->base : newTop;
    if (ViewsMayEscape(env, region, cut, region->base + region->size - cut)) return Refused(env, "escaped");
  }
  if (const char* refusal = RefuseToMoveBreak()) return Refused(env, refusal);
  // Detaching views and dropping regions allocate and free (Node queues the
  // finalizers), and malloc may move the break meanwhile: all of that happens
  // first, and the break is checked again right before brk() with nothing in between.
  while (Region* region = guard.topChunk) {
    if (region->base + region->size <= newTop) break;
    // A growth the new top cuts into loses its views as a whole.
    if (!ReleaseHeap(env, region, region->base > newTop ? region->base : newTop)) return Refused(env, "escaped");
    guard.topChunk = region->chunkBelow;
    Unref(region);
  }
  if (CurrentBreak() != guard.toolkitTop) return Refused(env, "moved");
  if (brk(reinterpret_cast<void*>(newTop)) != 0) return Errno(env, -errno);
  guard.toolkitTop = newTop;
  return Errno(env, 0);
}

}  // namespace mman
