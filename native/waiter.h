// The thread engine of futexWaitAsync (async_wait.h), used where io_uring
// cannot wait on futexes: every pending wait is a thread of mman's own
// asleep in the kernel on its word (waiter.cc says how), handing results back
// through a thread-safe function.
#pragma once

#include <node_api.h>

#include "async_wait.h"

namespace mman {

// The env's thread engine; nullptr if it could not be made.
WaitEngine* StartThreadEngine(napi_env env);

}  // namespace mman
