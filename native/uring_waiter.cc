#include "uring_waiter.h"

#include <linux/futex.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>
#include <new>

#include "wait_list.h"

namespace mman {

namespace {

// Newer than the kernel headers this builds against (6.1): the io_uring
// opcode enum of Linux 6.7 goes on SEND_ZC, SENDMSG_ZC (48), READ_MULTISHOT,
// WAITID, FUTEX_WAIT. The probe at setup checks the kernel agrees.
constexpr uint8_t kOpFutexWait = 51;
constexpr uint32_t kFutex2SizeU32 = 0x02;      // FUTEX2_SIZE_U32; not FUTEX2_PRIVATE: other processes wake us
constexpr uint64_t kMatchAnyBit = 0xffffffff;  // FUTEX_BITSET_MATCH_ANY
// user_data of the entries that are not waits (timeouts, cancellations): never a valid pointer.
constexpr uint64_t kNotAWait = 1;
constexpr unsigned kEntries = 256;
// How many newer waits a cancel may pass in the ring's futex list, on
// average, before Cancel wakes the words instead (see Cancel).
constexpr size_t kCancelSearchPerWait = 64;

long Setup(unsigned entries, io_uring_params* params) {
  return syscall(__NR_io_uring_setup, entries, params);
}

long Enter(int fd, unsigned submit, unsigned complete, unsigned flags) {
  return syscall(__NR_io_uring_enter, fd, submit, complete, flags, nullptr, 0);
}

struct UringWait : ListLink {
  Region* region = nullptr;
  uintptr_t word = 0;
  napi_deferred deferred = nullptr;
  __kernel_timespec timeout = {};  // read by the kernel when the linked timeout is armed
  bool cancelled = false;
  int result = 0;  // from its completion
};

}  // namespace

class UringEngine final : public WaitEngine {
 public:
  explicit UringEngine(napi_env env) : env_(env) {}

  // The ring is set up on a thread of its own: its mmap takes the process's
  // mmap lock for writing, which waits out any long holder (a populateAsync
  // of 1 GiB held the event loop 0.6-2 s when this ran on the JS thread).
  // Until it is ready, waits go to the waiter thread (waiter.h).
  void BeginSetup() {
    // No thread where there can be no ring: a call without parameters is
    // EFAULT where io_uring exists, and ENOSYS or EPERM where it does not or
    // is refused (old kernels, seccomp, io_uring_disabled, qemu-user).
    if (Setup(0, nullptr) < 0 && (errno == ENOSYS || errno == EPERM)) {
      state_.store(kFailed);
      return;
    }
    // libuv's threads, not std::thread: see ThreadEngine::Start (waiter.cc).
    settingUp_ = uv_thread_create(&setup_, RunSetUp, this) == 0;
    if (!settingUp_) state_.store(kFailed);
  }

  // Whether waits can go through the ring now (its polling is started the
  // first time it is).
  bool Ready() override {
    if (polling_) return true;
    const int state = state_.load();
    if (state == kSettingUp || state == kUnusable) return false;
    JoinSetUp();
    polling_ = state == kReady && StartPolling();
    if (!polling_) state_.store(kUnusable);
    return polling_;
  }

  // The operation is issued inline by io_uring_enter (io_uring/futex.c:
  // io_futex_wait queues the futex before returning), so the wait is armed
  // when this returns, as FUTEX_WAIT is once it sleeps.
  napi_value Wait(Region* region, uint32_t* word, uint32_t expected, bool, int64_t timeoutMs) override {
    auto* wait = new (std::nothrow) UringWait();
    napi_value promise;
    if (wait == nullptr || napi_create_promise(env_, &wait->deferred, &promise) != napi_ok) {
      delete wait;
      return nullptr;
    }
    wait->region = region;
    wait->word = reinterpret_cast<uintptr_t>(word);
    const bool timed = timeoutMs >= 0;
    io_uring_sqe* sqe = NextSqe();
    sqe->opcode = kOpFutexWait;
    sqe->fd = kFutex2SizeU32;
    sqe->addr = reinterpret_cast<uint64_t>(word);
    sqe->addr2 = expected;
    sqe->addr3 = kMatchAnyBit;
    sqe->user_data = reinterpret_cast<uint64_t>(wait);
    if (timed) {
      sqe->flags = IOSQE_IO_LINK;
      wait->timeout.tv_sec = timeoutMs / 1000;
      wait->timeout.tv_nsec = (timeoutMs % 1000) * 1000000;
      io_uring_sqe* limit = NextSqe();
      limit->opcode = IORING_OP_LINK_TIMEOUT;
      limit->addr = reinterpret_cast<uint64_t>(&wait->timeout);
      limit->len = 1;
      limit->user_data = kNotAWait;
    }
    if (!Submit(timed ? 2 : 1)) {
      napi_value result;
      napi_create_int32(env_, -errno, &result);
      napi_resolve_deferred(env_, wait->deferred, result);
      delete wait;
      return promise;
    }
    Ref(region);
    if (pending_.empty()) uv_ref(reinterpret_cast<uv_handle_t*>(&poll_));
    pending_.PushBack(wait);
    return promise;
  }

