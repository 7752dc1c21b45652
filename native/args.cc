#include "args.h"

#include <cerrno>

namespace mman {

bool Int64Arg(const Napi::CallbackInfo& info, size_t i, int64_t* out) {
  if (i >= info.Length()) return false;
  Napi::Value value = info[i];
  if (value.IsNumber()) {
    *out = value.As<Napi::Number>().Int64Value();
    return true;
  }
  if (value.IsBigInt()) {
    bool lossless = false;
    *out = value.As<Napi::BigInt>().Int64Value(&lossless);
    return lossless;
  }
  return false;
}

bool UintptrArg(const Napi::CallbackInfo& info, size_t i, uintptr_t* out) {
  if (i >= info.Length() || !info[i].IsBigInt()) return false;
  bool lossless = false;
  *out = static_cast<uintptr_t>(info[i].As<Napi::BigInt>().Uint64Value(&lossless));
  return lossless;
}

Region* RegionArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length()) return nullptr;
  return UnwrapRegion(info.Env(), info[i]);
}

bool RangeArgs(const Napi::CallbackInfo& info, size_t i, const Region* region,
               bool alignedStart, uintptr_t* start, size_t* length) {
  int64_t offset = 0;
  int64_t size = 0;
  if (!Int64Arg(info, i, &offset) || !Int64Arg(info, i + 1, &size)) return false;
  if (offset < 0 || size < 0) return false;
  const uint64_t uoffset = static_cast<uint64_t>(offset);
  const uint64_t usize = static_cast<uint64_t>(size);
  if (uoffset > region->size || usize > region->size - uoffset) return false;
  if (alignedStart && uoffset % PageSize() != 0) return false;
  *start = region->base + uoffset;
  *length = usize;
  return true;
}

Napi::Value ResultOrErrno(Napi::Env env, int rc) {
  return Napi::Number::New(env, rc == -1 ? -errno : rc);
}

Napi::Value BigUint(Napi::Env env, uint64_t value) {
  return Napi::BigInt::New(env, value);
}

}  // namespace mman
