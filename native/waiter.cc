#include "waiter.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>
#include <vector>

#include "env.h"
#include "uring_waiter.h"

namespace mman {

namespace {

// futex_waitv(2) takes at most this many words; the control word is one.
constexpr size_t kMaxWords = 128;
// Waits beyond kMaxWords - 1 distinct words are looked at this often instead.
constexpr int64_t kOverflowPollNs = 1000000;
// Longer timeouts (lib takes any number of ms) would overflow in ns: a century is "never".
constexpr int64_t kLongestTimeoutMs = int64_t{100} * 365 * 24 * 3600 * 1000;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

constexpr int kSame = 0, kDiffers = 1, kWoken = 2;

// kDiffers when the word no longer holds `expected`, kSame while it does,
// -EFAULT when it cannot be read. `askKernel` compares with a zero-timeout
// FUTEX_WAIT (EFAULT where a load would be SIGSEGV or SIGBUS) instead of a
// load; a FUTEX_WAKE may pick that probe as its waiter (kWoken), and then the
// wake is ours to answer, or it would be lost.
int WordDiffers(const std::atomic<uint32_t>* word, uint32_t expected, bool askKernel) {
  if (!askKernel) return word->load() != expected ? kDiffers : kSame;
  const timespec now = {0, 0};
  if (syscall(SYS_futex, word, FUTEX_WAIT, expected, &now, nullptr, 0) == 0) return kWoken;
  return errno == EAGAIN ? kDiffers : errno == EFAULT ? -EFAULT : kSame;
}

struct PendingWait {
  Region* region;
  const std::atomic<uint32_t>* word;
  uint32_t expected;
  bool askKernel;  // its page may be unreadable: never loaded here (see WordDiffers)
  int64_t deadlineNs;  // CLOCK_MONOTONIC; -1: none
  napi_deferred deferred;
  int result = 1;  // 1 while pending, then 0 or -errno
};

}  // namespace

class Waiter {
 public:
  explicit Waiter(napi_env env) : env_(env) {}

  bool Start() {
    napi_value name;
    napi_create_string_utf8(env_, "mman.futexWaitAsync", NAPI_AUTO_LENGTH, &name);
    if (napi_create_threadsafe_function(env_, nullptr, nullptr, name, 0, 1, nullptr, nullptr, this, Deliver,
                                        &tsfn_) != napi_ok) {
      return false;
    }
    napi_unref_threadsafe_function(env_, tsfn_);
    // libuv's threads, not std::thread: this build has no exceptions, and a
    // process out of threads must get an error, not an abort. (Not
    // pthread_create either: linked directly, it needs glibc 2.34.)
    if (uv_thread_create(&thread_, [](void* self) { static_cast<Waiter*>(self)->Run(); }, this) != 0) {
      napi_release_threadsafe_function(tsfn_, napi_tsfn_abort);
      return false;
    }
    napi_add_env_cleanup_hook(env_, Stop, this);
    return true;
  }

  napi_value Wait(Region* region, uint32_t* word, uint32_t expected, bool askKernel, int64_t timeoutMs) {
    napi_value promise;
    napi_deferred deferred;
    if (napi_create_promise(env_, &deferred, &promise) != napi_ok) return nullptr;
    Ref(region);
    auto* wait = new PendingWait{region, reinterpret_cast<const std::atomic<uint32_t>*>(word), expected, askKernel,
                                 timeoutMs < 0 ? -1 : NowNs() + std::min<int64_t>(timeoutMs, kLongestTimeoutMs) * 1000000, deferred};
    bool first;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      first = pending_.empty() && done_.empty();
      pending_.push_back(wait);
    }
    // A pending wait keeps the process alive, as a timer does.
    if (first) napi_ref_threadsafe_function(env_, tsfn_);
    Wake();
    return promise;
  }

