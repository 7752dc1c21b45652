// Region lifetime. A Region is one mmap() result (or one sbrk() growth) that JS
// reaches through an opaque handle and through external ArrayBuffers ("views").
//
// A view can escape: ArrayBuffer.prototype.transfer() moves its backing store
// to a buffer we never saw, and fs.read / socket writes keep a raw pointer on
// another thread while holding only the JS object. So an address range is
// given back to the kernel only once every view's JS object has been
// collected AND its backing store freed. Until then a released range is a
// "zombie": fresh private anonymous memory (MAP_FIXED over the old pages, so
// RSS drops at once) that nobody else can be handed by mmap().
#pragma once

#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mman {

enum class RegionKind { Mapped, Heap };

struct Region;

// One external ArrayBuffer over part of a region.
struct View {
  Region* region = nullptr;
  uintptr_t start = 0;  // absolute: views outlive moves of their region
  size_t length = 0;
  napi_ref weak = nullptr;  // the JS object, until it is collected
  bool storeAlive = true;   // the backing store (wherever it went) not yet freed
  bool objectAlive = true;  // the JS object not yet collected
  bool watched = false;     // an object finalizer is attached
  bool detachedByUs = false;
  // Node 20 calls the store finalizer synchronously when creating the buffer
  // fails; these make that, and a later call, harmless.
  bool creating = true;
  bool finalizedWhileCreating = false;
  bool orphan = false;
  // A SharedArrayBuffer: never detached (it cannot be), and a legitimate user
  // of the memory until it dies, in whatever thread it went to.
  bool shared = false;
  struct StoreMailbox* mailbox = nullptr;  // how its finalizer reaches this env's thread
};

struct Range {
  uintptr_t start;
  size_t length;
};

struct Region {
  RegionKind kind = RegionKind::Mapped;
  napi_env env = nullptr;  // regions are only used from the thread that made them
  uintptr_t base = 0;
  size_t size = 0;  // page-rounded for mapped regions
  Region* parent = nullptr;  // set for MAP_FIXED mappings placed inside a region we own
  std::vector<Region*> children;
  std::vector<View*> views;  // every view not yet dead (object collected and store freed)
  std::vector<Range> zombies;  // ranges remap() gave up that views may still point into
  int refs = 0;  // handle + views + children + async operations
  int pendingAsync = 0;
  int fileFd = -1;  // a duplicate of the mapped file's fd (regular files), for size checks
  bool privateMemory = false;  // private anonymous memory with ordinary commit accounting
  // Its pages may not be ordinary readable memory: mapped without PROT_READ,
  // a file that can shrink under it (SIGBUS), or mprotect, an madvise beyond
  // the plain hints, or a MAP_FIXED child touched some of them.
  bool pagesAltered = false;
  bool handleAlive = false;  // lib/ still holds the handle (see DropHandle)
  bool released = false;  // explicitly unmapped (or cut off by brk)
  // The address range is still mapped on this region's behalf (live, or a
  // zombie after release) and must be given back when it is disposed. False
  // for heap regions, and for children whose parent's range covers them.
  bool holdsRange = false;
};

// A new region; `fileFd` (or -1) becomes the region's to close.
Region* NewRegion(napi_env env, RegionKind kind, uintptr_t base, size_t size, Region* parent, int fileFd);

// The innermost live mapped region of this env containing [start, start + length).
Region* FindOwner(napi_env env, uintptr_t start, size_t length);
void Ref(Region* region);
void Unref(Region* region);
// A view of the region died: ranges only it pinned are unmapped, its reference dropped.
void ViewGone(Region* region);

// The opaque handle JS keeps; it holds one reference until DropHandle. The
// handle has no native finalizer: lib/ calls dropHandle from a
// FinalizationRegistry once its Region object is collected, which costs far
// less per mapping than a Node-API finalizer (measured: ~0.1 vs ~0.7 us).
napi_value WrapRegion(napi_env env, Region* region);
void DropHandle(Region* region);
// nullptr (no exception) when value is not a region handle.
Region* UnwrapRegion(napi_env env, napi_value value);

// Explicit unmap of a region and everything placed inside it: every view we
// can reach is detached, and the range becomes a zombie (or is unmapped at
// once when no view is left). 0 or -errno.
int Release(napi_env env, Region* region);

// mremap() that never lets a range a view may point into be reused:
// views are detached first; a shrunk tail or a moved-away range stays a zombie
// while views may point into it. 0 or -errno; the region's base/size follow.
int Remap(napi_env env, Region* region, size_t newSize);

// Detaches every view of a heap region; false (nothing released) if a view
// over [cut, end) could not be detached. Otherwise marks it released.
bool ReleaseHeap(napi_env env, Region* region, uintptr_t cut);

bool HasPendingAsync(const Region* region);
// True when a child (live, or released with views that may still point into
// it) overlaps [start, start + length).
bool OverlapsChild(const Region* parent, uintptr_t start, size_t length);
// True when the region's pages, or a parent's, may not be ordinary readable
// memory (pagesAltered): reading them may fault, and only the kernel may look.
bool MayBeUnreadable(const Region* region);
// A MAP_FIXED mapping now covers part of `parent`: its pages there (and so
// its ancestors') may be anything now.
void NoteChildPlaced(Region* parent);

size_t PageSize();

// Regions not yet disposed, in the whole process: what a leak would make grow.
long LiveRegions();
// Zombie ranges (whole released regions and remap leftovers) not yet unmapped.
long ZombieRanges();

// Notes that the region's pages may have stopped being plain read-write
// memory: after mprotect, and madvise advice that changes what a page is.
void NoteAdvice(Region* region, int advice);
void NoteProtect(Region* region);

}  // namespace mman
