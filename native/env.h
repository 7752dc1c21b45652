// Per-env state of the library addon: what lib/ installed, whether Node is
// tearing the env down, and the env's async futex waiters.
#pragma once

#include <node_api.h>

namespace mman {

class WaitEngine;

// The env's futexWaitAsync engines (async_wait.h), made on first use.
struct AsyncWaits {
  WaitEngine* thread = nullptr;  // the waiter thread (waiter.h)
  WaitEngine* uring = nullptr;   // preferred where io_uring waits on futexes (uring_waiter.h)
  bool uringTried = false;
  bool stopHooked = false;  // an env cleanup hook stops them
};

struct EnvRegions;

struct EnvData {
  napi_ref detacher = nullptr;  // see SetDetacher (views.h)
  // The env is being torn down (process or worker exit): Node runs finalizers
  // then even for backing stores that live on elsewhere (a buffer moved out
  // by transfer() and posted to another thread), so they only take notes
  // (see TakeCensus, views.cc) and EndEnvRegions decides.
  bool tearingDown = false;
  AsyncWaits waits;
  // Brings a SharedArrayBuffer's finalizer (any thread, no env) to this env's thread.
  struct StoreMailbox* storeMailbox = nullptr;
  EnvRegions* regions = nullptr;  // this env's regions (region.h); given back as the env ends
};

// Sets up the per-env state; called once when the addon loads in an env.
void InitEnv(napi_env env);
EnvData* EnvOf(napi_env env);

// False once the env is stopping (worker.terminate(), process.exit(), the
// end of a worker): Node will run no more JS in it.
bool CanCallIntoJs(napi_env env);
// Called by finalizers: notes whether Node is tearing the env down now.
void NoticeTeardown(napi_env env);
// True once Node tears the env down (process or worker exit): its finalizers
// run then even for stores alive elsewhere, so they may unmap nothing.
bool TearingDown(napi_env env);

}  // namespace mman
