// View lifetime: the external ArrayBuffers mman hands out over a region (see views.cc).
#pragma once

#include <node_api.h>

#include <cstddef>
#include <cstdint>

#include "region.h"

namespace mman {

// Creates an external ArrayBuffer over [offset, offset + length) of the region.
// Returns 0 or a negative errno; on error *result is untouched and no
// exception is left pending.
int CreateView(napi_env env, Region* region, size_t offset, size_t length, napi_value* result);

// A SharedArrayBuffer over [offset, offset + length) of the region, where the
// runtime can make one (-ENOSYS elsewhere). It cannot be detached: the
// region's memory stays mapped, as it is, until every one of them has died.
int CreateSharedView(napi_env env, Region* region, size_t offset, size_t length, napi_value* result);
bool SharedViewsAvailable();
// Whether the region, or a child of it, has a SharedArrayBuffer not yet dead.
bool AnySharedViews(const Region* region);

// lib/ may install a JS function that detaches a buffer and says whether it
// could: on Node >= 24 a buffer the user passed to markAsUntransferable()
// carries a V8 detach key, and napi_detach_arraybuffer would abort the process,
// where ArrayBuffer.prototype.transfer(0) throws. Without one, Node-API detaches.
void SetDetacher(napi_env env, napi_value detacher);

// Takes the view out of its region's books and deletes it (no reference is dropped).
void UnlistView(View* view);

// Detaches every view we can reach, of the region and of its children.
void DetachViews(napi_env env, Region* region);

// Whether a view not yet dead covers part of [start, start + length).
bool ViewsOverlap(const Region* region, uintptr_t start, size_t length);
// Whether the region, or a child of it, has a view not yet dead.
bool AnyViews(const Region* region);
// Whether every view over [start, start + length) that JS can still reach is detached.
bool AllDetached(napi_env env, const Region* region, uintptr_t start, size_t length);

// True when a view of the region over [start, start + length) may still be
// used where we cannot detach it: moved away by transfer(), or collected
// with its backing store not yet freed.
bool ViewsMayEscape(napi_env env, Region* region, uintptr_t start, size_t length);

// Teardown (see TakeCensus in views.cc). In a worker, a view's object is held
// from its creation until lib/ releases it (a second or more later), so that
// a worker stopped meanwhile finds it at the census; lib/ holds every view
// again as the worker's loop runs dry or it exits. HoldViews returns how many
// views are in doubt (collected, their stores not yet reported freed), or -errno.
int HoldViews(napi_env env);
void ReleaseViews(napi_env env);
void ForgetSentinel(napi_env env, EnvRegions* regions);
// Whether a view of the tree was found, as its env ended, to be possibly in
// use in another thread.
bool TreePinned(const Region* top);
// Under LockOrphans(), as the env ends: deletes the tree's views but its
// live SharedArrayBuffers, and says whether any of those is left.
bool ForgetViews(napi_env env, Region* top);

}  // namespace mman
