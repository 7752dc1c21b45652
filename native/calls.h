// The functions addon.cc exports, one group per file.
#pragma once

#include <napi.h>

namespace mman {

Napi::Object Constants(Napi::Env env);

// mapping_calls.cc
Napi::Value Mmap(const Napi::CallbackInfo& info);
Napi::Value Munmap(const Napi::CallbackInfo& info);
Napi::Value RegionView(const Napi::CallbackInfo& info);
Napi::Value RegionSharedView(const Napi::CallbackInfo& info);
Napi::Value RegionAddress(const Napi::CallbackInfo& info);
Napi::Value RegionReleased(const Napi::CallbackInfo& info);
Napi::Value LifetimeCounts(const Napi::CallbackInfo& info);
Napi::Value Detacher(const Napi::CallbackInfo& info);
Napi::Value RegionFd(const Napi::CallbackInfo& info);
Napi::Value RegionDropHandle(const Napi::CallbackInfo& info);
Napi::Value Mprotect(const Napi::CallbackInfo& info);
Napi::Value Madvise(const Napi::CallbackInfo& info);
Napi::Value Msync(const Napi::CallbackInfo& info);
Napi::Value Mincore(const Napi::CallbackInfo& info);
Napi::Value Mlock(const Napi::CallbackInfo& info);
Napi::Value Munlock(const Napi::CallbackInfo& info);
Napi::Value Mremap(const Napi::CallbackInfo& info);
Napi::Value TeardownHold(const Napi::CallbackInfo& info);
Napi::Value TeardownRelease(const Napi::CallbackInfo& info);
Napi::Value VmaCount(const Napi::CallbackInfo& info);

// async_calls.cc
Napi::Value MsyncAsync(const Napi::CallbackInfo& info);
Napi::Value MadviseAsync(const Napi::CallbackInfo& info);

// heap_calls.cc
Napi::Value ProgramBreak(const Napi::CallbackInfo& info);
Napi::Value HeapState(const Napi::CallbackInfo& info);
Napi::Value HeapGrow(const Napi::CallbackInfo& info);
Napi::Value HeapShrink(const Napi::CallbackInfo& info);

// file_calls.cc
Napi::Value Fstat(const Napi::CallbackInfo& info);
Napi::Value MemfdCreate(const Napi::CallbackInfo& info);
Napi::Value AddSeals(const Napi::CallbackInfo& info);
Napi::Value GetSeals(const Napi::CallbackInfo& info);
Napi::Value Allocate(const Napi::CallbackInfo& info);

// futex_calls.cc
Napi::Value FutexWait(const Napi::CallbackInfo& info);
Napi::Value FutexWaitAsync(const Napi::CallbackInfo& info);
Napi::Value FutexWake(const Napi::CallbackInfo& info);
Napi::Value CurrentCpu(const Napi::CallbackInfo& info);
Napi::Value Gettid(const Napi::CallbackInfo& info);

}  // namespace mman
