#include "calls.h"
#include "env.h"
#include "region.h"
#include "views.h"

namespace mman {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  InitEnv(env);
  exports.Set("constants", Constants(env));
  exports.Set("pageSize", Napi::Number::New(env, static_cast<double>(PageSize())));
  exports.Set("sharedViews", Napi::Boolean::New(env, SharedViewsAvailable()));
  const struct {
    const char* name;
    Napi::Value (*fn)(const Napi::CallbackInfo&);
  } functions[] = {
      {"mmap", Mmap},
      {"munmap", Munmap},
      {"view", RegionView},
      {"sharedView", RegionSharedView},
      {"address", RegionAddress},
      {"released", RegionReleased},
      {"lifetimeCounts", LifetimeCounts},
      {"setDetacher", Detacher},
      {"regionFd", RegionFd},
      {"dropHandle", RegionDropHandle},
      {"mprotect", Mprotect},
      {"madvise", Madvise},
      {"msync", Msync},
      {"mincore", Mincore},
      {"mlock", Mlock},
      {"munlock", Munlock},
      {"mremap", Mremap},
      {"holdViews", TeardownHold},
      {"releaseViews", TeardownRelease},
      {"vmaCount", VmaCount},
      {"msyncAsync", MsyncAsync},
      {"madviseAsync", MadviseAsync},
      {"programBreak", ProgramBreak},
      {"heapState", HeapState},
      {"heapGrow", HeapGrow},
      {"heapShrink", HeapShrink},
      {"fstat", Fstat},
      {"memfdCreate", MemfdCreate},
      {"futexWait", FutexWait},
      {"futexWaitAsync", FutexWaitAsync},
      {"futexWake", FutexWake},
      {"currentCpu", CurrentCpu},
      {"gettid", Gettid},
      {"allocate", Allocate},
      {"addSeals", AddSeals},
      {"getSeals", GetSeals},
  };
  for (const auto& f : functions) exports.Set(f.name, Napi::Function::New(env, f.fn, f.name));
  return exports;
}

}  // namespace mman

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return mman::Init(env, exports);
}

NODE_API_MODULE(mman, InitAddon)
