// Argument unpacking for the native calls (both addons). lib/ validates
// everything first; these checks only keep a misuse of the internal API from
// crashing.
#pragma once

#include <napi.h>

#include <cstdint>

namespace mman {

// Value of info[i] as int64 (Number or BigInt); false if it is neither.
bool Int64Arg(const Napi::CallbackInfo& info, size_t i, int64_t* out);
// info[i] if it is a boolean, else false. Never coerces: coercion can call into JS, and fails in a terminating worker.
bool BoolArg(const Napi::CallbackInfo& info, size_t i);
bool UintptrArg(const Napi::CallbackInfo& info, size_t i, uintptr_t* out);

// Every native call reports failure as a negative errno, never by throwing.
inline Napi::Value Errno(Napi::Env env, int negativeErrno) {
  return Napi::Number::New(env, negativeErrno);
}
Napi::Value ResultOrErrno(Napi::Env env, int rc);

Napi::Value BigUint(Napi::Env env, uint64_t value);

}  // namespace mman
