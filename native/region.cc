#include "region.h"

#include "env.h"
#include "views.h"
#include "async_wait.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <map>
#include <mutex>

namespace mman {

namespace {

std::atomic<long> liveRegions{0};
std::atomic<long> zombieRanges{0};

const napi_type_tag kRegionTag = {0x6d6d616e72656769ULL, 0x6f6e68616e646c65ULL};

template <typename T>
void Erase(std::vector<T*>& items, T* item) {
  items.erase(std::remove(items.begin(), items.end(), item), items.end());
}

bool Overlaps(uintptr_t a, size_t aLength, uintptr_t b, size_t bLength) {
  return a < b + bLength && b < a + aLength;
}

int Remap(uintptr_t base, size_t size, int prot, int flags) {
  void* p = mmap(reinterpret_cast<void*>(base), size, prot, flags | MAP_FIXED, -1, 0);
  return p == MAP_FAILED ? -errno : 0;
}

// Replaces the pages at once with fresh private memory that nobody else can
// be handed: a stale pointer reads zeros and its writes go nowhere, instead of
// faulting (fs.read on the thread pool would kill the process) or aliasing a
// later mapping. Where ordinary private memory was, the zombie is made like
// it (same commit accounting, which the kernel granted the mapping already)
// so that it merges with live neighbours into one VMA instead of splitting
// them: zombies wait for the collector, and a process has only
// vm.max_map_count VMAs.
int MakeZombie(const Region* region, uintptr_t base, size_t size) {
  const int flags = MAP_PRIVATE | MAP_ANONYMOUS;
  // Plain private read-write pages need no new mapping: dropping them makes
  // the same fresh memory, in one cheaper call that splits no VMA (a 4 KiB
  // mmap() + munmap() of a referenced buffer: 10.5 -> 7-9 µs).
  const bool plain = region->privateMemory && !region->pagesAltered && region->parent == nullptr && region->children.empty();
  if (plain && madvise(reinterpret_cast<void*>(base), size, MADV_DONTNEED) == 0) return 0;
  if (region->privateMemory && Remap(base, size, PROT_READ | PROT_WRITE, flags) == 0) return 0;
  return Remap(base, size, PROT_READ | PROT_WRITE, flags | MAP_NORESERVE);
}

void KeepZombie(Region* region, uintptr_t base, size_t size) {
  region->zombies.push_back({base, size});
  zombieRanges++;
}

void FreeZombie(uintptr_t base, size_t size, bool keepMapped) {
  if (!keepMapped) munmap(reinterpret_cast<void*>(base), size);
  zombieRanges--;
}

// Gives a child's range back to its parent as the PROT_NONE reservation it
// was carved from.
int RestoreReservation(uintptr_t base, size_t size) {
  return Remap(base, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
}

// Live mapped regions by base address, for MAP_FIXED ownership checks. The
// mutex also guards base/size of indexed regions, which FindOwner reads from
// any thread.
struct Index {
  std::mutex mutex;
  std::multimap<uintptr_t, Region*> byBase;
};

Index& TheIndex() {
  static Index* index = new Index();
  return *index;
}

void EraseFromIndex(Index& index, Region* region) {
  auto range = index.byBase.equal_range(region->base);
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second == region) {
      index.byBase.erase(it);
      return;
    }
  }
}

bool Indexed(const Region* region) { return region->kind == RegionKind::Mapped && !region->released; }

void SetExtent(Region* region, uintptr_t base, size_t size) {
  Index& index = TheIndex();
  std::lock_guard<std::mutex> lock(index.mutex);
  if (Indexed(region)) EraseFromIndex(index, region);
  region->base = base;
  region->size = size;
  if (Indexed(region)) index.byBase.emplace(base, region);
}

void CloseFile(Region* region) {
  if (region->fileFd >= 0) close(region->fileFd);
  region->fileFd = -1;
}

void MarkReleased(Region* region) {
  if (region->released) return;
  if (region->kind == RegionKind::Mapped) {
    Index& index = TheIndex();
    std::lock_guard<std::mutex> lock(index.mutex);
    EraseFromIndex(index, region);
  }
  region->released = true;
  CloseFile(region);
}

// The range no longer needs this region to give it back (it was unmapped, or
// an enclosing zombie covers it), for the region and everything inside it.
void DropRange(Region* region) {
  if (region->holdsRange && region->released) zombieRanges--;
  region->holdsRange = false;
  for (Region* child : region->children) DropRange(child);
}

void ReleaseTree(Region* region) {
  MarkReleased(region);
  for (Region* child : region->children) ReleaseTree(child);
}

// Partial zombies go back to the kernel as soon as no view can point into them.
void FreeUnpinnedZombies(Region* region) {
  auto& zombies = region->zombies;
  for (auto it = zombies.begin(); it != zombies.end();) {
    if (ViewsOverlap(region, it->start, it->length)) {
      ++it;
    } else {
      FreeZombie(it->start, it->length, TearingDown(region->env));
      it = zombies.erase(it);
    }
  }
}

void Dispose(Region* region) {
  const bool keepMapped = TearingDown(region->env);
  if (region->kind == RegionKind::Mapped) {
    if (region->holdsRange && !keepMapped) {
      if (region->parent == nullptr) {
        munmap(reinterpret_cast<void*>(region->base), region->size);
      } else {
        // Waits through the parent's views may watch words here (the waiter thread reads them).
        CancelWaits(region->env, region->base, region->size);
        RestoreReservation(region->base, region->size);
      }
    }
    if (region->holdsRange && region->released) zombieRanges--;
    MarkReleased(region);
    for (const Range& zombie : region->zombies) FreeZombie(zombie.start, zombie.length, keepMapped);
  }
  CloseFile(region);
  if (region->parent != nullptr) {
    Erase(region->parent->children, region);
    Unref(region->parent);
  }
  delete region;
  liveRegions--;
}

}  // namespace