  // Linear in the waits, on the JS thread. Cancelled one by one with
  // IORING_OP_ASYNC_CANCEL, newest first: the kernel searches the ring's
  // futex list from its newest entry (io_futex_wait adds at its head), so
  // each cancel passes only the waits newer than its own that stay (oldest
  // first, each searched the whole list: 30,000 waits held the loop 17 s).
  // When those would be many (a range of old waits under many newer ones),
  // each distinct word in the range is woken instead: FUTEX_WAKE ends our
  // operations on it (and may end other waiters on it with a spurious wake,
  // which futex semantics allow), walking one futex hash bucket, whose length
  // grows with every waiter in the kernel; ASYNC_CANCEL then only where the
  // wake fails.
  void Cancel(uintptr_t start, size_t length) override {
    if (!polling_) return;
    // Waits whose completion already came are not in the kernel's list: a
    // cancel would search all of it for them in vain.
    Reap();
    auto within = [&](const UringWait* wait) { return !wait->cancelled && wait->word - start < length; };
    size_t targets = 0, staying = 0, passed = 0;
    pending_.ForEachNewest([&](const UringWait* wait) {
      if (within(wait)) {
        targets++;
        passed += staying;
      } else if (!wait->cancelled) {
        staying++;
      }
      return true;
    });
    const bool wakeWords = passed > kCancelSearchPerWait * targets;
    unsigned cancels = 0;
    uintptr_t lastWord = 0;
    bool lastWoken = false;
    pending_.ForEachNewest([&](UringWait* wait) {
      if (!within(wait)) return true;
      wait->cancelled = true;
      if (wakeWords && wait->word != lastWord) {
        lastWord = wait->word;
        lastWoken = syscall(SYS_futex, wait->word, FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0) >= 0;
      }
      if (wakeWords && lastWoken) return true;
      io_uring_sqe* sqe = NextSqe();
      sqe->opcode = IORING_OP_ASYNC_CANCEL;
      sqe->addr = reinterpret_cast<uint64_t>(wait);
      sqe->user_data = kNotAWait;
      if (++cancels == kEntries / 2) {
        Submit(cancels);
        cancels = 0;
      }
      return true;
    });
    // Reaped completions are resolved when the ring's fd reads readable:
    // make sure it will.
    if (!arrived_.empty()) {
      io_uring_sqe* nop = NextSqe();
      nop->opcode = IORING_OP_NOP;
      nop->user_data = kNotAWait;
      cancels++;
    }
    if (cancels > 0) Submit(cancels);
  }

