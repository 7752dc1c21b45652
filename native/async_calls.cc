// msync and madvise (populate) on the libuv thread pool: they block for as
// long as the kernel needs to write or fault a range, which on large ranges
// is far too long for the event loop. The promise resolves with 0 or -errno.
// Populating is done in slices: MADV_POPULATE_* holds the process's mmap lock
// for reading through its whole range, and every mmap on any thread (a thread
// stack, V8 growing its heap) waits for the writer's turn behind it: a 1 GiB
// populate held the event loop for up to 1.5 s.
#include <sys/mman.h>

#include <cerrno>
#include <new>

#include "args.h"
#include "calls.h"
#include "region_args.h"

namespace mman {

namespace {

// ~10 ms of page faults at this machine's 2.5 µs per 4 KiB fault.
constexpr size_t kPopulateSlice = 16 << 20;

int Populate(uintptr_t start, size_t length, int advice) {
  for (size_t done = 0; done < length; done += kPopulateSlice) {
    const size_t slice = length - done < kPopulateSlice ? length - done : kPopulateSlice;
    if (madvise(reinterpret_cast<void*>(start + done), slice, advice) != 0) return -1;
  }
  return 0;
}

// What the pool thread runs: held by value (no allocation that could throw).
struct Call {
  int (*syscall)(void*, size_t, int);
  uintptr_t start;
  size_t length;
  int flags;
  bool populate;

  int operator()() const {
    return populate ? Populate(start, length, flags) : syscall(reinterpret_cast<void*>(start), length, flags);
  }
};

class RegionWorker : public Napi::AsyncWorker {
 public:
  RegionWorker(Napi::Env env, napi_deferred deferred, Region* region, Call call)
      : Napi::AsyncWorker(env, "mman"), deferred_(deferred), region_(region), call_(call) {
    // The region stays mapped (an explicit unmap answers EBUSY) until we resolve.
    Ref(region_);
    region_->pendingAsync++;
  }

  void Execute() override { result_ = call_() == 0 ? 0 : -errno; }

  void OnOK() override {
    Finish();
    napi_value result;
    if (napi_create_int32(Env(), result_, &result) == napi_ok) napi_resolve_deferred(Env(), deferred_, result);
  }

  void OnError(const Napi::Error& error) override {
    Finish();
    napi_reject_deferred(Env(), deferred_, error.Value());
  }

 private:
  void Finish() {
    region_->pendingAsync--;
    Unref(region_);
  }

  napi_deferred deferred_;
  Region* region_;
  Call call_;
  int result_ = 0;
};

Napi::Value Start(const Napi::CallbackInfo& info, int (*syscall)(void*, size_t, int)) {
  Napi::Env env = info.Env();
  Region* region = RegionArg(info, 0);
  uintptr_t start = 0;
  size_t length = 0;
  int64_t flags = 0;
  if (region == nullptr || region->released || region->kind != RegionKind::Mapped ||
      !RangeArgs(info, 1, region, true, &start, &length) || !Int64Arg(info, 3, &flags)) {
    return Errno(env, -EINVAL);
  }
  const int advice = static_cast<int>(flags);
  if (syscall == madvise) NoteAdvice(region, advice);
  const bool populate = syscall == madvise && (advice == MADV_POPULATE_READ || advice == MADV_POPULATE_WRITE);
  // Checked here, not through node-addon-api's Deferred: in a worker being
  // terminated this fails, and the Deferred would hand V8 an unset value.
  napi_value promise;
  napi_deferred deferred;
  if (napi_create_promise(env, &deferred, &promise) != napi_ok) return Napi::Value();
  auto* worker = new (std::nothrow) RegionWorker(env, deferred, region, Call{syscall, start, length, advice, populate});
  if (worker == nullptr) {
    // Out of memory: the promise answers it, as the call would have.
    napi_value result;
    napi_create_int32(env, -ENOMEM, &result);
    napi_resolve_deferred(env, deferred, result);
  } else {
    worker->Queue();
  }
  return Napi::Value(env, promise);
}

}  // namespace

Napi::Value MsyncAsync(const Napi::CallbackInfo& info) {
  return Start(info, msync);
}

Napi::Value MadviseAsync(const Napi::CallbackInfo& info) {
  return Start(info, madvise);
}

}  // namespace mman
