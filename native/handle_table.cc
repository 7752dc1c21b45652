#include "handle_table.h"

#include <sys/mman.h>

#include <cmath>

namespace mman {

namespace {

void* MapZeroed(size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

}  // namespace

HandleTable::~HandleTable() {
  if (chunks_ == nullptr) return;
  for (uint32_t i = 0; i < kMaxChunks && chunks_[i] != nullptr; i++) munmap(chunks_[i], kChunkSize * sizeof(Slot));
  munmap(chunks_, kMaxChunks * sizeof(Slot*));
}

double HandleTable::Add(Region* region, uint32_t* slot) {
  uint32_t index = freeHead_;
  if (index != kNoSlot) {
    freeHead_ = SlotAt(index)->nextFree;
  } else {
    if (used_ == kChunkSize * kMaxChunks) return -1;
    if (chunks_ == nullptr) chunks_ = static_cast<Slot**>(MapZeroed(kMaxChunks * sizeof(Slot*)));
    if (chunks_ == nullptr) return -1;
    Slot*& chunk = chunks_[used_ >> kChunkBits];
    if (chunk == nullptr) {
      chunk = static_cast<Slot*>(MapZeroed(kChunkSize * sizeof(Slot)));
      if (chunk == nullptr) return -1;
      // Generation 0 never names a region: small numbers are never handles.
      for (uint32_t i = 0; i < kChunkSize; i++) chunk[i].generation = 1;
    }
    index = used_++;
  }
  Slot* entry = SlotAt(index);
  entry->region = region;
  *slot = index;
  return static_cast<double>(entry->generation) * (1u << kIndexBits) + index;
}
Region* HandleTable::Find(double handle) const {
  if (!(handle >= 0 && handle < 9007199254740992.0) || std::floor(handle) != handle) return nullptr;
  const uint64_t value = static_cast<uint64_t>(handle);
  const uint32_t index = static_cast<uint32_t>(value & ((1u << kIndexBits) - 1));
  if (index >= used_) return nullptr;
  const Slot* entry = SlotAt(index);
  return entry->generation == (value >> kIndexBits) ? entry->region : nullptr;
}

void HandleTable::Remove(uint32_t slot) {
  Slot* entry = SlotAt(slot);
  entry->region = nullptr;
  entry->generation = entry->generation == kMaxGeneration ? 1 : entry->generation + 1;
  entry->nextFree = freeHead_;
  freeHead_ = slot;
}

}  // namespace mman
