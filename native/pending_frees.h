// Zombie ranges that no view can reach any more, given back to the kernel in
// batches: zombies made one after another usually lie side by side (the
// kernel places each new mapping just below the last), so a batch is mostly
// one munmap(). Their pages were dropped when they became zombies; only the
// address range waits here, still mapped, so nobody else can be handed it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mman {

class PendingFrees {
 public:
  // A range to unmap. Returns how many ranges were unmapped now (when the
  // batch was full), for the caller's count of zombies.
  int Add(uintptr_t start, size_t length);
  // Unmaps every queued range, adjacent ones together; returns how many there were.
  int Flush();
  int Count() const { return count_; }

 private:
  // Enough to make most pairs of mmap() + munmap() with a live view cost one
  // munmap per batch; few enough that the ranges waiting here (which merge
  // with their neighbours into a VMA or two) never matter to vm.max_map_count.
  static constexpr int kCapacity = 128;
  struct Range {
    uintptr_t start;
    size_t length;
  };
  Range ranges_[kCapacity];
  int count_ = 0;
};

}  // namespace mman
