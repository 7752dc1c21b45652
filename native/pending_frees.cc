#include "pending_frees.h"

#include <sys/mman.h>

#include <algorithm>

namespace mman {

int PendingFrees::Add(uintptr_t start, size_t length) {
  ranges_[count_++] = {start, length};
  return count_ == kCapacity ? Flush() : 0;
}

int PendingFrees::Flush() {
  const int queued = count_;
  std::sort(ranges_, ranges_ + count_, [](const Range& a, const Range& b) { return a.start < b.start; });
  for (int i = 0; i < count_;) {
    const uintptr_t start = ranges_[i].start;
    uintptr_t end = start + ranges_[i].length;
    for (i++; i < count_ && ranges_[i].start == end; i++) end += ranges_[i].length;
    munmap(reinterpret_cast<void*>(start), end - start);
  }
  count_ = 0;
  return queued;
}

}  // namespace mman
