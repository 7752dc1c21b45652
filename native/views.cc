// View lifetime: the external ArrayBuffers over regions, and how each one
// dies. A view is dead once its JS object has been collected AND its backing
// store freed (transfer() moves a store to an object we never saw; fs.read
// holds the object while its thread pool writes through a raw pointer).
#include "views.h"

#include <cerrno>
#include <mutex>
#include <new>

#include "env.h"

// node_api_create_external_sharedarraybuffer is experimental Node-API (Node
// 22.23+, 24, 26) and absent from Node 20's headers and binary: a weak
// reference is null where the runtime lacks it (and, unlike dlsym, needs
// nothing of glibc newer than README.md promises).
extern "C" __attribute__((weak)) napi_status node_api_create_external_sharedarraybuffer(napi_env, void*, size_t,
                                                                                        void (*)(void*, void*), void*,
                                                                                        napi_value*);

namespace mman {

namespace {

// A failed Node-API call may leave a JS exception pending; these paths answer with a code instead.
void ClearPendingException(napi_env env) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) return;
  napi_value ignored;
  napi_get_and_clear_last_exception(env, &ignored);
}

bool Overlaps(uintptr_t a, size_t aLength, uintptr_t b, size_t bLength) {
  return a < b + bLength && b < a + aLength;
}

// Whether a view of the region, or of a region inside it, matches.
template <typename Match>
bool AnyViewIn(const Region* region, Match match) {
  for (const View* view = region->views.Front(); view != nullptr; view = region->views.Next(view)) {
    if (match(view)) return true;
  }
  for (const Region* child = region->children.Front(); child != nullptr; child = region->children.Next(child)) {
    if (AnyViewIn(child, match)) return true;
  }
  return false;
}

// Detaches the buffer; false when it cannot be (it stays attached then).
bool Detach(napi_env env, napi_value buffer) {
  EnvData* data = EnvOf(env);
  napi_value detacher = nullptr;
  if (data->detacher == nullptr || napi_get_reference_value(env, data->detacher, &detacher) != napi_ok ||
      detacher == nullptr) {
    return napi_detach_arraybuffer(env, buffer) == napi_ok;
  }
  napi_value undefined = nullptr, result = nullptr;
  napi_get_undefined(env, &undefined);
  if (napi_call_function(env, undefined, detacher, 1, &buffer, &result) != napi_ok) {
    ClearPendingException(env);
    return false;
  }
  bool detached = false;
  napi_get_value_bool(env, result, &detached);
  return detached;
}

void ForgetReferences(napi_env env, View* view) {
  if (view->weak != nullptr) napi_delete_reference(env, view->weak);
  view->weak = nullptr;
}

void DeleteView(napi_env env, View* view) {
  ForgetReferences(env, view);
  Region* region = view->region;
  UnlistView(view);
  ViewGone(region);
}

void MaybeDie(napi_env env, View* view) {
  if (!view->storeAlive && !view->objectAlive) DeleteView(env, view);
}

