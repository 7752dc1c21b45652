// The router of futexWaitAsync's engines (async_wait.h).
#include "async_wait.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <new>

#include "env.h"
#include "uring_waiter.h"
#include "waiter.h"

namespace mman {

namespace {

napi_value Settled(napi_env env, int result) {
  napi_value promise, value;
  napi_deferred deferred;
  if (napi_create_promise(env, &deferred, &promise) != napi_ok) return nullptr;
  napi_create_int32(env, result, &value);
  napi_resolve_deferred(env, deferred, value);
  return promise;
}

// At env teardown, both engines go; Node tears the env down (and may unload
// the addon) once the last of them says it stopped.
struct StopJob {
  napi_async_cleanup_hook_handle hook;
  int running;
};

void EngineStopped(void* arg) {
  auto* job = static_cast<StopJob*>(arg);
  if (--job->running > 0) return;
  napi_remove_async_cleanup_hook(job->hook);
  delete job;
}

void StopEngines(napi_async_cleanup_hook_handle hook, void* arg) {
  AsyncWaits& waits = EnvOf(static_cast<napi_env>(arg))->waits;
  WaitEngine* engines[] = {waits.uring, waits.thread};
  waits.uring = waits.thread = nullptr;
  // One for each engine, and one this call holds until it has stopped them all.
  auto* job = new (std::nothrow) StopJob{hook, 1};
  for (WaitEngine* engine : engines) {
    if (engine == nullptr) continue;
    if (job == nullptr) {
      // Out of memory: stop it without waiting for its close callbacks (they
      // then run only if the addon is still loaded, as before this hook waited).
      engine->Stop([](void*) {}, nullptr);
      continue;
    }
    job->running++;
    engine->Stop(EngineStopped, job);
  }
  if (job != nullptr) {
    EngineStopped(job);
  } else {
    napi_remove_async_cleanup_hook(hook);
  }
}

// The engine a new wait goes to, made on first use: io_uring once its ring
// is ready (waits before that, and where it cannot be, go to the thread).
WaitEngine* EngineFor(napi_env env, bool mayUseIoUring) {
  AsyncWaits& waits = EnvOf(env)->waits;
  if (!waits.stopHooked) waits.stopHooked = napi_add_async_cleanup_hook(env, StopEngines, env, nullptr) == napi_ok;
  if (!waits.stopHooked) return nullptr;
  if (mayUseIoUring) {
    if (!waits.uringTried) {
      waits.uringTried = true;
      waits.uring = StartUringEngine(env);
    }
    if (waits.uring != nullptr && waits.uring->Ready()) return waits.uring;
  }
  if (waits.thread == nullptr) waits.thread = StartThreadEngine(env);
  return waits.thread;
}

}  // namespace

int LookAtWord(const std::atomic<uint32_t>* word, uint32_t expected, bool askKernel) {
  if (!askKernel) return word->load() != expected ? kDiffers : kSame;
  const timespec now = {0, 0};
  if (syscall(SYS_futex, word, FUTEX_WAIT, expected, &now, nullptr, 0) == 0) return kWoken;
  return errno == EAGAIN ? kDiffers : errno == EFAULT ? -EFAULT : kSame;
}

napi_value StartAsyncWait(napi_env env, Region* region, uint32_t* word, uint32_t expected, int64_t timeoutMs,
                          bool mayUseIoUring) {
  // As futexWait answers: a word that already differs is -EAGAIN, not a wake.
  // Where the page may be unreadable the kernel compares; elsewhere a load
  // is enough, and the cheap path the IPC round trip takes.
  const bool askKernel = MayBeUnreadable(region);
  const int seen = LookAtWord(reinterpret_cast<const std::atomic<uint32_t>*>(word), expected, askKernel);
  if (seen != kSame) return Settled(env, seen == kDiffers ? -EAGAIN : seen == kWoken ? 0 : seen);
  WaitEngine* engine = EngineFor(env, mayUseIoUring);
  return engine == nullptr ? nullptr : engine->Wait(region, word, expected, askKernel, timeoutMs);
}

void CancelWaits(napi_env env, uintptr_t start, size_t length) {
  const AsyncWaits& waits = EnvOf(env)->waits;
  if (waits.uring != nullptr) waits.uring->Cancel(start, length);
  if (waits.thread != nullptr) waits.thread->Cancel(start, length);
}

}  // namespace mman
