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
//
// When a worker's env ends, what it mapped goes with it unless another thread
// may still reach it (see EndEnvRegions). Every book here is an intrusive list
// or a node allocated without throwing: running out of memory (or of VMAs,
// where malloc's own mmap() fails) is answered with ENOMEM, never an abort.
#pragma once

#include <node_api.h>

#include <cstddef>
#include <cstdint>

#include "handle_table.h"
#include "links.h"
#include "pending_frees.h"

namespace mman {

enum class RegionKind { Mapped, Heap };

struct Region;
struct StoreMailbox;

// One external ArrayBuffer (or SharedArrayBuffer) over part of a region.
struct View {
  Region* region = nullptr;
  Links<View> links;    // in region->views
  uintptr_t start = 0;  // absolute: views outlive moves of their region
  size_t length = 0;
  napi_ref weak = nullptr;  // the JS object, until it is collected
  // `weak` is strong for now: the object is kept for the teardown census (views.cc).
  bool held = false;
  uint64_t serial = 0;      // creation order in its env (see TakeCensus in views.cc)
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
  bool sharedStoreGone = false;  // set from any thread, under OrphanLock()
  // Found while the env ended: the store may live on in another thread
  // (moved there by transfer()), so its range must stay mapped.
  bool pinned = false;
  StoreMailbox* mailbox = nullptr;  // how a shared store's finalizer reaches this env's thread
};

// A range remap() gave up that views may still point into.
struct Zombie {
  uintptr_t start = 0;
  size_t length = 0;
  Zombie* next = nullptr;
};

struct Region {
  RegionKind kind = RegionKind::Mapped;
  napi_env env = nullptr;  // regions are only used from the thread that made them
  Links<Region> envLinks;  // in its env's EnvRegions
  uintptr_t base = 0;
  size_t size = 0;             // page-rounded for mapped regions
  Region* parent = nullptr;    // set for MAP_FIXED mappings placed inside a region we own
  Links<Region> siblingLinks;  // in parent->children
  List<Region, &Region::siblingLinks> children;
  // Every view not yet dead (object collected and store freed): those we
  // detached first, then the others, oldest first.
  List<View, &View::links> views;
  int sharedViews = 0;  // SharedArrayBuffers among them
  Zombie* zombies = nullptr;
  Region* chunkBelow = nullptr;  // heap regions: the growth before this one (heap_calls.cc)
  int refs = 0;                  // handle + views + children + async operations
  int pendingAsync = 0;
  int fileFd = -1;             // a duplicate of the mapped file's fd (regular files), for size checks
  bool privateMemory = false;  // private anonymous memory with ordinary commit accounting
  // Its pages may not be ordinary readable memory: mapped without PROT_READ,
  // a file that can shrink under it (SIGBUS), or mprotect, an madvise beyond
  // the plain hints, or a MAP_FIXED child touched some of them.
  bool pagesAltered = false;
  bool handleAlive = false;          // lib/ still holds the handle (see DropHandle)
  uint32_t handleSlot = UINT32_MAX;  // in its env's HandleTable, while its handle finds it
  bool released = false;             // explicitly unmapped (or cut off by brk)
  bool pagesDropped = false;         // released as a zombie: its pages were given back then
  // The address range is still mapped on this region's behalf (live, or a
  // zombie after release) and must be given back when it is disposed. False
  // for heap regions, and for children whose parent's range covers them.
  bool holdsRange = false;
  // Its env ended while SharedArrayBuffers of it lived on in other threads:
  // the last of them to die disposes it, from whatever thread (OrphanLock()).
  bool orphaned = false;
  bool abandoned = false;  // orphaned, and pinned too: its ranges stay mapped
};

// What mman keeps per env (EnvData::regions): its regions, and what the
// teardown census needs (views.cc).
struct EnvRegions {
  List<Region, &Region::envLinks> regions;
  HandleTable handles;
  bool mainThread = false;  // its end is the process's: nothing is given back then
  uint64_t nextViewSerial = 1;
  // See TakeCensus (views.cc): views from sentinelSerial on were made after
  // the newest sentinel, and cannot be told apart at teardown.
  int sentinels = -1;  // whether views need sentinels here; -1 until the first view
  uint64_t sentinelSerial = 1;
  uintptr_t sentinelId = 0;
  napi_ref sentinel = nullptr;
  bool censusTaken = false;
  PendingFrees frees;                          // zombies no view can reach, unmapped in batches
  napi_threadsafe_function flusher = nullptr;  // unmaps them at the end of the turn
  bool flushScheduled = false;
};

// The env's books, made on first use; nullptr when that allocation fails.
EnvRegions* RegionsOf(napi_env env);

// A new region, or nullptr (nothing changed) when memory ran out. `fileFd`
// (or -1) becomes the region's to close once it is made.
Region* NewRegion(napi_env env, RegionKind kind, uintptr_t base, size_t size, Region* parent, int fileFd);

// The innermost live mapped region of this env containing [start, start + length).
Region* FindOwner(napi_env env, uintptr_t start, size_t length);
void Ref(Region* region);
void Unref(Region* region);
// A view of the region died: ranges only it pinned are unmapped, its reference dropped.
void ViewGone(Region* region);

// The handle JS keeps (a number, see HandleTable); it holds one reference
// until DropHandle. The handle has no native finalizer: lib/ calls dropHandle
// once it lets go (unmap), from a FinalizationRegistry once its owner is
// collected (cheaper than a Node-API finalizer: measured ~0.1 vs ~0.7 us), or
// right after the first view when the views alone keep the region (the
// syscall layer). nullptr (nothing referenced) when it could not be made.
napi_value WrapRegion(napi_env env, Region* region);
// Does nothing the second time: a handle dropped already, or stale.
void DropHandle(Region* region);
// nullptr (no exception) when value is not the handle of a region not yet disposed.
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
// Unmaps the env's zombies that wait to be given back in a batch, so that
// counts (of ranges, of VMAs) are exact.
void FlushFrees(napi_env env);
// Ranges mman keeps mapped that no live region uses: zombies (whole released
// regions and remap leftovers) not yet unmapped, and what an ended env left
// behind because another thread may still use it.
long ZombieRanges();

// Notes that the region's pages may have stopped being plain read-write
// memory: after mprotect, and madvise advice that changes what a page is.
void NoteAdvice(Region* region, int advice);
void NoteProtect(Region* region);

// The env is being torn down and everything that will run for it has run
// (its instance-data finalizer): gives back what it mapped, except what
// another thread may still use (see views.cc: pinned views, live
// SharedArrayBuffers). A worker's mappings would otherwise outlive it.
void EndEnvRegions(napi_env env, EnvRegions* regions);

// Guards orphaned regions and sharedStoreGone, which any thread may touch.
void LockOrphans();
void UnlockOrphans();
// Under LockOrphans(): a SharedArrayBuffer of an orphaned region died.
void OrphanViewGone(View* view);

}  // namespace mman