void FinalizeObject(napi_env env, void* data, void* /*hint*/) {
  View* view = static_cast<View*>(data);
  NoticeTeardown(env);
  view->objectAlive = false;
  // As the env ends, EndEnvRegions decides for every view at once.
  if (!TearingDown(env)) MaybeDie(env, view);
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

// Only ArrayBuffer.prototype.transfer() (Node 21 on, or lib/ found it: it
// detaches with it) moves a store out of the buffer we made; Node 20 copies
// what postMessage() transfers.
bool EscapesPossible(napi_env env) {
  const napi_node_version* version = nullptr;
  return EnvOf(env)->detacher != nullptr || napi_get_node_version(env, &version) != napi_ok || version->major >= 21;
}

// As an env ends, Node calls the finalizer of every external buffer whose
// store is still alive, even a store that transfer() moved to a buffer now
// in another thread ("Clean", in reverse order of creation; the finalizers of
// stores that really died, queued earlier, run before). It detaches the
// buffer first, so a finalizer cannot tell "alive here" from "moved away"
// any more. Before the first Clean, though, every view is still as the
// program left it: that is when we look at all of them (the census), and pin
// those whose store may have left (detached by someone else, or collected
// while the store lives). The census is triggered by the sentinel, a buffer
// made right after each view (so it is cleaned first: a worker can be
// stopped anywhere, even between two views of one turn), or, should a view be
// newer than it (making one failed), by the first clean of such a view: that
// one is pinned, as Node detached it already; the others are still as they
// were. Pinned ranges stay mapped; the rest is given back.
void TakeCensus(napi_env env, EnvRegions* regions) {
  regions->censusTaken = true;
  if (!EscapesPossible(env)) return;
  for (Region* region = regions->regions.Front(); region != nullptr; region = regions->regions.Next(region)) {
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) != napi_ok) scope = nullptr;
    for (View* view = region->views.Front(); view != nullptr; view = region->views.Next(view)) {
      if (view->shared || view->pinned || !view->storeAlive) continue;
      napi_value buffer = ObjectOf(env, view);
      bool detached = false;
      if (buffer != nullptr) napi_is_detached_arraybuffer(env, buffer, &detached);
      view->pinned = buffer == nullptr || (detached && !view->detachedByUs);
    }
    if (scope != nullptr) napi_close_handle_scope(env, scope);
  }
}

void StoreFinalizedAtTeardown(napi_env env, View* view) {
  EnvRegions* regions = EnvOf(env)->regions;
  // Cleaned (the census has its answer), or the process's end (nothing is given back then).
  if (regions == nullptr || regions->censusTaken || regions->mainThread) return;
  if (view->serial < regions->sentinelSerial) {
    // Older than the sentinel, and before its clean: a store that really died.
    view->storeAlive = false;
  } else {
    // Maybe the first clean: look at the others while they are as they were.
    TakeCensus(env, regions);
  }
}

// Never written: no sentinel reaches JS.
char sentinelByte;

void FinalizeSentinel(napi_env env, void* /*data*/, void* hint) {
  NoticeTeardown(env);
  EnvRegions* regions = EnvOf(env)->regions;
  // Earlier sentinels die as they are replaced; only the current one's Clean counts.
  if (!TearingDown(env) || regions == nullptr || regions->censusTaken ||
      reinterpret_cast<uintptr_t>(hint) != regions->sentinelId) {
    return;
  }
  TakeCensus(env, regions);
}

// Only a worker's end gives anything back, and only transfer() makes the census needed.
bool NeedsSentinels(napi_env env, EnvRegions* regions) {
  if (regions->sentinels < 0) regions->sentinels = !regions->mainThread && EscapesPossible(env);
  return regions->sentinels != 0;
}

// A new sentinel, newer than every view. On failure the old one stays (and
// views since are in doubt at teardown).
void MakeSentinel(napi_env env, EnvRegions* regions) {
  const uintptr_t id = regions->sentinelId + 1;
  napi_value buffer;
  napi_ref ref;
  if (napi_create_external_arraybuffer(env, &sentinelByte, 1, FinalizeSentinel, reinterpret_cast<void*>(id), &buffer) !=
          napi_ok ||
      napi_create_reference(env, buffer, 1, &ref) != napi_ok) {
    ClearPendingException(env);
    return;
  }
  if (regions->sentinel != nullptr) napi_delete_reference(env, regions->sentinel);
  regions->sentinel = ref;
  regions->sentinelId = id;
  regions->sentinelSerial = regions->nextViewSerial;
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
  NoticeTeardown(env);
  if (TearingDown(env)) {
    StoreFinalizedAtTeardown(env, view);
    return;
  }
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

}  // namespace

void UnlistView(View* view) {
  Region* region = view->region;
  region->views.Remove(view);
  if (view->shared) region->sharedViews--;
  delete view;
}

