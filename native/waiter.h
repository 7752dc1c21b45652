// Asynchronous futex waits, never on the libuv pool (a pool thread per idle
// wait starved fs and zlib work): through io_uring where the kernel can
// (uring_waiter.h), else on a thread of mman's own: one thread per env
// sleeps in futex_waitv(2) on every word a wait is pending on, plus a control
// word, and hands results back through a thread-safe function. No wake can be
// lost: a wait completes as soon as its word differs from the expected value,
// whether the change came before the thread looked or while it slept.
#pragma once

#include <node_api.h>

#include <cstdint>

#include "region.h"

namespace mman {

// A promise for a wait on `word` (inside `region`, which stays referenced
// until it settles) while it holds `expected`: it resolves with 0 (the word
// changed), -ETIMEDOUT, or -ECANCELED (the region was unmapped or remapped).
// nullptr if the promise or the thread could not be made.
// `mayUseIoUring`: false keeps it on the waiter thread.
napi_value StartAsyncWait(napi_env env, Region* region, uint32_t* word, uint32_t expected, int64_t timeoutMs,
                          bool mayUseIoUring);

// Settles every pending wait on a word in [start, start + length) with
// -ECANCELED, before that memory goes away or becomes unreadable.
void CancelWaits(napi_env env, uintptr_t start, size_t length);

}  // namespace mman
