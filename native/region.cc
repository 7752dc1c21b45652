#include "region.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <new>

#include "async_wait.h"
#include "env.h"
#include "views.h"

namespace mman {

namespace {

std::atomic<long> liveRegions{0};
std::atomic<long> zombieRanges{0};

std::mutex& Orphans() {
  static std::mutex* mutex = new std::mutex();
  return *mutex;
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
  const bool plain =
      region->privateMemory && !region->pagesAltered && region->parent == nullptr && region->children.Empty();
  if (plain && madvise(reinterpret_cast<void*>(base), size, MADV_DONTNEED) == 0) return 0;
  if (region->privateMemory && Remap(base, size, PROT_READ | PROT_WRITE, flags) == 0) return 0;
  return Remap(base, size, PROT_READ | PROT_WRITE, flags | MAP_NORESERVE);
}

void FreeZombie(uintptr_t base, size_t size) {
  munmap(reinterpret_cast<void*>(base), size);
  zombieRanges--;
}

void FlushQueuedFrees(napi_env env, napi_value /*js_callback*/, void* /*context*/, void* /*data*/) {
  // A null env: the function is closing with its env, which flushes at its end.
  if (env == nullptr) return;
  EnvRegions* regions = EnvOf(env)->regions;
  if (regions == nullptr) return;
  regions->flushScheduled = false;
  zombieRanges -= regions->frees.Flush();
}

void StopFlusher(void* arg) {
  EnvRegions* regions = static_cast<EnvRegions*>(arg);
  napi_release_threadsafe_function(regions->flusher, napi_tsfn_abort);
  regions->flusher = nullptr;
  regions->flushScheduled = false;
}

// The batch goes back at the end of this event-loop turn: a threadsafe
// function's call runs at the loop's next poll, after the finalizers
// (immediates) that fill the batch. False when that cannot be arranged.
bool ScheduleFlush(napi_env env, EnvRegions* regions) {
  if (regions->flushScheduled) return true;
  if (regions->flusher == nullptr) {
    napi_value name;
    if (napi_create_string_utf8(env, "mman.freeZombies", NAPI_AUTO_LENGTH, &name) != napi_ok ||
        napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, nullptr, FlushQueuedFrees,
                                        &regions->flusher) != napi_ok) {
      regions->flusher = nullptr;
      return false;
    }
    // Giving ranges back must not keep the process alive.
    napi_unref_threadsafe_function(env, regions->flusher);
    napi_add_env_cleanup_hook(env, StopFlusher, regions);
  }
  regions->flushScheduled = napi_call_threadsafe_function(regions->flusher, nullptr, napi_tsfn_nonblocking) == napi_ok;
  return regions->flushScheduled;
}

// A zombie whose pages are gone and that nothing can reach: its range goes
// back with the env's batch, at the end of this turn or once the batch is full.
void FreeZombieLater(napi_env env, uintptr_t base, size_t size) {
  EnvRegions* regions = EnvOf(env)->regions;
  zombieRanges -= regions->frees.Add(base, size);
  if (regions->frees.Count() > 0 && !ScheduleFlush(env, regions)) zombieRanges -= regions->frees.Flush();
}

// Gives a child's range back to its parent as the PROT_NONE reservation it
// was carved from.
int RestoreReservation(uintptr_t base, size_t size) {
  return Remap(base, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
}

void CloseFile(Region* region) {
  if (region->fileFd >= 0) close(region->fileFd);
  region->fileFd = -1;
}

void MarkReleased(Region* region) {
  region->released = true;
  CloseFile(region);
}

// The range no longer needs this region to give it back (it was unmapped, or
// an enclosing zombie covers it), for the region and everything inside it.
void DropRange(Region* region) {
  if (region->holdsRange && region->released) zombieRanges--;
  region->holdsRange = false;
  for (Region* child = region->children.Front(); child != nullptr; child = region->children.Next(child)) {
    DropRange(child);
  }
}

void ReleaseTree(Region* region) {
  MarkReleased(region);
  for (Region* child = region->children.Front(); child != nullptr; child = region->children.Next(child)) {
    ReleaseTree(child);
  }
}

// Partial zombies go back to the kernel as soon as no view can point into them.
void FreeUnpinnedZombies(Region* region) {
  for (Zombie** link = &region->zombies; *link != nullptr;) {
    Zombie* zombie = *link;
    if (ViewsOverlap(region, zombie->start, zombie->length)) {
      link = &zombie->next;
    } else {
      FreeZombieLater(region->env, zombie->start, zombie->length);
      *link = zombie->next;
      delete zombie;
    }
  }
}

// `handles` is the table of the region's env, or nullptr once that env has ended.
void Delete(Region* region, HandleTable* handles) {
  if (handles != nullptr && region->handleSlot != UINT32_MAX) handles->Remove(region->handleSlot);
  delete region;
  liveRegions--;
}

void Dispose(Region* region) {
  if (region->kind == RegionKind::Mapped) {
    if (region->holdsRange) {
      if (region->parent == nullptr && region->pagesDropped) {
        FreeZombieLater(region->env, region->base, region->size);
      } else {
        if (region->parent == nullptr) {
          munmap(reinterpret_cast<void*>(region->base), region->size);
        } else {
          // Waits through the parent's views may watch words here (the waiter thread reads them).
          CancelWaits(region->env, region->base, region->size);
          RestoreReservation(region->base, region->size);
        }
        if (region->released) zombieRanges--;
      }
    }
    MarkReleased(region);
    while (Zombie* zombie = region->zombies) {
      region->zombies = zombie->next;
      FreeZombieLater(region->env, zombie->start, zombie->length);
      delete zombie;
    }
  }
  CloseFile(region);
  if (region->parent != nullptr) {
    region->parent->children.Remove(region);
    Unref(region->parent);
  }
  EnvRegions* regions = EnvOf(region->env)->regions;
  regions->regions.Remove(region);
  Delete(region, &regions->handles);
}

Region* TopOf(Region* region) {
  while (region->parent != nullptr) region = region->parent;
  return region;
}

// The regions of a tree, children before their parent (each is deleted as it is visited).
template <typename Visit>
void PostOrder(Region* region, Visit visit) {
  for (Region* child = region->children.Front(); child != nullptr;) {
    Region* next = region->children.Next(child);
    PostOrder(child, visit);
    child = next;
  }
  visit(region);
}

// Deletes a tree of regions of an ended env (out of its list, views gone),
// giving its ranges back unless `keepMapped`: then they stay mapped for
// whoever may still use them, counted among the ranges mman keeps.
void DisposeEndedTree(Region* top, bool keepMapped, HandleTable* handles) {
  const bool heldRange = top->holdsRange;
  if (heldRange && !keepMapped) munmap(reinterpret_cast<void*>(top->base), top->size);
  DropRange(top);
  if (heldRange && keepMapped) zombieRanges++;
  PostOrder(top, [keepMapped, handles](Region* region) {
    while (Zombie* zombie = region->zombies) {
      region->zombies = zombie->next;
      if (!keepMapped) FreeZombie(zombie->start, zombie->length);
      delete zombie;
    }
    CloseFile(region);
    Delete(region, handles);
  });
}

bool Indexed(const Region* region) {
  return region->kind == RegionKind::Mapped && !region->released;
}

bool Covers(const Region* region, uintptr_t start, size_t length) {
  return start >= region->base && start - region->base <= region->size &&
         length <= region->size - (start - region->base);
}

bool IsAncestor(const Region* ancestor, const Region* region) {
  for (const Region* r = region->parent; r != nullptr; r = r->parent) {
    if (r == ancestor) return true;
  }
  return false;
}

bool OnMainThread() {
  return syscall(SYS_gettid) == getpid();
}

}  // namespace

size_t PageSize() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

long LiveRegions() {
  return liveRegions.load();
}

void FlushFrees(napi_env env) {
  EnvRegions* regions = EnvOf(env)->regions;
  if (regions != nullptr) zombieRanges -= regions->frees.Flush();
}
long ZombieRanges() {
  return zombieRanges.load();
}

void LockOrphans() {
  Orphans().lock();
}
void UnlockOrphans() {
  Orphans().unlock();
}

void NoteProtect(Region* region) {
  region->pagesAltered = true;
}

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

EnvRegions* RegionsOf(napi_env env) {
  EnvData* data = EnvOf(env);
  if (data->regions == nullptr) {
    data->regions = new (std::nothrow) EnvRegions();
    if (data->regions != nullptr) data->regions->mainThread = OnMainThread();
  }
  return data->regions;
}

Region* NewRegion(napi_env env, RegionKind kind, uintptr_t base, size_t size, Region* parent, int fileFd) {
  EnvRegions* regions = RegionsOf(env);
  Region* region = regions == nullptr ? nullptr : new (std::nothrow) Region();
  if (region == nullptr) return nullptr;
  liveRegions++;
  region->env = env;
  region->kind = kind;
  region->base = base;
  region->size = size;
  region->parent = parent;
  region->fileFd = fileFd;
  region->holdsRange = kind == RegionKind::Mapped;
  regions->regions.PushBack(region);
  if (parent != nullptr) {
    parent->children.PushBack(region);
    Ref(parent);
  }
  return region;
}

// A linear walk: only MAP_FIXED placements ask, and a list costs nothing to
// keep on the mmap()/munmap() path, where an index allocated and locked.
Region* FindOwner(napi_env env, uintptr_t start, size_t length) {
  EnvRegions* regions = RegionsOf(env);
  if (regions == nullptr) return nullptr;
  Region* owner = nullptr;
  for (Region* region = regions->regions.Front(); region != nullptr; region = regions->regions.Next(region)) {
    if (!Indexed(region) || !Covers(region, start, length)) continue;
    // Children lie inside their parents: the innermost covering one is the owner.
    if (owner == nullptr || IsAncestor(owner, region)) owner = region;
  }
  return owner;
}

void Ref(Region* region) {
  region->refs++;
}

void ViewGone(Region* region) {
  FreeUnpinnedZombies(region);
  Unref(region);
}

void Unref(Region* region) {
  if (--region->refs == 0) Dispose(region);
}

napi_value WrapRegion(napi_env env, Region* region) {
  HandleTable& handles = EnvOf(env)->regions->handles;
  uint32_t slot = 0;
  const double id = handles.Add(region, &slot);
  napi_value handle;
  if (id < 0) return nullptr;
  if (napi_create_double(env, id, &handle) != napi_ok) {
    handles.Remove(slot);
    return nullptr;
  }
  region->handleSlot = slot;
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
  double handle = -1;
  if (napi_get_value_double(env, value, &handle) != napi_ok) return nullptr;
  EnvRegions* regions = EnvOf(env)->regions;
  return regions == nullptr ? nullptr : regions->handles.Find(handle);
}

bool HasPendingAsync(const Region* region) {
  if (region->pendingAsync > 0) return true;
  for (const Region* child = region->children.Front(); child != nullptr; child = region->children.Next(child)) {
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
  for (const Region* child = parent->children.Front(); child != nullptr; child = parent->children.Next(child)) {
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
      region->pagesDropped = true;
    }
    zombieRanges++;
    // The parent's range covers every child's range too.
    for (Region* child = region->children.Front(); child != nullptr; child = region->children.Next(child)) {
      DropRange(child);
    }
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
  if (!region->children.Empty() || HasPendingAsync(region) || AnySharedViews(region)) return -EBUSY;
  // Whatever this remap leaves behind must be recorded: the record is made first.
  Zombie* zombie = new (std::nothrow) Zombie();
  if (zombie == nullptr) return -ENOMEM;
  CancelWaits(env, region->base, region->size);
  DetachViews(env, region);
  const uintptr_t base = region->base;
  const size_t size = region->size;
  if (newSize == size) {
    delete zombie;
    return 0;
  }
  // Records [start, start + length) as a zombie (the record is used up).
  auto keep = [&](uintptr_t start, size_t length) {
    zombie->start = start;
    zombie->length = length;
    zombie->next = region->zombies;
    region->zombies = zombie;
    zombie = nullptr;
    zombieRanges++;
  };
  int rc = 0;
  if (newSize < size) {
    const uintptr_t tail = base + newSize;
    const size_t tailLength = size - newSize;
    if (ViewsOverlap(region, tail, tailLength)) {
      rc = MakeZombie(region, tail, tailLength);
      if (rc == 0) keep(tail, tailLength);
    } else if (munmap(reinterpret_cast<void*>(tail), tailLength) != 0) {
      rc = -errno;
    }
    if (rc == 0) region->size = newSize;
  } else if (mremap(reinterpret_cast<void*>(base), size, newSize, 0) != MAP_FAILED) {
    region->size = newSize;
  } else if (errno != ENOMEM) {
    rc = -errno;
  } else if (!ViewsOverlap(region, base, size)) {
    void* moved = mremap(reinterpret_cast<void*>(base), size, newSize, MREMAP_MAYMOVE);
    if (moved == MAP_FAILED) {
      rc = -errno;
    } else {
      region->base = reinterpret_cast<uintptr_t>(moved);
      region->size = newSize;
    }
  } else {
    // Views may still point into the old range: move the pages but keep the
    // range mapped (MREMAP_DONTUNMAP), then turn what is left there into a
    // zombie. DONTUNMAP keeps the size and is refused by this kernel unless the
    // destination is given (MREMAP_FIXED), so the pages go to the start of a
    // reservation of the new size, whose tail is then freed to grow into.
    void* reservation = mmap(nullptr, newSize, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    void* moved = reservation == MAP_FAILED ? MAP_FAILED
                                            : mremap(reinterpret_cast<void*>(base), size, size,
                                                     MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED, reservation);
    if (reservation == MAP_FAILED) {
      rc = -errno;
    } else if (moved == MAP_FAILED) {
      const int error = errno;
      munmap(reservation, newSize);
      rc = error == EINVAL ? -EBUSY : -error;
    } else {
      // Should this fail, what DONTUNMAP left there is still ours: keep it all the same.
      MakeZombie(region, base, size);
      keep(base, size);
      region->base = reinterpret_cast<uintptr_t>(moved);
      region->size = size;
      munmap(static_cast<char*>(moved) + size, newSize - size);
      // Nothing points into the moved pages yet, so should something take the freed tail first, they may move again.
      void* grown = mremap(moved, size, newSize, MREMAP_MAYMOVE);
      if (grown == MAP_FAILED) {
        rc = -errno;
      } else {
        region->base = reinterpret_cast<uintptr_t>(grown);
        region->size = newSize;
      }
    }
  }
  delete zombie;  // unused
  return rc;
}

bool ReleaseHeap(napi_env env, Region* region, uintptr_t cut) {
  DetachViews(env, region);
  if (!AllDetached(env, region, cut, region->base + region->size - cut)) return false;
  region->released = true;
  return true;
}

void EndEnvRegions(napi_env env, EnvRegions* regions) {
  // The main thread's env ends with the process: the kernel takes it all back.
  if (!regions->mainThread) {
    zombieRanges -= regions->frees.Flush();
    while (Region* first = regions->regions.Front()) {
      Region* top = TopOf(first);
      PostOrder(top, [regions](Region* region) { regions->regions.Remove(region); });
      // Under the lock: finalizers of SharedArrayBuffers run on any thread.
      std::lock_guard<std::mutex> lock(Orphans());
      const bool pinned = TreePinned(top);
      const bool shared = ForgetViews(env, top);
      if (shared) {
        // Other threads hold SharedArrayBuffers of it: the last one to die disposes it.
        PostOrder(top, [pinned](Region* region) {
          region->orphaned = true;
          region->abandoned = pinned;
        });
      } else {
        DisposeEndedTree(top, pinned, &regions->handles);
      }
    }
  }
  ForgetSentinel(env, regions);
  delete regions;
}

void OrphanViewGone(View* view) {
  Region* top = TopOf(view->region);
  UnlistView(view);
  if (!AnyViews(top)) DisposeEndedTree(top, top->abandoned, nullptr);
}

}  // namespace mman