bool ViewsOverlap(const Region* region, uintptr_t start, size_t length) {
  for (const View* view = region->views.Front(); view != nullptr; view = region->views.Next(view)) {
    if (Overlaps(view->start, view->length, start, length)) return true;
  }
  return false;
}

// Walks back from the newest view to the first one detached already: those
// are moved to the front as they are detached (the walk is the cost of every
// unmap and remap, and views can wait long for the collector).
void DetachViews(napi_env env, Region* region) {
  for (View* view = region->views.Back(); view != nullptr && !view->detachedByUs;) {
    View* older = region->views.Prev(view);
    napi_value buffer = view->shared ? nullptr : ObjectOf(env, view);
    if (buffer != nullptr) {
      Watch(env, view, buffer);
      bool detached = false;
      napi_is_detached_arraybuffer(env, buffer, &detached);
      if (!detached && Detach(env, buffer)) {
        view->detachedByUs = true;
        region->views.Remove(view);
        region->views.PushFront(view);
      }
    }
    view = older;
  }
  for (Region* child = region->children.Front(); child != nullptr; child = region->children.Next(child)) {
    DetachViews(env, child);
  }
}

bool AnyViews(const Region* region) {
  return AnyViewIn(region, [](const View*) { return true; });
}

int CreateView(napi_env env, Region* region, size_t offset, size_t length, napi_value* result) {
  if (region->released) return -EINVAL;
  if (offset > region->size || length > region->size - offset) return -ERANGE;
  View* view = new (std::nothrow) View();
  if (view == nullptr) return -ENOMEM;
  view->region = region;
  view->start = region->base + offset;
  view->length = length;
  napi_value buffer;
  napi_status status =
      napi_create_external_arraybuffer(env, reinterpret_cast<void*>(view->start), length, FinalizeStore, view, &buffer);
  view->creating = false;
  if (status != napi_ok) {
    ClearPendingException(env);
    // Node may call the finalizer now, later, or never: only delete what
    // cannot be touched again.
    if (view->finalizedWhileCreating) {
      delete view;
    } else {
      view->orphan = true;
    }
    return -ENOMEM;
  }
  EnvRegions* regions = RegionsOf(env);
  view->held = NeedsSentinels(env, regions);
  if (napi_create_reference(env, buffer, view->held ? 1 : 0, &view->weak) != napi_ok) {
    // Without a reference it could never be detached: nobody gets it. Its
    // store finalizer frees the view.
    ClearPendingException(env);
    view->orphan = true;
    napi_detach_arraybuffer(env, buffer);
    return -ENOMEM;
  }
  view->serial = regions->nextViewSerial++;
  region->views.PushBack(view);
  Ref(region);
  if (view->held) MakeSentinel(env, regions);
  *result = buffer;
  return 0;
}

namespace {

using CreateExternalSab = decltype(&node_api_create_external_sharedarraybuffer);

CreateExternalSab SabFactory() {
  return &node_api_create_external_sharedarraybuffer;
}

// On the env's thread, for a SharedArrayBuffer whose store died somewhere.
void SharedStoreGone(napi_env env, napi_value, void*, void* data) {
  View* view = static_cast<View*>(data);
  // A null env: the mailbox is closing with its env, and EndEnvRegions saw
  // sharedStoreGone instead.
  if (env == nullptr) return;
  NoticeTeardown(env);
  if (TearingDown(env)) return;
  view->storeAlive = false;
  MaybeDie(env, view);
}

}  // namespace

// Where a SharedArrayBuffer's finalizer (any thread, no env) posts to reach the
// env's thread. V8 may free such a store only when the isolate is deleted,
// after the env and its thread-safe functions are gone: so the mailbox is held
// by the env and by every live store, closed when the env is torn down, and
// freed by whichever lets go of it last.
struct StoreMailbox {
  std::mutex mutex;
  napi_threadsafe_function deliver = nullptr;
  bool open = true;
  int holders = 1;  // the env, plus every live SharedArrayBuffer store