  void Cancel(uintptr_t start, size_t length) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (PendingWait* wait : pending_) {
        if (wait->result == 1 && reinterpret_cast<uintptr_t>(wait->word) - start < length) wait->result = -ECANCELED;
      }
    }
    Wake();
  }

 private:
  void Wake() {
    control_.fetch_add(1);
    syscall(SYS_futex, &control_, FUTEX_WAKE, 1, nullptr, nullptr, 0);
  }

  // The thread: sleep until the control word or a watched word changes or
  // is woken, or a deadline passes, then settle every wait whose word
  // differs or was woken (as a FUTEX_WAIT would end), whose deadline
  // passed, or which was cancelled.
  void Run() {
    std::unique_lock<std::mutex> lock(mutex_);
    std::vector<futex_waitv> words;
    while (!stopping_) {
      words.clear();
      words.push_back({control_.load(), reinterpret_cast<uint64_t>(&control_), FUTEX_32, 0});
      int64_t wakeAt = -1;
      for (const PendingWait* wait : pending_) {
        if (wait->result != 1) {
          wakeAt = 0;
          continue;
        }
        if (wait->deadlineNs >= 0 && (wakeAt < 0 || wait->deadlineNs < wakeAt)) wakeAt = wait->deadlineNs;
        const uint64_t address = reinterpret_cast<uint64_t>(wait->word);
        bool watched = false;
        for (const futex_waitv& w : words) watched = watched || w.uaddr == address;
        if (watched) continue;
        if (words.size() < kMaxWords) {
          words.push_back({wait->expected, address, FUTEX_32, 0});
        } else {
          const int64_t poll = NowNs() + kOverflowPollNs;
          if (wakeAt < 0 || poll < wakeAt) wakeAt = poll;
        }
      }
      lock.unlock();
      uint64_t woken = 0;
      if (wakeAt != 0) {
        timespec until = {static_cast<time_t>(wakeAt / 1000000000), static_cast<long>(wakeAt % 1000000000)};
        long rc = syscall(SYS_futex_waitv, words.data(), words.size(), 0, wakeAt < 0 ? nullptr : &until, CLOCK_MONOTONIC);
        if (rc > 0 && static_cast<size_t>(rc) < words.size()) woken = words[rc].uaddr;
        // Kernels before 5.16 have no futex_waitv: sleep on the control word
        // alone and look at the others every millisecond.
        if (rc < 0 && errno == ENOSYS) {
          timespec slice = {0, kOverflowPollNs};
          syscall(SYS_futex, &control_, FUTEX_WAIT, words[0].val, &slice, nullptr, 0);
        }
      }
      lock.lock();
      const int64_t now = NowNs();
      bool settled = false;
      for (auto it = pending_.begin(); it != pending_.end();) {
        PendingWait* wait = *it;
        if (wait->result == 1) {
          const int seen = reinterpret_cast<uint64_t>(wait->word) == woken ? kWoken : WordDiffers(wait->word, wait->expected, wait->askKernel);
          if (seen != kSame) {
            wait->result = seen < 0 ? seen : 0;
          } else if (wait->deadlineNs >= 0 && now >= wait->deadlineNs) {
            wait->result = -ETIMEDOUT;
          }
        }
        if (wait->result == 1) {
          ++it;
          continue;
        }
        done_.push_back(wait);
        it = pending_.erase(it);
        settled = true;
      }
      if (settled) napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking);
    }
  }

  // On the JS thread: resolve what the thread settled.
  static void Deliver(napi_env env, napi_value, void* context, void*) {
    // A null env is the queue being drained after Stop() released the
    // function and deleted the waiter: `context` must not be touched.
    if (env == nullptr) return;
    Waiter* self = static_cast<Waiter*>(context);
    std::vector<PendingWait*> done;
    bool idle;
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      done.swap(self->done_);
      idle = self->pending_.empty();
    }
    for (PendingWait* wait : done) {
      napi_value result;
      napi_create_int32(env, wait->result, &result);
      napi_resolve_deferred(env, wait->deferred, result);
      Unref(wait->region);
      delete wait;
    }
    if (idle && !done.empty()) napi_unref_threadsafe_function(env, self->tsfn_);
  }

  // At env teardown: stop the thread. Waits still pending are abandoned with the env.
  static void Stop(void* arg) {
    Waiter* self = static_cast<Waiter*>(arg);
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      self->stopping_ = true;
    }
    self->Wake();
    uv_thread_join(&self->thread_);
    napi_release_threadsafe_function(self->tsfn_, napi_tsfn_abort);
    EnvOf(self->env_)->waiter = nullptr;
    delete self;
  }

  napi_env env_;
  napi_threadsafe_function tsfn_ = nullptr;
  std::mutex mutex_;
  std::vector<PendingWait*> pending_;  // guarded by mutex_
  std::vector<PendingWait*> done_;     // settled, not yet delivered; guarded by mutex_
  std::atomic<uint32_t> control_{0};
  bool stopping_ = false;
  uv_thread_t thread_;
};

namespace {

napi_value Settled(napi_env env, int result) {
  napi_value promise, value;
  napi_deferred deferred;
  if (napi_create_promise(env, &deferred, &promise) != napi_ok) return nullptr;
  napi_create_int32(env, result, &value);
  napi_resolve_deferred(env, deferred, value);
  return promise;
}

}  // namespace

napi_value StartAsyncWait(napi_env env, Region* region, uint32_t* word, uint32_t expected, int64_t timeoutMs,
                          bool mayUseIoUring) {
  // As futexWait answers: a word that already differs is -EAGAIN, not a wake.
  // Where the page may be unreadable the kernel compares; elsewhere a load
  // is enough, and the cheap path the IPC round trip takes.
  const bool askKernel = MayBeUnreadable(region);
  const int seen = WordDiffers(reinterpret_cast<const std::atomic<uint32_t>*>(word), expected, askKernel);
  if (seen != kSame) return Settled(env, seen == kDiffers ? -EAGAIN : seen == kWoken ? 0 : seen);
  if (mayUseIoUring) {
    if (UringWaiter* uring = UringWaiterOf(env)) return UringWait(uring, region, word, expected, timeoutMs);
  }
  EnvData* data = EnvOf(env);
  if (data->waiter == nullptr) {
    auto* waiter = new Waiter(env);
    if (!waiter->Start()) {
      delete waiter;
      return nullptr;
    }
    data->waiter = waiter;
  }
  return data->waiter->Wait(region, word, expected, askKernel, timeoutMs);
}

void CancelWaits(napi_env env, uintptr_t start, size_t length) {
  EnvData* data = EnvOf(env);
  if (data->uring != nullptr) UringCancel(data->uring, start, length);
  if (data->waiter != nullptr) data->waiter->Cancel(start, length);
}

}  // namespace mman
