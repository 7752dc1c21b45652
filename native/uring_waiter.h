// The io_uring engine of futexWaitAsync (async_wait.h): each wait is an
// IORING_OP_FUTEX_WAIT (Linux 6.7+), and the ring's fd sits in the event
// loop's epoll set, so a wake reaches the JS thread in one step, as a socket
// message does, where the waiter thread (waiter.h) takes two (its
// futex_waitv, then the event loop). Each wait is its own futex waiter in the
// kernel: FUTEX_WAKE counts and ends exactly the waits it wakes.
#pragma once

#include <node_api.h>

#include "async_wait.h"

namespace mman {

// The env's io_uring engine, its ring being set up on a thread of its own
// (Ready() says when it can take waits; never, where io_uring cannot wait on
// futexes here). nullptr if it could not be made.
WaitEngine* StartUringEngine(napi_env env);

}  // namespace mman