  // Called with the mutex held; deletes the mailbox when nobody holds it.
  static void LetGo(StoreMailbox* box, std::unique_lock<std::mutex>& lock) {
    const bool last = --box->holders == 0;
    lock.unlock();
    if (last) delete box;
  }

  static void Close(void* arg) {
    StoreMailbox* box = static_cast<StoreMailbox*>(arg);
    std::unique_lock<std::mutex> lock(box->mutex);
    box->open = false;
    napi_release_threadsafe_function(box->deliver, napi_tsfn_abort);
    LetGo(box, lock);
  }
};

namespace {

// Any thread, no env: a SharedArrayBuffer's store is freed when its last
// holder in any isolate dies. Its env's thread hears of it through the
// mailbox; once that env has ended, the region is an orphan, disposed here
// when its last SharedArrayBuffer goes.
void FinalizeSharedStore(void*, void* hint) {
  View* view = static_cast<View*>(hint);
  StoreMailbox* box = view->mailbox;
  LockOrphans();
  view->sharedStoreGone = true;
  const bool orphaned = view->region->orphaned;
  if (orphaned) OrphanViewGone(view);  // deletes the view
  UnlockOrphans();
  std::unique_lock<std::mutex> lock(box->mutex);
  // Open means the env has not reached EndEnvRegions: the view is still there.
  if (!orphaned && box->open) napi_call_threadsafe_function(box->deliver, view, napi_tsfn_nonblocking);
  StoreMailbox::LetGo(box, lock);
}

StoreMailbox* MailboxOf(napi_env env) {
  EnvData* data = EnvOf(env);
  if (data->storeMailbox == nullptr) {
    auto* box = new (std::nothrow) StoreMailbox();
    if (box == nullptr) return nullptr;
    napi_value name;
    napi_create_string_utf8(env, "mman.sharedArrayBufferFinalizer", NAPI_AUTO_LENGTH, &name);
    if (napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, nullptr, nullptr, nullptr, SharedStoreGone,
                                        &box->deliver) != napi_ok) {
      delete box;
      return nullptr;
    }
    // Finalization must not keep the process alive.
    napi_unref_threadsafe_function(env, box->deliver);
    napi_add_env_cleanup_hook(env, StoreMailbox::Close, box);
    data->storeMailbox = box;
  }
  return data->storeMailbox;
}

}  // namespace

bool SharedViewsAvailable() {
  return SabFactory() != nullptr;
}

int CreateSharedView(napi_env env, Region* region, size_t offset, size_t length, napi_value* result) {
  if (region->released) return -EINVAL;
  if (offset > region->size || length > region->size - offset) return -ERANGE;
  if (SabFactory() == nullptr) return -ENOSYS;
  StoreMailbox* mailbox = MailboxOf(env);
  if (mailbox == nullptr) return -ENOMEM;
  View* view = new (std::nothrow) View();
  if (view == nullptr) return -ENOMEM;
  view->region = region;
  view->start = region->base + offset;
  view->length = length;
  view->shared = true;
  view->objectAlive = false;  // a store shared across isolates: its death is all we wait for
  view->creating = false;
  view->mailbox = mailbox;
  {
    std::lock_guard<std::mutex> lock(mailbox->mutex);
    mailbox->holders++;
  }
  napi_value buffer;
  if (SabFactory()(env, reinterpret_cast<void*>(view->start), length, FinalizeSharedStore, view, &buffer) != napi_ok) {
    {
      std::unique_lock<std::mutex> lock(mailbox->mutex);
      StoreMailbox::LetGo(mailbox, lock);
    }
    ClearPendingException(env);
    delete view;
    return -ENOMEM;
  }
  view->serial = RegionsOf(env)->nextViewSerial++;
  region->views.PushBack(view);
  region->sharedViews++;
  Ref(region);
  *result = buffer;
  return 0;
}

