#include "region.h"

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

const napi_type_tag kRegionTag = {0x6d6d616e72656769ULL, 0x6f6e68616e646c65ULL};

template <typename T>
void Erase(std::vector<T*>& items, T* item) {
  items.erase(std::remove(items.begin(), items.end(), item), items.end());
}

// Drops the pages but keeps the address range ours, so that a stale pointer
// can only fault, never alias memory that a later mmap() hands to someone else.
int ReserveRange(uintptr_t base, size_t size) {
  void* p = mmap(reinterpret_cast<void*>(base), size, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);
  return p == MAP_FAILED ? -errno : 0;
}

// Live mapped regions by base address, for MAP_FIXED ownership checks.
struct Index {
  std::mutex mutex;
  std::multimap<uintptr_t, Region*> byBase;
};

Index& TheIndex() {
  static Index* index = new Index();
  return *index;
}

void Unindex(Region* region) {
  Index& index = TheIndex();
  std::lock_guard<std::mutex> lock(index.mutex);
  auto range = index.byBase.equal_range(region->base);
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second == region) {
      index.byBase.erase(it);
      return;
    }
  }
}

void MarkReleased(Region* region) {
  if (!region->released && region->kind == RegionKind::Mapped) Unindex(region);
  region->released = true;
  for (Region* child : region->children) MarkReleased(child);
}

void Dispose(Region* region) {
  if (region->kind == RegionKind::Mapped) {
    if (!region->released) Unindex(region);
    Region* parent = region->parent;
    if (parent == nullptr) {
      if (!region->released || region->reserved) {
        munmap(reinterpret_cast<void*>(region->base), region->size);
      }
    } else if (!region->released) {
      // Collected without an explicit unmap: give the pages back, keep the
      // parent's range intact.
      ReserveRange(region->base, region->size);
    }
  }
  if (region->parent != nullptr) {
    Erase(region->parent->children, region);
    Unref(region->parent);
  }
  delete region;
  liveRegions--;
}

void FinalizeView(napi_env env, void* /*data*/, void* hint) {
  View* view = static_cast<View*>(hint);
  if (view->creating) {
    view->finalizedWhileCreating = true;
    return;
  }
  if (view->orphan) {
    delete view;
    return;
  }
  if (view->weak != nullptr) napi_delete_reference(env, view->weak);
  Region* region = view->region;
  Erase(region->views, view);
  delete view;
  Unref(region);
}

}  // namespace

size_t PageSize() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

long LiveRegions() { return liveRegions.load(); }

Region* NewRegion(napi_env env, RegionKind kind, uintptr_t base, size_t size, Region* parent) {
  liveRegions++;
  Region* region = new Region();
  region->env = env;
  region->kind = kind;
  region->base = base;
  region->size = size;
  region->parent = parent;
  if (parent != nullptr) {
    parent->children.push_back(region);
    Ref(parent);
  }
  if (kind == RegionKind::Mapped) {
    Index& index = TheIndex();
    std::lock_guard<std::mutex> lock(index.mutex);
    index.byBase.emplace(base, region);
  }
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
  napi_value buffer;
  napi_status status = napi_create_external_arraybuffer(
      env, reinterpret_cast<void*>(region->base + offset), length, FinalizeView, view, &buffer);
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

bool AllViewsDetachable(napi_env env, Region* region) {
  for (View* view : region->views) {
    if (view->detachedByUs) continue;
    napi_value buffer = nullptr;
    if (napi_get_reference_value(env, view->weak, &buffer) != napi_ok || buffer == nullptr) {
      return false;
    }
    bool detached = false;
    napi_is_detached_arraybuffer(env, buffer, &detached);
    if (detached) return false;
  }
  for (Region* child : region->children) {
    if (!AllViewsDetachable(env, child)) return false;
  }
  return true;
}

void DetachViews(napi_env env, Region* region) {
  for (View* view : region->views) {
    if (view->detachedByUs) continue;
    napi_value buffer = nullptr;
    if (napi_get_reference_value(env, view->weak, &buffer) != napi_ok || buffer == nullptr) {
      continue;
    }
    bool detached = false;
    napi_is_detached_arraybuffer(env, buffer, &detached);
    if (!detached) napi_detach_arraybuffer(env, buffer);
    view->detachedByUs = true;
  }
  for (Region* child : region->children) DetachViews(env, child);
}

bool HasPendingAsync(const Region* region) {
  if (region->pendingAsync > 0) return true;
  for (const Region* child : region->children) {
    if (HasPendingAsync(child)) return true;
  }
  return false;
}

bool OverlapsLiveChild(const Region* parent, uintptr_t start, size_t length) {
  for (const Region* child : parent->children) {
    if (child->released) continue;
    if (start < child->base + child->size && child->base < start + length) return true;
  }
  return false;
}

int Release(napi_env env, Region* region) {
  if (region->released) return 0;
  if (HasPendingAsync(region)) return -EBUSY;
  const bool safe = AllViewsDetachable(env, region);
  DetachViews(env, region);
  if (region->kind == RegionKind::Mapped) {
    int rc = 0;
    if (region->parent == nullptr && safe) {
      rc = munmap(reinterpret_cast<void*>(region->base), region->size) == 0 ? 0 : -errno;
    } else {
      rc = ReserveRange(region->base, region->size);
      region->reserved = region->parent == nullptr;
    }
    if (rc != 0) return rc;
  }
  MarkReleased(region);
  return 0;
}

}  // namespace mman
