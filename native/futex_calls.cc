// futex(2) on shared pages, and thread ids (the lock word of a Mutex), without FUTEX_PRIVATE_FLAG so that a wake in one
// process reaches a waiter in another (V8's Atomics.wait/notify are
// process-local). Offsets are relative to the region and 4-byte aligned.
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>

#include "args.h"
#include "async_wait.h"
#include "calls.h"
#include "env.h"
#include "region_args.h"

namespace mman {

namespace {

bool WordArg(const Napi::CallbackInfo& info, Region** region, uint32_t** word) {
  *region = RegionArg(info, 0);
  int64_t offset = 0;
  if (*region == nullptr || (*region)->released || (*region)->kind != RegionKind::Mapped ||
      !Int64Arg(info, 1, &offset) || offset < 0 || offset % 4 != 0 ||
      static_cast<uint64_t>(offset) + 4 > (*region)->size) {
    return false;
  }
  *word = reinterpret_cast<uint32_t*>((*region)->base + static_cast<uint64_t>(offset));
  return true;
}

// A worker's sleep is cut into slices this long, so that it notices its env
// stopping: Node joins a worker's thread (worker.terminate(), process.exit())
// after telling it to stop, and a thread inside FUTEX_WAIT never hears.
constexpr int64_t kSliceMs = 100;
// Longer timeouts would overflow: a century is "never".
constexpr int64_t kLongestTimeoutMs = int64_t{100} * 365 * 24 * 3600 * 1000;

int64_t NowMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// 0 when woken (or the word changed after the first slice), or -EAGAIN (value
// differed), -ETIMEDOUT, -EINTR (a signal, or the env stopping). `sliced`:
// in slices of kSliceMs; between two, the thread is queued on no word for a
// moment (a wake then counts nobody; a change is seen by the next slice).
int Wait(napi_env env, uint32_t* word, int32_t expected, int64_t timeoutMs, bool sliced) {
  const int64_t deadline = timeoutMs < 0 ? -1 : NowMs() + std::min(timeoutMs, kLongestTimeoutMs);
  for (bool first = true;; first = false) {
    int64_t sleepMs = deadline < 0 ? -1 : std::max<int64_t>(0, deadline - NowMs());
    if (sliced && (sleepMs < 0 || sleepMs > kSliceMs)) sleepMs = kSliceMs;
    timespec timeout = {static_cast<time_t>(sleepMs / 1000), static_cast<long>(sleepMs % 1000) * 1000000};
    if (syscall(SYS_futex, word, FUTEX_WAIT, static_cast<uint32_t>(expected), sleepMs < 0 ? nullptr : &timeout, nullptr,
                0) == 0) {
      return 0;
    }
    if (errno == EAGAIN) return first ? -EAGAIN : 0;
    if (errno != ETIMEDOUT) return -errno;
    if (deadline >= 0 && NowMs() >= deadline) return -ETIMEDOUT;
    if (!CanCallIntoJs(env)) return -EINTR;
  }
}

}  // namespace

namespace {

struct WaitArgs {
  Region* region;
  uint32_t* word;
  int32_t expected;
  int64_t timeoutMs;
};

// (handle, offset, expected, timeoutMs (-1: none))
bool ParseWait(const Napi::CallbackInfo& info, WaitArgs* args) {
  int64_t expected = 0;
  if (!WordArg(info, &args->region, &args->word) || !Int64Arg(info, 2, &expected) ||
      !Int64Arg(info, 3, &args->timeoutMs)) {
    return false;
  }
  args->expected = static_cast<int32_t>(expected);
  return true;
}

}  // namespace

// futexWait(handle, offset, expected, timeoutMs) -> 0 | -errno
Napi::Value FutexWait(const Napi::CallbackInfo& info) {
  WaitArgs args;
  if (!ParseWait(info, &args)) return Errno(info.Env(), -EINVAL);
  // Only the main thread runs the default loop, and only it is never stopped
  // from outside while it waits: other threads sleep in slices.
  uv_loop_t* loop = nullptr;
  const bool sliced = napi_get_uv_event_loop(info.Env(), &loop) != napi_ok || loop != uv_default_loop();
  return Errno(info.Env(), Wait(info.Env(), args.word, args.expected, args.timeoutMs, sliced));
}

// futexWaitAsync(handle, offset, expected, timeoutMs, mayUseIoUring) ->
// Promise<0 | -errno> (-ECANCELED: unmapped or remapped meanwhile), waiting
// through io_uring or mman's waiter thread (async_wait.h), not the libuv pool.
Napi::Value FutexWaitAsync(const Napi::CallbackInfo& info) {
  WaitArgs args;
  if (!ParseWait(info, &args)) return Errno(info.Env(), -EINVAL);
  const bool mayUseIoUring = BoolArg(info, 4);
  napi_value promise = StartAsyncWait(info.Env(), args.region, args.word, static_cast<uint32_t>(args.expected),
                                      args.timeoutMs, mayUseIoUring);
  if (promise == nullptr) return Errno(info.Env(), -ENOMEM);
  return Napi::Value(info.Env(), promise);
}

// futexWake(handle, offset, count) -> woken | -errno
Napi::Value FutexWake(const Napi::CallbackInfo& info) {
  Region* region;
  uint32_t* word;
  int64_t count = 0;
  if (!WordArg(info, &region, &word) || !Int64Arg(info, 2, &count) || count < 0) return Errno(info.Env(), -EINVAL);
  const int n = count > INT_MAX ? INT_MAX : static_cast<int>(count);
  long rc = syscall(SYS_futex, word, FUTEX_WAKE, n, nullptr, nullptr, 0);
  return Errno(info.Env(), rc >= 0 ? static_cast<int>(rc) : -errno);
}

// gettid() -> the calling thread's id
Napi::Value Gettid(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), gettid());
}

// currentCpu() -> the CPU the calling thread runs on | -errno
Napi::Value CurrentCpu(const Napi::CallbackInfo& info) {
  const int cpu = sched_getcpu();
  return Errno(info.Env(), cpu >= 0 ? cpu : -errno);
}

}  // namespace mman