  // At env teardown: the ring goes (closing it ends what it still waits on).
  void Stop(void (*stopped)(void*), void* arg) override {
    JoinSetUp();
    if (!polling_) {
      Unmap();
      delete this;
      stopped(arg);
      return;
    }
    napi_async_destroy(env_, context_);
    napi_delete_reference(env_, resource_);
    uv_poll_stop(&poll_);
    stopped_ = stopped;
    stoppedArg_ = arg;
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_), [](uv_handle_t* handle) {
      auto* engine = static_cast<UringEngine*>(handle->data);
      void (*stopped)(void*) = engine->stopped_;
      void* arg = engine->stoppedArg_;
      engine->Unmap();
      delete engine;
      stopped(arg);
    });
  }

 private:
  enum State { kSettingUp, kReady, kFailed, kUnusable };

  static void RunSetUp(void* arg) {
    auto* self = static_cast<UringEngine*>(arg);
    self->state_.store(self->SetUp() ? kReady : kFailed);
  }

  void JoinSetUp() {
    if (settingUp_) uv_thread_join(&setup_);
    settingUp_ = false;
  }

  // The ring, and a check that futex waits work in it; false leaves nothing behind.
  bool SetUp() {
    io_uring_params params;
    memset(&params, 0, sizeof params);
    const long fd = Setup(kEntries, &params);
    if (fd < 0) return false;
    fd_ = static_cast<int>(fd);
    if (!Map(params) || !Probe()) {
      Unmap();
      return false;
    }
    return true;
  }

  // The ring's fd in the event loop, and the async context promises settle in.
  bool StartPolling() {
    uv_loop_t* loop = nullptr;
    napi_value resource, name;
    if (napi_get_uv_event_loop(env_, &loop) != napi_ok || uv_poll_init(loop, &poll_, fd_) != 0) return false;
    poll_.data = this;
    napi_create_object(env_, &resource);
    napi_create_string_utf8(env_, "mman.futexWaitAsync", NAPI_AUTO_LENGTH, &name);
    napi_create_reference(env_, resource, 1, &resource_);
    napi_async_init(env_, resource, name, &context_);
    uv_poll_start(&poll_, UV_READABLE, OnReadable);
    uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
    return true;
  }

  bool Map(const io_uring_params& p) {
    sqRingSize_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    cqRingSize_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
    if (p.features & IORING_FEAT_SINGLE_MMAP) sqRingSize_ = cqRingSize_ = std::max(sqRingSize_, cqRingSize_);
    sqRing_ = mmap(nullptr, sqRingSize_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQ_RING);
    if (sqRing_ == MAP_FAILED) return false;
    cqRing_ = (p.features & IORING_FEAT_SINGLE_MMAP) ? sqRing_
                                                     : mmap(nullptr, cqRingSize_, PROT_READ | PROT_WRITE,
                                                            MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_CQ_RING);
    if (cqRing_ == MAP_FAILED) return false;
    sqesSize_ = p.sq_entries * sizeof(io_uring_sqe);
    void* sqes = mmap(nullptr, sqesSize_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQES);
    if (sqes == MAP_FAILED) return false;
    sqes_ = static_cast<io_uring_sqe*>(sqes);
    char* sq = static_cast<char*>(sqRing_);
    char* cq = static_cast<char*>(cqRing_);
    sqFlags_ = reinterpret_cast<unsigned*>(sq + p.sq_off.flags);
    sqHead_ = reinterpret_cast<unsigned*>(sq + p.sq_off.head);
    sqTail_ = reinterpret_cast<unsigned*>(sq + p.sq_off.tail);
    sqMask_ = *reinterpret_cast<unsigned*>(sq + p.sq_off.ring_mask);
    sqArray_ = reinterpret_cast<unsigned*>(sq + p.sq_off.array);
    cqHead_ = reinterpret_cast<unsigned*>(cq + p.cq_off.head);
    cqTail_ = reinterpret_cast<unsigned*>(cq + p.cq_off.tail);
    cqMask_ = *reinterpret_cast<unsigned*>(cq + p.cq_off.ring_mask);
    cqes_ = reinterpret_cast<io_uring_cqe*>(cq + p.cq_off.cqes);
    return true;
  }

  void Unmap() {
    if (sqes_ != nullptr) munmap(sqes_, sqesSize_);
    if (cqRing_ != nullptr && cqRing_ != MAP_FAILED && cqRing_ != sqRing_) munmap(cqRing_, cqRingSize_);
    if (sqRing_ != nullptr && sqRing_ != MAP_FAILED) munmap(sqRing_, sqRingSize_);
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  // A futex wait on a word that does not hold the expected value completes at
  // once: with -EAGAIN where the kernel knows the operation, -EINVAL where not.
  bool Probe() {
    uint32_t word = 1;
    io_uring_sqe* sqe = NextSqe();
    sqe->opcode = kOpFutexWait;
    sqe->fd = kFutex2SizeU32;
    sqe->addr = reinterpret_cast<uint64_t>(&word);
    sqe->addr2 = 0;
    sqe->addr3 = kMatchAnyBit;
    sqe->user_data = kNotAWait;
    if (Enter(fd_, 1, 1, IORING_ENTER_GETEVENTS) < 0) return false;
    const unsigned head = *cqHead_;
    if (head == __atomic_load_n(cqTail_, __ATOMIC_ACQUIRE)) return false;
    const int result = cqes_[head & cqMask_].res;
    __atomic_store_n(cqHead_, head + 1, __ATOMIC_RELEASE);
    return result == -EAGAIN;
  }

  // The next free submission entry, zeroed. Entries are submitted at once, so
  // at most a handful are ever queued.
  io_uring_sqe* NextSqe() {
    const unsigned tail = *sqTail_;
    const unsigned index = tail & sqMask_;
    io_uring_sqe* sqe = &sqes_[index];
    memset(sqe, 0, sizeof *sqe);
    sqArray_[index] = index;
    __atomic_store_n(sqTail_, tail + 1, __ATOMIC_RELEASE);
    return sqe;
  }

  // On failure the entries are taken back: left queued, the next submit would
  // send them with user_data naming a wait that was already answered and freed.
  bool Submit(unsigned count) {
    for (;;) {
      const long rc = Enter(fd_, count, 0, 0);
      if (rc >= 0) return true;
      if (errno != EINTR) {
        __atomic_store_n(sqTail_, __atomic_load_n(sqHead_, __ATOMIC_ACQUIRE), __ATOMIC_RELEASE);
        return false;
      }
    }
  }

  static void OnReadable(uv_poll_t* handle, int, int) { static_cast<UringEngine*>(handle->data)->Deliver(); }

  // Takes every completion off the ring, also those a full queue left in
  // the kernel: their waits move to arrived_, for Deliver to resolve.
  void Reap() {
    for (;;) {
      unsigned head = *cqHead_;
      const unsigned tail = __atomic_load_n(cqTail_, __ATOMIC_ACQUIRE);
      for (; head != tail; head++) {
        const io_uring_cqe& cqe = cqes_[head & cqMask_];
        if (cqe.user_data == kNotAWait) continue;
        auto* wait = reinterpret_cast<UringWait*>(cqe.user_data);
        // A cancelled wait answers -ECANCELED whatever ended it (a wake from
        // Cancel, or its cancellation); another -ECANCELED is its linked
        // timeout's. -EAGAIN (the word changed between our look and the
        // kernel's) answers as futexWait does.
        wait->result = wait->cancelled ? -ECANCELED : cqe.res == -ECANCELED ? -ETIMEDOUT : cqe.res;
        pending_.Remove(wait);
        arrived_.PushBack(wait);
      }
      __atomic_store_n(cqHead_, head, __ATOMIC_RELEASE);
      // Completions the full queue could not take wait in the kernel until asked for.
      if (!(__atomic_load_n(sqFlags_, __ATOMIC_ACQUIRE) & IORING_SQ_CQ_OVERFLOW)) return;
      Enter(fd_, 0, 0, IORING_ENTER_GETEVENTS);
      if (__atomic_load_n(cqTail_, __ATOMIC_ACQUIRE) == head) return;
    }
  }

  // On the JS thread: resolves every wait whose completion arrived, in a
  // callback scope so that the promises' reactions run right after.
  void Deliver() {
    Reap();
    if (arrived_.empty()) return;
    napi_handle_scope handles;
    napi_open_handle_scope(env_, &handles);
    napi_value resource;
    napi_get_reference_value(env_, resource_, &resource);
    napi_callback_scope scope;
    napi_open_callback_scope(env_, resource, context_, &scope);
    arrived_.ForEach([&](UringWait* wait) {
      arrived_.Remove(wait);
      napi_value value;
      napi_create_int32(env_, wait->result, &value);
      napi_resolve_deferred(env_, wait->deferred, value);
      Unref(wait->region);
      delete wait;
    });
    if (pending_.empty()) uv_unref(reinterpret_cast<uv_handle_t*>(&poll_));
    napi_close_callback_scope(env_, scope);
    napi_close_handle_scope(env_, handles);
  }

  napi_env env_;
  uv_thread_t setup_;
  bool settingUp_ = false;  // setup_ is a thread to join
  std::atomic<int> state_{kSettingUp};
  bool polling_ = false;  // JS thread only
  int fd_ = -1;
  void* sqRing_ = nullptr;
  void* cqRing_ = nullptr;
  size_t sqRingSize_ = 0, cqRingSize_ = 0, sqesSize_ = 0;
  unsigned *sqFlags_ = nullptr, *sqHead_ = nullptr, *sqTail_ = nullptr, *sqArray_ = nullptr, sqMask_ = 0;
  unsigned *cqHead_ = nullptr, *cqTail_ = nullptr, cqMask_ = 0;
  io_uring_sqe* sqes_ = nullptr;
  io_uring_cqe* cqes_ = nullptr;
  uv_poll_t poll_;
  napi_ref resource_ = nullptr;
  napi_async_context context_ = nullptr;
  LinkedList<UringWait> pending_;  // oldest first
  LinkedList<UringWait> arrived_;  // completed, not yet resolved
  // What Stop() calls once the poll handle is closed.
  void (*stopped_)(void*) = nullptr;
  void* stoppedArg_ = nullptr;
};

WaitEngine* StartUringEngine(napi_env env) {
  auto* engine = new (std::nothrow) UringEngine(env);
  if (engine != nullptr) engine->BeginSetup();
  return engine;
}

}  // namespace mman
