// The waiter-thread engine of futexWaitAsync (async_wait.h), used where
// io_uring cannot wait on futexes: one thread per env sleeps in futex_waitv(2)
// on the words of its newest pending waits, and hands results back through a
// thread-safe function.
#pragma once

#include <node_api.h>

#include "async_wait.h"

namespace mman {

// The env's waiter thread, started; nullptr if it could not be.
WaitEngine* StartThreadEngine(napi_env env);

}  // namespace mman