size_t PageSize() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

long LiveRegions() { return liveRegions.load(); }
long ZombieRanges() { return zombieRanges.load(); }

void NoteProtect(Region* region) { region->pagesAltered = true; }

void NoteAdvice(Region* region, int advice) {
  switch (advice) {
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED:
    case MADV_DONTNEED:
    case MADV_FREE:
    case MADV_COLD:
    case MADV_PAGEOUT:
    case MADV_POPULATE_READ:
    case MADV_POPULATE_WRITE:
    case MADV_HUGEPAGE:
    case MADV_NOHUGEPAGE:
    case MADV_MERGEABLE:
    case MADV_UNMERGEABLE:
    case MADV_DODUMP:
    case MADV_DONTDUMP:
      return;
    default:
      region->pagesAltered = true;
  }
}

Region* NewRegion(napi_env env, RegionKind kind, uintptr_t base, size_t size, Region* parent, int fileFd) {
  liveRegions++;
  Region* region = new Region();
  region->env = env;
  region->kind = kind;
  region->parent = parent;
  region->fileFd = fileFd;
  region->holdsRange = kind == RegionKind::Mapped;
  if (parent != nullptr) {
    parent->children.push_back(region);
    Ref(parent);
  }
  SetExtent(region, base, size);
  return region;
}

Region* FindOwner(napi_env env, uintptr_t start, size_t length) {
  Index& index = TheIndex();
  std::lock_guard<std::mutex> lock(index.mutex);
  // Children lie inside their parents and were indexed after them, so the
  // first covering region walking down from start is the innermost one.
  for (auto it = index.byBase.upper_bound(start); it != index.byBase.begin();) {
    --it;
    Region* region = it->second;
    if (region->env == env && start - region->base <= region->size &&
        length <= region->size - (start - region->base)) {
      return region;
    }
  }
  return nullptr;
}

void Ref(Region* region) { region->refs++; }

void ViewGone(Region* region) {
  FreeUnpinnedZombies(region);
  Unref(region);
}

void Unref(Region* region) {
  if (--region->refs == 0) Dispose(region);
}

napi_value WrapRegion(napi_env env, Region* region) {
  napi_value handle;
  if (napi_create_external(env, region, nullptr, nullptr, &handle) != napi_ok) return nullptr;
  napi_type_tag_object(env, handle, &kRegionTag);
  Ref(region);
  region->handleAlive = true;
  return handle;
}

void DropHandle(Region* region) {
  if (!region->handleAlive) return;
  region->handleAlive = false;
  Unref(region);
}

Region* UnwrapRegion(napi_env env, napi_value value) {
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external) return nullptr;
  bool tagged = false;
  if (napi_check_object_type_tag(env, value, &kRegionTag, &tagged) != napi_ok || !tagged) {
    return nullptr;
  }
  void* data = nullptr;
  if (napi_get_value_external(env, value, &data) != napi_ok) return nullptr;
  return static_cast<Region*>(data);
}

bool HasPendingAsync(const Region* region) {
  if (region->pendingAsync > 0) return true;
  for (const Region* child : region->children) {
    if (HasPendingAsync(child)) return true;
  }
  return false;
}

void NoteChildPlaced(Region* parent) {
  for (Region* r = parent; r != nullptr; r = r->parent) r->pagesAltered = true;
}

