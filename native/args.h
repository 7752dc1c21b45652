// Argument unpacking for the native calls. lib/ validates everything first;
// these checks only keep a misuse of the internal API from crashing.
#pragma once

#include <napi.h>

#include <cstdint>

#include "region.h"

namespace mman {

// Value of info[i] as int64 (Number or BigInt); false if it is neither.
bool Int64Arg(const Napi::CallbackInfo& info, size_t i, int64_t* out);
bool UintptrArg(const Napi::CallbackInfo& info, size_t i, uintptr_t* out);
Region* RegionArg(const Napi::CallbackInfo& info, size_t i);

// The [offset, offset + length) range of info[i], info[i + 1], checked
// against the region; alignedStart demands a page-aligned offset.
bool RangeArgs(const Napi::CallbackInfo& info, size_t i, const Region* region,
               bool alignedStart, uintptr_t* start, size_t* length);

// Every native call reports failure as a negative errno, never by throwing.
inline Napi::Value Errno(Napi::Env env, int negativeErrno) {
  return Napi::Number::New(env, negativeErrno);
}
Napi::Value ResultOrErrno(Napi::Env env, int rc);

Napi::Value BigUint(Napi::Env env, uint64_t value);

}  // namespace mman
