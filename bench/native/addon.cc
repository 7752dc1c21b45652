#include "tools.h"

namespace mman {

Napi::Object InitTools(Napi::Env env, Napi::Object exports) {
  const struct {
    const char* name;
    Napi::Value (*fn)(const Napi::CallbackInfo&);
  } functions[] = {
      {"zeroingTrial", ZeroingTrial},
      {"mmapMunmapLoop", MmapMunmapLoop},
      {"threadMinorFaults", ThreadMinorFaults},
      {"ipcFloorRoundTrips", IpcFloorRoundTrips},
      {"ipcFloorServe", IpcFloorServe},
      {"forkDemo", ForkDemo},
      {"forkProbe", ForkProbe},
      {"waitChild", WaitChild},
      {"strerror", Strerror},
  };
  for (const auto& f : functions) exports.Set(f.name, Napi::Function::New(env, f.fn, f.name));
  return exports;
}

}  // namespace mman

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  return mman::InitTools(env, exports);
}

NODE_API_MODULE(mman_tools, Init)
