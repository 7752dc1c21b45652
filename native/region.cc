#include "region.h"

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
// later mapping.
// A zombie left where ordinary private memory was is made like it (same
// commit accounting, which the kernel granted the mapping already), so that
// it merges with live neighbours into one VMA instead of splitting them:
// zombies wait for the collector, and a process has only vm.max_map_count VMAs.
int MakeZombie(const Region* region, uintptr_t base, size_t size) {
  const int flags = MAP_PRIVATE | MAP_ANONYMOUS;
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

// --- per-env data: the detacher lib/ installs -------------------------------

struct EnvData {
  napi_ref detacher = nullptr;
  // The env is being torn down (process or worker exit): Node runs finalizers
  // then even for backing stores that live on elsewhere (a buffer moved out
  // by transfer() and posted to another thread), so nothing may be unmapped.
  bool tearingDown = false;
};

EnvData* DataOf(napi_env env) {
  void* data = nullptr;
  if (napi_get_instance_data(env, &data) == napi_ok && data != nullptr) return static_cast<EnvData*>(data);
  EnvData* created = new EnvData();
  napi_set_instance_data(
      env, created,
      [](napi_env env, void* data, void*) {
        EnvData* d = static_cast<EnvData*>(data);
        if (d->detacher != nullptr) napi_delete_reference(env, d->detacher);
        delete d;
      },
      nullptr);
  return created;
}

// Node-API refuses anything that may run JS once an env is being torn down;
// creating an empty ArrayBuffer is the cheapest such call without side effects.
bool TearingDown(napi_env env) {
  EnvData* data = DataOf(env);
  if (!data->tearingDown) {
    void* bytes = nullptr;
    napi_value probe = nullptr;
    data->tearingDown = napi_create_arraybuffer(env, 0, &bytes, &probe) != napi_ok;
  }
  return data->tearingDown;
}

// Detaches the buffer; false when it cannot be (it stays attached then).
bool Detach(napi_env env, napi_value buffer) {
  EnvData* data = DataOf(env);
  napi_value detacher = nullptr;
  if (data->detacher == nullptr || napi_get_reference_value(env, data->detacher, &detacher) != napi_ok ||
      detacher == nullptr) {
    return napi_detach_arraybuffer(env, buffer) == napi_ok;
  }
  napi_value undefined = nullptr, result = nullptr;
  napi_get_undefined(env, &undefined);
  if (napi_call_function(env, undefined, detacher, 1, &buffer, &result) != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
    return false;
  }
  bool detached = false;
  napi_get_value_bool(env, result, &detached);
  return detached;
}

// --- views -------------------------------------------------------------------

void Dispose(Region* region);

bool ViewsOverlap(const Region* region, uintptr_t start, size_t length) {
  for (const View* view : region->views) {
    if (Overlaps(view->start, view->length, start, length)) return true;
  }
  return false;
}

// Partial zombies go back to the kernel as soon as no view can point into them.
void FreeUnpinnedZombies(Region* region) {
  auto& zombies = region->zombies;
  for (auto it = zombies.begin(); it != zombies.end();) {
    if (ViewsOverlap(region, it->start, it->length)) {
      ++it;
    } else {
      FreeZombie(it->start, it->length, DataOf(region->env)->tearingDown);
      it = zombies.erase(it);
    }
  }
}

void DeleteView(napi_env env, View* view) {
  if (view->weak != nullptr) napi_delete_reference(env, view->weak);
  Region* region = view->region;
  Erase(region->views, view);
  delete view;
  FreeUnpinnedZombies(region);
  Unref(region);
}

void MaybeDie(napi_env env, View* view) {
  if (!view->storeAlive && !view->objectAlive) DeleteView(env, view);
}

void FinalizeObject(napi_env env, void* data, void* /*hint*/) {
  View* view = static_cast<View*>(data);
  TearingDown(env);
  view->objectAlive = false;
  MaybeDie(env, view);
}

// The JS object, or nullptr once it was collected.
napi_value ObjectOf(napi_env env, View* view) {
  if (!view->objectAlive) return nullptr;
  napi_value buffer = nullptr;
  if (napi_get_reference_value(env, view->weak, &buffer) != napi_ok) return nullptr;
  return buffer;
}

// From now on we need to hear when the JS object is collected: it may be all
// that keeps a native user's raw pointer honest (fs.read holds the object,
// not the backing store). Failing to attach leaves the view alive forever,
// which leaks a range but never frees one in use.
void Watch(napi_env env, View* view, napi_value buffer) {
  if (view->watched) return;
  if (napi_add_finalizer(env, buffer, view, FinalizeObject, nullptr, nullptr) == napi_ok) view->watched = true;
}

void FinalizeStore(napi_env env, void* /*data*/, void* hint) {
  View* view = static_cast<View*>(hint);
  if (view->creating) {
    view->finalizedWhileCreating = true;
    return;
  }
  if (view->orphan) {
    delete view;
    return;
  }
  TearingDown(env);
  view->storeAlive = false;
  if (!view->watched) {
    // Freed while the object lives means someone detached it (transfer() to
    // a different length copies and detaches): wait for the object too.
    napi_value buffer = ObjectOf(env, view);
    if (buffer != nullptr) {
      Watch(env, view, buffer);
    } else {
      view->objectAlive = false;
    }
  }
  MaybeDie(env, view);
}

void DetachViews(napi_env env, Region* region) {
  for (View* view : region->views) {
    if (view->detachedByUs) continue;
    napi_value buffer = ObjectOf(env, view);
    if (buffer == nullptr) continue;
    Watch(env, view, buffer);
    bool detached = false;
    napi_is_detached_arraybuffer(env, buffer, &detached);
    if (!detached && Detach(env, buffer)) view->detachedByUs = true;
  }
  for (Region* child : region->children) DetachViews(env, child);
}

bool AnyViews(const Region* region) {
  if (!region->views.empty()) return true;
  for (const Region* child : region->children) {
    if (AnyViews(child)) return true;
  }
  return false;
}

void Dispose(Region* region) {
  const bool keepMapped = DataOf(region->env)->tearingDown;
  if (region->kind == RegionKind::Mapped) {
    if (region->holdsRange && !keepMapped) {
      if (region->parent == nullptr) {
        munmap(reinterpret_cast<void*>(region->base), region->size);
      } else {
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

void InitEnv(napi_env env) { DataOf(env); }

size_t PageSize() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

long LiveRegions() { return liveRegions.load(); }
long ZombieRanges() { return zombieRanges.load(); }

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

int CreateView(napi_env env, Region* region, size_t offset, size_t length, napi_value* result) {
  if (region->released) return -EINVAL;
  if (offset > region->size || length > region->size - offset) return -ERANGE;
  View* view = new View();
  view->region = region;
  view->start = region->base + offset;
  view->length = length;
  napi_value buffer;
  napi_status status = napi_create_external_arraybuffer(
      env, reinterpret_cast<void*>(view->start), length, FinalizeStore, view, &buffer);
  view->creating = false;
  if (status != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
    }
    // Node may call the finalizer now, later, or never: only delete what
    // cannot be touched again.
    if (view->finalizedWhileCreating) {
      delete view;
    } else {
      view->orphan = true;
    }
    return -ENOMEM;
  }
  napi_create_reference(env, buffer, 0, &view->weak);
  region->views.push_back(view);
  Ref(region);
  *result = buffer;
  return 0;
}

void SetDetacher(napi_env env, napi_value detacher) {
  EnvData* data = DataOf(env);
  if (data->detacher != nullptr) napi_delete_reference(env, data->detacher);
  data->detacher = nullptr;
  napi_create_reference(env, detacher, 1, &data->detacher);
}

bool ViewsMayEscape(napi_env env, Region* region, uintptr_t start, size_t length) {
  for (View* view : region->views) {
    if (!Overlaps(view->start, view->length, start, length) || !view->storeAlive) continue;
    napi_value buffer = ObjectOf(env, view);
    if (buffer == nullptr) return true;  // collected, but its store lives: maybe moved by transfer()
    bool detached = false;
    napi_is_detached_arraybuffer(env, buffer, &detached);
    if (detached && !view->detachedByUs) return true;  // moved away by transfer()
  }
  return false;
}

bool HasPendingAsync(const Region* region) {
  if (region->pendingAsync > 0) return true;
  for (const Region* child : region->children) {
    if (HasPendingAsync(child)) return true;
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
  DetachViews(env, region);
  if (AnyViews(region)) {
    int rc = MakeZombie(region, region->base, region->size);
    if (rc != 0) return rc;
    zombieRanges++;
    // The zombie covers every child's range too.
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
  if (!region->children.empty() || HasPendingAsync(region)) return -EBUSY;
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
  void* grown = mremap(reinterpret_cast<void*>(base), size, newSize, 0);
  if (grown != MAP_FAILED) {
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
  // range mapped (MREMAP_DONTUNMAP keeps the size, so grow afterwards), then
  // turn what is left there into a zombie.
  void* moved = mremap(reinterpret_cast<void*>(base), size, size, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
  if (moved == MAP_FAILED) return errno == EINVAL ? -EBUSY : -errno;
  // Should this fail, what DONTUNMAP left there is still ours: keep it all the same.
  MakeZombie(region, base, size);
  KeepZombie(region, base, size);
  SetExtent(region, reinterpret_cast<uintptr_t>(moved), size);
  void* resized = mremap(moved, size, newSize, MREMAP_MAYMOVE);
  if (resized == MAP_FAILED) return -errno;
  SetExtent(region, reinterpret_cast<uintptr_t>(resized), newSize);
  return 0;
}

bool ReleaseHeap(napi_env env, Region* region, uintptr_t cut) {
  DetachViews(env, region);
  for (View* view : region->views) {
    if (!Overlaps(view->start, view->length, cut, region->base + region->size - cut) || view->detachedByUs) continue;
    napi_value buffer = ObjectOf(env, view);
    bool detached = false;
    if (buffer != nullptr) napi_is_detached_arraybuffer(env, buffer, &detached);
    if (buffer != nullptr && !detached) return false;
  }
  region->released = true;
  return true;
}

}  // namespace mman
