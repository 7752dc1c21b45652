#include "region_args.h"

#include "args.h"

namespace mman {

Region* RegionArg(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length()) return nullptr;
  return UnwrapRegion(info.Env(), info[i]);
}

bool RangeArgs(const Napi::CallbackInfo& info, size_t i, const Region* region, bool alignedStart, uintptr_t* start,
               size_t* length) {
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

}  // namespace mman
