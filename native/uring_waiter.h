// Asynchronous futex waits through io_uring (IORING_OP_FUTEX_WAIT, Linux
// 6.7+): the ring's fd sits in the event loop's epoll set, so a wake reaches
// the JS thread in one step, as a socket message does, where the waiter
// thread (waiter.h) takes two (its futex_waitv, then the event loop).
// Where io_uring is missing, disabled, or lacks futex operations, the
// waiter thread is used instead.
#pragma once

#include <node_api.h>

#include <cstdint>

#include "region.h"

namespace mman {

class UringWaiter;

// The env's io_uring waiter, made on first use; nullptr where io_uring
// cannot wait on futexes here (then it is never tried again in this env).
UringWaiter* UringWaiterOf(napi_env env);

// As StartAsyncWait (waiter.h): a promise for 0, -ETIMEDOUT or -ECANCELED.
napi_value UringWait(UringWaiter* waiter, Region* region, uint32_t* word, uint32_t expected, int64_t timeoutMs);
void UringCancel(UringWaiter* waiter, uintptr_t start, size_t length);

}  // namespace mman
