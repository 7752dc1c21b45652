// futexWaitAsync: one interface, two engines behind a router. A wait starts
// here; a word that already differs is answered at once, as futexWait
// answers. Otherwise the io_uring engine takes it where the kernel has futex
// operations in io_uring (uring_waiter.h), else the thread engine, a thread
// of mman's own per wait (waiter.h): never the libuv pool (a pool thread per
// idle wait starved fs and zlib).
// Region lifetime calls one hook, CancelWaits, before memory goes away or
// becomes unreadable; env teardown stops both engines, and Node waits for
// them (an async cleanup hook): a worker that was the last user of the addon
// unloads it, and a close callback of ours run after that was SIGSEGV.
// All on the env's thread.
#pragma once

#include <node_api.h>

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "region.h"

namespace mman {

// What every engine keeps, as FUTEX_WAIT does:
// - armed on return: a FUTEX_WAKE issued after Wait() returned ends the wait
//   even if the word did not change;
// - a wake that FUTEX_WAKE counted ends a wait, always.
// It may also end a wait that nobody woke (futex semantics allow it): the
// engines say when.
class WaitEngine {
 public:
  // A promise for a wait on `word` (inside `region`, which stays referenced
  // until it settles) while it holds `expected`: it resolves with 0 (woken,
  // or the word changed), -ETIMEDOUT, -ECANCELED (see CancelWaits) or -EFAULT
  // (the word cannot be read: `askKernel` waits only, see LookAtWord).
  // `timeoutMs` < 0: none. nullptr when the promise could not be made.
  virtual napi_value Wait(Region* region, uint32_t* word, uint32_t expected, bool askKernel, int64_t timeoutMs) = 0;
  // Settles every pending wait on a word in [start, start + length) with -ECANCELED.
  virtual void Cancel(uintptr_t start, size_t length) = 0;
  // False while the engine cannot take waits yet (the io_uring ring is set up meanwhile).
  virtual bool Ready() { return true; }
  // At env teardown: waits still pending are abandoned with the env, and the
  // engine frees itself, then calls stopped(arg) once the loop has nothing
  // of it left to run: the addon may be unloaded right after.
  virtual void Stop(void (*stopped)(void*), void* arg) = 0;

 protected:
  ~WaitEngine() = default;
};

// `mayUseIoUring`: false keeps the wait on the thread engine. nullptr when
// neither the promise nor an engine could be made.
napi_value StartAsyncWait(napi_env env, Region* region, uint32_t* word, uint32_t expected, int64_t timeoutMs,
                          bool mayUseIoUring);

// The hook region lifetime calls: [start, start + length) is about to go away
// or become unreadable. Every pending wait on a word there is settled with
// -ECANCELED, and no engine looks at that memory again.
void CancelWaits(napi_env env, uintptr_t start, size_t length);

constexpr int kSame = 0, kDiffers = 1, kWoken = 2;

// kDiffers when the word no longer holds `expected`, kSame while it does,
// -EFAULT when it cannot be read. `askKernel` compares with a zero-timeout
// FUTEX_WAIT (EFAULT where a load would be SIGSEGV or SIGBUS) instead of a
// load; a FUTEX_WAKE may pick that probe as its waiter (kWoken), and then the
// wake is the caller's to answer, or it would be lost.
int LookAtWord(const std::atomic<uint32_t>* word, uint32_t expected, bool askKernel);

}  // namespace mman
