// The tools addon (mman_tools.node): the benchmarks' timing kernels and the
// seed demos' fork(). bench/ and the mman command load it; the library never does.
#pragma once

#include <napi.h>

namespace mman {

// bench_kernels.cc
Napi::Value ZeroingTrial(const Napi::CallbackInfo& info);
Napi::Value MmapMunmapLoop(const Napi::CallbackInfo& info);
Napi::Value ThreadMinorFaults(const Napi::CallbackInfo& info);

// ipc_floor.cc
Napi::Value IpcFloorRoundTrips(const Napi::CallbackInfo& info);
Napi::Value IpcFloorServe(const Napi::CallbackInfo& info);

// libc_calls.cc
Napi::Value Strerror(const Napi::CallbackInfo& info);

// fork_calls.cc
Napi::Value ForkDemo(const Napi::CallbackInfo& info);
Napi::Value ForkProbe(const Napi::CallbackInfo& info);
Napi::Value WaitChild(const Napi::CallbackInfo& info);

}  // namespace mman
