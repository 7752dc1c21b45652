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

bool BoolArg(const Napi::CallbackInfo& info, size_t i) {
  bool value = false;
  if (i < info.Length()) napi_get_value_bool(info.Env(), info[i], &value);
  return value;
}

bool UintptrArg(const Napi::CallbackInfo& info, size_t i, uintptr_t* out) {
  if (i >= info.Length() || !info[i].IsBigInt()) return false;
  bool lossless = false;
  *out = static_cast<uintptr_t>(info[i].As<Napi::BigInt>().Uint64Value(&lossless));
  return lossless;
}

Napi::Value ResultOrErrno(Napi::Env env, int rc) {
  return Napi::Number::New(env, rc == -1 ? -errno : rc);
}

Napi::Value BigUint(Napi::Env env, uint64_t value) {
  return Napi::BigInt::New(env, value);
}

}  // namespace mman
