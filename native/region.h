// Region lifetime. A Region is one mmap() result (or one sbrk() growth) that JS
// reaches through an opaque handle and through external ArrayBuffers ("views").
// The address range goes back to the kernel only when nothing can reach it:
// see DESIGN.md "Lifetime".
#pragma once

#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mman {

enum class RegionKind { Mapped, Heap };

struct Region;

// One external ArrayBuffer over part of a region, alive until Node finalizes it.
struct View {
  Region* region = nullptr;
  napi_ref weak = nullptr;
  bool detachedByUs = false;
  // Node 20 calls the finalizer synchronously when creating the buffer fails;
  // these flags make that, and a later call, harmless.
  bool creating = true;
  bool finalizedWhileCreating = false;
  bool orphan = false;
};

struct Region {
  RegionKind kind = RegionKind::Mapped;
  napi_env env = nullptr;  // regions are only used from the thread that made them
  uintptr_t base = 0;
  size_t size = 0;  // page-rounded for mapped regions
  Region* parent = nullptr;  // set for MAP_FIXED mappings placed inside a region we own
  std::vector<Region*> children;
  std::vector<View*> views;  // every view not yet finalized
  int refs = 0;  // handles + unfinalized views + children + async operations
  int pendingAsync = 0;
  bool handleAlive = false;  // lib/ still holds the handle (see DropHandle)
  bool released = false;  // explicitly unmapped (pages gone)
  bool reserved = false;  // range held as PROT_NONE until the last view is finalized
};

Region* NewRegion(napi_env env, RegionKind kind, uintptr_t base, size_t size, Region* parent);

// The innermost live mapped region of this env containing [start, start + length).
Region* FindOwner(napi_env env, uintptr_t start, size_t length);
void Ref(Region* region);
void Unref(Region* region);

// The opaque handle JS keeps; it holds one reference until DropHandle. The
// handle has no native finalizer: lib/ calls dropHandle from a
// FinalizationRegistry once its Region object is collected, which costs far
// less per mapping than a Node-API finalizer (measured: ~0.1 vs ~0.7 us).
napi_value WrapRegion(napi_env env, Region* region);
void DropHandle(Region* region);
// nullptr (no exception) when value is not a region handle.
Region* UnwrapRegion(napi_env env, napi_value value);

// Creates an external ArrayBuffer over [offset, offset + length) of the region.
// Returns 0 or a negative errno; on error *result is untouched and no
// exception is left pending.
int CreateView(napi_env env, Region* region, size_t offset, size_t length, napi_value* result);

// True when every view can be detached by us now, so no backing store can
// outlive the pages (a view that was collected or detached by someone else may
// still have a backing store alive elsewhere, e.g. transferred).
bool AllViewsDetachable(napi_env env, Region* region);
// Detaches every live view of the region and of its children.
void DetachViews(napi_env env, Region* region);

// Explicit unmap of a region and everything placed inside it. 0 or -errno.
int Release(napi_env env, Region* region);

bool HasPendingAsync(const Region* region);
bool OverlapsLiveChild(const Region* parent, uintptr_t start, size_t length);

size_t PageSize();

// Regions not yet disposed, in the whole process: what a leak would make grow.
long LiveRegions();

}  // namespace mman
