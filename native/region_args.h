// Arguments that name a region, or a range of one, for the library addon's calls.
#pragma once

#include <napi.h>

#include <cstdint>

#include "region.h"

namespace mman {

Region* RegionArg(const Napi::CallbackInfo& info, size_t i);

// The [offset, offset + length) range of info[i], info[i + 1], checked
// against the region; alignedStart demands a page-aligned offset.
bool RangeArgs(const Napi::CallbackInfo& info, size_t i, const Region* region, bool alignedStart, uintptr_t* start,
               size_t* length);

}  // namespace mman
