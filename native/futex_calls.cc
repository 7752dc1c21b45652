// futex(2) on shared pages, and thread ids (the lock word of a Mutex), without FUTEX_PRIVATE_FLAG so that a wake in one
// process reaches a waiter in another (V8's Atomics.wait/notify are
// process-local). Offsets are relative to the region and 4-byte aligned.
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdint>

#include "args.h"
#include "region_args.h"
#include "calls.h"
#include "waiter.h"

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

// 0 when woken, or -EAGAIN (value differed), -ETIMEDOUT, -EINTR.
int Wait(uint32_t* word, int32_t expected, int64_t timeoutMs) {
  timespec timeout;
  timespec* relative = nullptr;
  if (timeoutMs >= 0) {
    timeout.tv_sec = timeoutMs / 1000;
    timeout.tv_nsec = (timeoutMs % 1000) * 1000000;
    relative = &timeout;
  }
  long rc = syscall(SYS_futex, word, FUTEX_WAIT, static_cast<uint32_t>(expected), relative, nullptr, 0);
  return rc == 0 ? 0 : -errno;
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
  return Errno(info.Env(), Wait(args.word, args.expected, args.timeoutMs));
}

// futexWaitAsync(handle, offset, expected, timeoutMs, mayUseIoUring) ->
// Promise<0 | -errno> (-ECANCELED: unmapped or remapped meanwhile), waiting
// through io_uring or mman's waiter thread (waiter.h), not the libuv pool.
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
Napi::Value Gettid(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), gettid()); }

// currentCpu() -> the CPU the calling thread runs on | -errno
Napi::Value CurrentCpu(const Napi::CallbackInfo& info) {
  const int cpu = sched_getcpu();
  return Errno(info.Env(), cpu >= 0 ? cpu : -errno);
}

}  // namespace mman
