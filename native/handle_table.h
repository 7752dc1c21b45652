// Region handles as JS numbers: the index of a slot in the env's table and
// the slot's generation. A handle of a region disposed since, or any other
// number, finds nothing: never memory. Cheaper than an object per region
// (a type-tagged external costs Node a global handle and a weak callback).
#pragma once

#include <cstdint>

namespace mman {

struct Region;

class HandleTable {
 public:
  HandleTable() = default;
  HandleTable(const HandleTable&) = delete;
  HandleTable& operator=(const HandleTable&) = delete;
  ~HandleTable();

  // The handle of a new slot holding region, or -1 when the table cannot grow
  // (out of memory, or 16 million regions at once).
  double Add(Region* region, uint32_t* slot);
  // The region of a handle, or nullptr.
  Region* Find(double handle) const;
  // The slot's handle finds nothing from now on; the slot is used again.
  void Remove(uint32_t slot);

 private:
  static constexpr uint32_t kChunkBits = 12;
  static constexpr uint32_t kChunkSize = 1u << kChunkBits;
  static constexpr uint32_t kMaxChunks = 4096;
  static constexpr uint32_t kIndexBits = 24;  // kChunkSize * kMaxChunks slots
  // Handles stay exact doubles: generation * 2^24 + index < 2^53.
  static constexpr uint32_t kMaxGeneration = (1u << (53 - kIndexBits)) - 1;
  static constexpr uint32_t kNoSlot = UINT32_MAX;

  struct Slot {
    Region* region;
    uint32_t generation;
    uint32_t nextFree;  // while free
  };

  Slot* SlotAt(uint32_t index) const { return &chunks_[index >> kChunkBits][index & (kChunkSize - 1)]; }

  // Mapped, not malloc'd: malloc could move the program break right where
  // sbrk() is about to (heap_calls.cc), and a mapping needs no growing arena.
  Slot** chunks_ = nullptr;  // kMaxChunks entries, mapped on first use
  uint32_t used_ = 0;        // slots handed out so far, free or not
  uint32_t freeHead_ = kNoSlot;
};

}  // namespace mman