bool AnySharedViews(const Region* region) {
  if (region->sharedViews > 0) return true;
  for (const Region* child = region->children.Front(); child != nullptr; child = region->children.Next(child)) {
    if (AnySharedViews(child)) return true;
  }
  return false;
}

void SetDetacher(napi_env env, napi_value detacher) {
  EnvData* data = EnvOf(env);
  if (data->detacher != nullptr) napi_delete_reference(env, data->detacher);
  data->detacher = nullptr;
  napi_create_reference(env, detacher, 1, &data->detacher);
}

bool ViewsMayEscape(napi_env env, Region* region, uintptr_t start, size_t length) {
  for (View* view = region->views.Front(); view != nullptr; view = region->views.Next(view)) {
    if (!Overlaps(view->start, view->length, start, length) || !view->storeAlive) continue;
    napi_value buffer = ObjectOf(env, view);
    if (buffer == nullptr) return true;  // collected, but its store lives: maybe moved by transfer()
    bool detached = false;
    napi_is_detached_arraybuffer(env, buffer, &detached);
    if (detached && !view->detachedByUs) return true;  // moved away by transfer()
  }
  return false;
}

bool AllDetached(napi_env env, const Region* region, uintptr_t start, size_t length) {
  for (View* view = region->views.Front(); view != nullptr; view = region->views.Next(view)) {
    if (!Overlaps(view->start, view->length, start, length) || view->detachedByUs) continue;
    napi_value buffer = ObjectOf(env, view);
    bool detached = false;
    if (buffer != nullptr) napi_is_detached_arraybuffer(env, buffer, &detached);
    if (buffer != nullptr && !detached) return false;
  }
  return true;
}

// A view whose object was collected while its store lived cannot be told
// apart at the census (moved away by transfer() first, or its store's free
// not delivered yet: V8 frees stores after the collection, on another
// thread, and Node tells us on a later turn). Holding objects leaves only
// views collected while released to that doubt.
int HoldViews(napi_env env) {
  EnvRegions* regions = RegionsOf(env);
  if (regions == nullptr) return -ENOMEM;
  if (!NeedsSentinels(env, regions)) return 0;
  int inDoubt = 0;
  for (Region* region = regions->regions.Front(); region != nullptr; region = regions->regions.Next(region)) {
    for (View* view = region->views.Front(); view != nullptr; view = region->views.Next(view)) {
      if (view->shared || view->held || !view->storeAlive) continue;
      if (ObjectOf(env, view) == nullptr) {
        inDoubt++;
      } else if (napi_reference_ref(env, view->weak, nullptr) == napi_ok) {
        view->held = true;
      }
    }
  }
  return inDoubt;
}

void ReleaseViews(napi_env env) {
  EnvRegions* regions = RegionsOf(env);
  if (regions == nullptr) return;
  for (Region* region = regions->regions.Front(); region != nullptr; region = regions->regions.Next(region)) {
    for (View* view = region->views.Front(); view != nullptr; view = region->views.Next(view)) {
      if (view->held && napi_reference_unref(env, view->weak, nullptr) == napi_ok) view->held = false;
    }
  }
}

void ForgetSentinel(napi_env env, EnvRegions* regions) {
  if (regions->sentinel != nullptr) napi_delete_reference(env, regions->sentinel);
  regions->sentinel = nullptr;
}

bool TreePinned(const Region* top) {
  return AnyViewIn(top, [](const View* view) { return view->pinned; });
}

bool ForgetViews(napi_env env, Region* top) {
  bool sharedLeft = false;
  for (View* view = top->views.Front(); view != nullptr;) {
    View* next = top->views.Next(view);
    if (view->shared && !view->sharedStoreGone) {
      sharedLeft = true;
    } else {
      ForgetReferences(env, view);
      UnlistView(view);
    }
    view = next;
  }
  for (Region* child = top->children.Front(); child != nullptr; child = top->children.Next(child)) {
    if (ForgetViews(env, child)) sharedLeft = true;
  }
  return sharedLeft;
}

}  // namespace mman