bool MayBeUnreadable(const Region* region) {
  for (const Region* r = region; r != nullptr; r = r->parent) {
    if (r->pagesAltered) return true;
  }
  return false;
}

bool OverlapsChild(const Region* parent, uintptr_t start, size_t length) {
  for (const Region* child : parent->children) {
    if (Overlaps(child->base, child->size, start, length)) return true;
  }
  return false;
}

int Release(napi_env env, Region* region) {
  if (region->released) return 0;
  if (HasPendingAsync(region)) return -EBUSY;
  CancelWaits(env, region->base, region->size);
  DetachViews(env, region);
  if (AnyViews(region)) {
    // SharedArrayBuffers are legitimate users of this memory in other
    // threads, and cannot be detached: then the memory stays mapped as it is
    // until they die. Otherwise it becomes a zombie. Dispose unmaps it either way.
    if (!AnySharedViews(region)) {
      int rc = MakeZombie(region, region->base, region->size);
      if (rc != 0) return rc;
    }
    zombieRanges++;
    // The parent's range covers every child's range too.
    for (Region* child : region->children) DropRange(child);
  } else {
    int rc = region->parent == nullptr ? (munmap(reinterpret_cast<void*>(region->base), region->size) == 0 ? 0 : -errno)
                                       : RestoreReservation(region->base, region->size);
    if (rc != 0) return rc;
    DropRange(region);
  }
  ReleaseTree(region);
  return 0;
}

int Remap(napi_env env, Region* region, size_t newSize) {
  if (region->released || region->parent != nullptr) return -EINVAL;
  // A SharedArrayBuffer can neither follow a move nor change its length.
  if (!region->children.empty() || HasPendingAsync(region) || AnySharedViews(region)) return -EBUSY;
  CancelWaits(env, region->base, region->size);
  DetachViews(env, region);
  const uintptr_t base = region->base;
  const size_t size = region->size;
  if (newSize == size) return 0;
  if (newSize < size) {
    const uintptr_t tail = base + newSize;
    const size_t tailLength = size - newSize;
    if (ViewsOverlap(region, tail, tailLength)) {
      int rc = MakeZombie(region, tail, tailLength);
      if (rc != 0) return rc;
      KeepZombie(region, tail, tailLength);
    } else if (munmap(reinterpret_cast<void*>(tail), tailLength) != 0) {
      return -errno;
    }
    SetExtent(region, base, newSize);
    return 0;
  }
  if (mremap(reinterpret_cast<void*>(base), size, newSize, 0) != MAP_FAILED) {
    SetExtent(region, base, newSize);
    return 0;
  }
  if (errno != ENOMEM) return -errno;
  if (!ViewsOverlap(region, base, size)) {
    void* moved = mremap(reinterpret_cast<void*>(base), size, newSize, MREMAP_MAYMOVE);
    if (moved == MAP_FAILED) return -errno;
    SetExtent(region, reinterpret_cast<uintptr_t>(moved), newSize);
    return 0;
  }
  // Views may still point into the old range: move the pages but keep the
  // range mapped (MREMAP_DONTUNMAP), then turn what is left there into a
  // zombie. DONTUNMAP keeps the size and is refused by this kernel unless the
  // destination is given (MREMAP_FIXED), so the pages go to the start of a
  // reservation of the new size, whose tail is then freed to grow into.
  void* reservation = mmap(nullptr, newSize, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (reservation == MAP_FAILED) return -errno;
  void* moved = mremap(reinterpret_cast<void*>(base), size, size, MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED, reservation);
  if (moved == MAP_FAILED) {
    const int error = errno;
    munmap(reservation, newSize);
    return error == EINVAL ? -EBUSY : -error;
  }
  // Should this fail, what DONTUNMAP left there is still ours: keep it all the same.
  MakeZombie(region, base, size);
  KeepZombie(region, base, size);
  SetExtent(region, reinterpret_cast<uintptr_t>(moved), size);
  munmap(static_cast<char*>(moved) + size, newSize - size);
  // Nothing points into the moved pages yet, so should something take the freed tail first, they may move again.
  void* grown = mremap(moved, size, newSize, MREMAP_MAYMOVE);
  if (grown == MAP_FAILED) return -errno;
  SetExtent(region, reinterpret_cast<uintptr_t>(grown), newSize);
  return 0;
}

bool ReleaseHeap(napi_env env, Region* region, uintptr_t cut) {
  DetachViews(env, region);
  if (!AllDetached(env, region, cut, region->base + region->size - cut)) return false;
  region->released = true;
  return true;
}

}  // namespace mman
