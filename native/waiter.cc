// The waiter-thread engine: every pending wait is one sleeping thread of
// ours, a "sleeper", queued on the wait's word in the kernel exactly as a
// FUTEX_WAIT caller would be, so that FUTEX_WAKE counts it, wakes it, and
// ends its wait alone.
//
// Why not one thread for all waits (futex_waitv, as before): that thread
// learns only the last entry woken (kernel/futex/waitwake.c,
// futex_unqueue_multiple returns the last index), so a second wake landing
// before it ran again was counted and lost (11-16 of 100 rounds); and each
// time it woke it left every word's queue until it went back to sleep, so a
// wake in between counted nobody and a wait stayed pending.
//
// Arming without a thread switch: an idle sleeper is parked on a spare word
// of its own. Wait() moves it onto the wait's word with FUTEX_CMP_REQUEUE
// (one syscall on the JS thread; the count it returns proves the sleeper was
// queued and is now queued on the word), then looks at the word again, since
// it may have changed before the move. So the wait is armed when Wait()
// returns. A sleeper that wakes spuriously re-queues itself at the address it
// started on (the kernel re-reads its own copy of the arguments): setting the
// spare word to 1 after the move makes that re-queue fail, and the sleeper,
// back in user space, sleeps on its wait's word directly.
//
// Ending a wait early (cancel, timeout, the word changed before the move):
// the sleeper sleeps in futex_waitv(2) on [bell, word], and the JS thread
// rings its bell, a private word. Kernels before 5.16 have no futex_waitv:
// there the sleeper sleeps in FUTEX_WAIT on the word alone and is rung with a
// FUTEX_WAKE of the word, which may also end other waiters on it ('ok' with
// the word unchanged: a spurious wake, which futex semantics allow); a
// sleeper that went back to sleep on its word (after a spurious wake-up)
// does so in 100 ms slices, since a ring can miss it on its way in.
// Timeouts are kept by one libuv timer on the JS thread.
//
// At most kMaxSleepers waits have a sleeper; more wait for one to be free and
// are meanwhile polled every millisecond (they see their word change, but a
// wake that leaves it unchanged finds them not queued: futexWake() counts
// nothing for them). The sleeper idle longest is retired after a while,
// down to a few, and all when the env ends.
#include "waiter.h"

#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <mutex>
#include <new>

#include "wait_list.h"

namespace mman {

class ThreadEngine;

namespace {

constexpr size_t kMaxSleepers = 64;
// Idle sleepers beyond this many end after kIdleLifeNs.
constexpr size_t kKeptIdle = 4;
constexpr int64_t kIdleLifeNs = int64_t{10} * 1000000000;
// A sleeper runs a few syscalls and Node's thread-safe call: small stacks
// (ASan builds need more than the code alone would).
constexpr size_t kSleeperStack = 256 << 10;
// Without futex_waitv (kernels before 5.16), a sleeper on its wait's word
// looks at its wait this often.
constexpr long kUnrungSliceNs = 100000000;
// Waits without a sleeper are looked at this often (more waits, less often).
constexpr int64_t kPollNs = 1000000;
// Longer timeouts (lib takes any number of ms) would overflow in ns: a century is "never".
constexpr int64_t kLongestTimeoutMs = int64_t{100} * 365 * 24 * 3600 * 1000;
// How long Wait() waits for a sleeper to be queued on its spare word (a new
// sleeper starting, or one just parking): then the wait still ends when its
// word changes, and is armed once the sleeper gets there.
constexpr int64_t kArmingBoundNs = 1000000000;
constexpr int kPending = 1;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

long Futex(const void* word, int op, uint32_t value) {
  return syscall(SYS_futex, word, op, value, nullptr, nullptr, 0);
}

struct Sleeper;

struct ThreadWait : ListLink {
  Region* region = nullptr;
  const std::atomic<uint32_t>* word = nullptr;
  uint32_t expected = 0;
  bool askKernel = false;   // its page may be unreadable: never loaded here (see LookAtWord)
  int64_t deadlineNs = -1;  // CLOCK_MONOTONIC; -1: none
  napi_deferred deferred = nullptr;
  // Guarded by the engine's mutex:
  Sleeper* sleeper = nullptr;  // nullptr while polled
  int result = kPending;       // settled: 0 or -errno
  int early = kPending;        // what the JS thread saw once it was armed (0: changed; -EFAULT)
  bool cancelled = false;
  bool timedOut = false;
};

// How a sleeper's sleep ended.
enum class Woke { kWord, kBell, kBounced, kOther };

struct Sleeper : ListLink {
  ThreadEngine* engine = nullptr;
  uv_thread_t thread;
  std::atomic<uint32_t> spare{0};  // parked here (a shared futex, so that it can move onto any word)
  std::atomic<uint32_t> bell{0};   // rung to end its sleep (futex_waitv only)
  // Guarded by the engine's mutex:
  ThreadWait* wait = nullptr;
  int64_t idleSince = 0;  // when it last went on the idle list
  bool retired = false;
};

}  // namespace

class ThreadEngine final : public WaitEngine {
 public:
  explicit ThreadEngine(napi_env env) : env_(env) {}

  bool Start() {
    // futex_waitv with no entries is EINVAL where the call exists.
    hasWaitv_ = syscall(SYS_futex_waitv, nullptr, 0, 0, nullptr, 0) != 0 && errno != ENOSYS;
    uv_loop_t* loop = nullptr;
    napi_value name;
    napi_create_string_utf8(env_, "mman.futexWaitAsync", NAPI_AUTO_LENGTH, &name);
    // The function first: until the clock is initialized, nothing of this
    // engine is in the loop, and a failure can simply delete it.
    if (napi_get_uv_event_loop(env_, &loop) != napi_ok ||
        napi_create_threadsafe_function(env_, nullptr, nullptr, name, 0, 1, this, Released, this, Deliver, &tsfn_) !=
            napi_ok) {
      return false;
    }
    napi_unref_threadsafe_function(env_, tsfn_);
    // uv_timer_init cannot fail (libuv only fills in the handle).
    uv_timer_init(loop, &clock_);
    clock_.data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(&clock_));
    return true;
  }

  napi_value Wait(Region* region, uint32_t* word, uint32_t expected, bool askKernel, int64_t timeoutMs) override {
    auto* wait = new (std::nothrow) ThreadWait();
    napi_value promise;
    if (wait == nullptr || napi_create_promise(env_, &wait->deferred, &promise) != napi_ok) {
      delete wait;
      return nullptr;
    }
    wait->region = region;
    wait->word = reinterpret_cast<const std::atomic<uint32_t>*>(word);
    wait->expected = expected;
    wait->askKernel = askKernel;
    if (timeoutMs >= 0) wait->deadlineNs = NowNs() + std::min<int64_t>(timeoutMs, kLongestTimeoutMs) * 1000000;
    Ref(region);
    // A pending wait keeps the process alive, as a timer does.
    if (pending_++ == 0) napi_ref_threadsafe_function(env_, tsfn_);
    Sleeper* sleeper = IdleSleeper(true);
    if (sleeper != nullptr) {
      Arm(sleeper, wait);
    } else {
      polled_.PushBack(wait);
      Tick(NowNs() + PollIntervalNs());
    }
    if (wait->deadlineNs >= 0) Tick(wait->deadlineNs);
    return promise;
  }

  // Linear in the waits: each sleeper's bell, each polled wait looked at once.
  void Cancel(uintptr_t start, size_t length) override {
    auto within = [&](const ThreadWait* wait) { return reinterpret_cast<uintptr_t>(wait->word) - start < length; };
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t i = 0; i < sleeperCount_; i++) {
      ThreadWait* wait = sleepers_[i]->wait;
      if (wait == nullptr || wait->cancelled || !within(wait)) continue;
      wait->cancelled = true;
      Ring(sleepers_[i]);
    }
    bool settled = false;
    polled_.ForEach([&](ThreadWait* wait) {
      if (!within(wait)) return;
      polled_.Remove(wait);
      wait->result = -ECANCELED;
      done_.PushBack(wait);
      settled = true;
    });
    if (settled) Notify();
  }

  // Waits still pending are abandoned with the env. The engine is gone once
  // both the thread-safe function and the clock are.
  void Stop(void (*stopped)(void*), void* arg) override {
    StopSleepers();
    stopped_ = stopped;
    stoppedArg_ = arg;
    // Node may have finalized the function already, at its own cleanup.
    if (!released_) napi_release_threadsafe_function(tsfn_, napi_tsfn_abort);
    auto forget = [](ThreadWait* wait) { delete wait; };
    polled_.ForEach(forget);
    done_.ForEach(forget);
    uv_timer_stop(&clock_);
    uv_close(reinterpret_cast<uv_handle_t*>(&clock_),
             [](uv_handle_t* handle) { static_cast<ThreadEngine*>(handle->data)->Closed(); });
  }

 private:
  // An idle sleeper, taken off the idle list: the one idle shortest (so
  // that the others can age out), parked or about to be; or with `start`, a
  // new one while there are fewer than kMaxSleepers. nullptr when there is none.
  Sleeper* IdleSleeper(bool start) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!idle_.empty()) {
        Sleeper* sleeper = idle_.Back();
        idle_.Remove(sleeper);
        return sleeper;
      }
    }
    if (!start || sleeperCount_ == kMaxSleepers) return nullptr;
    auto* sleeper = new (std::nothrow) Sleeper();
    if (sleeper == nullptr) return nullptr;
    sleeper->engine = this;
    uv_thread_options_t options;
    options.flags = UV_THREAD_HAS_STACK_SIZE;
    options.stack_size = kSleeperStack;
    // libuv's threads, not std::thread: this build has no exceptions, and a
    // process out of threads must get an error (here: polling), not an
    // abort. (Not pthread_create either: linked directly, it needs glibc 2.34.)
    auto run = [](void* arg) {
      auto* self = static_cast<Sleeper*>(arg);
      self->engine->Sleep(self);
    };
    if (uv_thread_create_ex(&sleeper->thread, &options, run, sleeper) != 0) {
      delete sleeper;
      return nullptr;
    }
    sleepers_[sleeperCount_++] = sleeper;
    // It puts itself on the idle list as it parks: take it from there.
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (sleeper->prev != nullptr) {
          idle_.Remove(sleeper);
          return sleeper;
        }
      }
      sched_yield();
    }
  }

  // On the JS thread: hands `wait` to `sleeper` (idle, off the idle list) and
  // moves the sleeper from its spare word onto the wait's word.
  void Arm(Sleeper* sleeper, ThreadWait* wait) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sleeper->wait = wait;
      wait->sleeper = sleeper;
    }
    const int64_t giveUp = NowNs() + kArmingBoundNs;
    // 0 until the sleeper is queued on its spare word (it is on its way).
    while (syscall(SYS_futex, &sleeper->spare, FUTEX_CMP_REQUEUE, 0, 1L, wait->word, 0) != 1 && NowNs() < giveUp) {
      sched_yield();
    }
    {
      // A sleeper woken spuriously would queue itself on the spare word again,
      // unarmed: from now on that fails, and the sleeper sleeps on the word
      // itself. One that queued there before this store is woken. (Unless
      // the wait already ended: the sleeper parks there again.)
      std::lock_guard<std::mutex> lock(mutex_);
      if (sleeper->wait != wait) return;
      sleeper->spare.store(1);
      Futex(&sleeper->spare, FUTEX_WAKE, INT_MAX);
    }
    // The word may have changed between the first look and the move.
    const int seen = LookAtWord(wait->word, wait->expected, wait->askKernel);
    if (seen == kSame) return;
    std::lock_guard<std::mutex> lock(mutex_);
    if (sleeper->wait != wait) return;
    wait->early = seen < 0 ? seen : 0;
    Ring(sleeper);
  }

  // Under the lock: ends the sleeper's current sleep.
  void Ring(Sleeper* sleeper) {
    if (hasWaitv_) {
      sleeper->bell.fetch_add(1);
      Futex(&sleeper->bell, FUTEX_WAKE_PRIVATE, 1);
    } else if (sleeper->wait == nullptr) {
      // Idle, parked on its spare word or on its way there (the store makes that fail).
      sleeper->spare.store(1);
      Futex(&sleeper->spare, FUTEX_WAKE, INT_MAX);
    } else {
      // On its wait's word. One on its way there misses this: see SleepOn.
      Futex(sleeper->wait->word, FUTEX_WAKE, INT_MAX);
    }
  }

  // A sleeper's thread.
  void Sleep(Sleeper* sleeper) {
    // Signals go to other threads: an interrupted sleep would be a gap in its queueing.
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    std::unique_lock<std::mutex> lock(mutex_);
    GoIdle(sleeper);
    while (!stopping_ && !sleeper->retired) {
      ThreadWait* wait = sleeper->wait;
      const uint32_t bell = sleeper->bell.load();
      lock.unlock();
      const Woke woke = wait == nullptr ? SleepOn(&sleeper->spare, 0, bell, sleeper)
                                        : SleepOn(wait->word, wait->expected, bell, sleeper);
      lock.lock();
      wait = sleeper->wait;
      if (wait == nullptr) continue;  // still idle: retired, or the env is stopping
      const int outcome = Outcome(wait, woke);
      if (outcome == kPending) continue;  // still waiting: now on its word
      wait->result = outcome;
      done_.PushBack(wait);
      sleeper->wait = nullptr;
      sleeper->spare.store(0);
      GoIdle(sleeper);
      napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking);
    }
  }

  // Under the lock.
  void GoIdle(Sleeper* sleeper) {
    sleeper->idleSince = NowNs();
    idle_.PushBack(sleeper);
  }

  // Without the lock: sleeps on `word` (a shared futex) while it holds `expected`.
  Woke SleepOn(const std::atomic<uint32_t>* word, uint32_t expected, uint32_t bell, Sleeper* sleeper) {
    long rc;
    if (hasWaitv_) {
      // The word last, so that when both were woken, the wake is what it answers.
      futex_waitv entries[2] = {{bell, reinterpret_cast<uint64_t>(&sleeper->bell), FUTEX_32 | FUTEX_PRIVATE_FLAG, 0},
                                {expected, reinterpret_cast<uint64_t>(word), FUTEX_32, 0}};
      rc = syscall(SYS_futex_waitv, entries, 2, 0, nullptr, CLOCK_MONOTONIC);
      if (rc >= 0) return rc == 1 ? Woke::kWord : Woke::kBell;
    } else {
      // Without a bell, a ring (a wake of the word) misses a sleeper on its
      // way into FUTEX_WAIT: on its wait's word it sleeps in slices. (Parked,
      // it needs none, and moved onto the word from there it is queued.)
      const timespec slice = {0, kUnrungSliceNs};
      rc = syscall(SYS_futex, word, FUTEX_WAIT, expected, word == &sleeper->spare ? nullptr : &slice, nullptr, 0);
      if (rc == 0) return Woke::kWord;
    }
    return errno == EAGAIN ? Woke::kBounced : Woke::kOther;
  }

  // Under the lock: how `wait` ends after its sleeper woke so, or kPending
  // when it goes on.
  int Outcome(const ThreadWait* wait, Woke woke) {
    if (wait->cancelled) return -ECANCELED;
    // Without futex_waitv, a wake of the word may be our own ring.
    if (woke == Woke::kWord && hasWaitv_) return 0;
    if (wait->early != kPending) return wait->early;
    if (wait->timedOut) return -ETIMEDOUT;
    if (woke == Woke::kWord) return 0;
    // Bounced off the spare word or the word itself, or rung for nothing: look.
    const int seen = LookAtWord(wait->word, wait->expected, wait->askKernel);
    return seen == kSame ? kPending : seen < 0 ? seen : 0;
  }

  // On the JS thread: ends and joins every sleeper (once).
  void StopSleepers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      for (size_t i = 0; i < sleeperCount_; i++) Ring(sleepers_[i]);
    }
    for (size_t i = 0; i < sleeperCount_; i++) {
      uv_thread_join(&sleepers_[i]->thread);
      delete sleepers_[i];
    }
    sleeperCount_ = 0;
  }

  // The thread-safe function's finalizer: after Stop() released it, or when
  // Node finalizes it at the env's cleanup, which can come first (its hook
  // was added after ours). No thread may call it from then on: the sleepers end here.
  static void Released(napi_env, void* engine, void*) {
    auto* self = static_cast<ThreadEngine*>(engine);
    self->StopSleepers();
    self->released_ = true;
    self->Closed();
  }

  // On the JS thread: has Deliver() run for what was settled.
  void Notify() {
    if (!released_) napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking);
  }

  // One of the two things Stop() closes is gone; after the second, the engine.
  void Closed() {
    if (++closed_ < 2) return;
    void (*stopped)(void*) = stopped_;
    void* arg = stoppedArg_;
    delete this;
    stopped(arg);
  }

  int64_t PollIntervalNs() const { return std::max<int64_t>(kPollNs, static_cast<int64_t>(pending_) * 1000); }

  // On the JS thread: the clock runs OnTick at `dueNs` at the latest.
  void Tick(int64_t dueNs) {
    if (tickAt_ >= 0 && tickAt_ <= dueNs) return;
    tickAt_ = dueNs;
    const int64_t delayNs = std::max<int64_t>(0, dueNs - NowNs());
    uv_timer_start(&clock_, OnTick, static_cast<uint64_t>((delayNs + 999999) / 1000000), 0);
  }

  // On the JS thread: ends waits whose deadline passed, looks at polled
  // waits, and sets the next tick.
  static void OnTick(uv_timer_t* clock) {
    auto* self = static_cast<ThreadEngine*>(clock->data);
    self->tickAt_ = -1;
    const int64_t now = NowNs();
    int64_t next = -1;
    auto later = [&](int64_t at) {
      if (at >= 0 && (next < 0 || at < next)) next = at;
    };
    bool settled = false;
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      for (size_t i = 0; i < self->sleeperCount_; i++) {
        ThreadWait* wait = self->sleepers_[i]->wait;
        if (wait == nullptr || wait->timedOut || wait->deadlineNs < 0) continue;
        if (now < wait->deadlineNs) {
          later(wait->deadlineNs);
          continue;
        }
        wait->timedOut = true;
        self->Ring(self->sleepers_[i]);
      }
      self->polled_.ForEach([&](ThreadWait* wait) {
        const int seen = LookAtWord(wait->word, wait->expected, wait->askKernel);
        if (seen != kSame) {
          wait->result = seen < 0 ? seen : 0;
        } else if (wait->deadlineNs >= 0 && now >= wait->deadlineNs) {
          wait->result = -ETIMEDOUT;
        } else {
          later(wait->deadlineNs);
          return;
        }
        self->polled_.Remove(wait);
        self->done_.PushBack(wait);
        settled = true;
      });
    }
    if (settled) self->Notify();
    if (!self->polled_.empty()) later(now + self->PollIntervalNs());
    later(self->RetireIdle(now));
    if (next >= 0) self->Tick(next);
  }

  // On the JS thread: ends the sleepers idle for kIdleLifeNs beyond the
  // kKeptIdle idle shortest. Returns when to look again (-1: no need).
  int64_t RetireIdle(int64_t now) {
    Sleeper* retiring[kMaxSleepers];
    size_t count = 0;
    int64_t again = -1;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      size_t kept = 0;
      idle_.ForEachNewest([&](Sleeper* sleeper) {
        if (kept < kKeptIdle) {
          kept++;
        } else if (now - sleeper->idleSince >= kIdleLifeNs) {
          idle_.Remove(sleeper);
          sleeper->retired = true;
          Ring(sleeper);
          retiring[count++] = sleeper;
        } else if (again < 0 || sleeper->idleSince + kIdleLifeNs < again) {
          again = sleeper->idleSince + kIdleLifeNs;
        }
        return true;
      });
    }
    for (size_t i = 0; i < count; i++) {
      uv_thread_join(&retiring[i]->thread);
      Sleeper** end = std::remove(sleepers_, sleepers_ + sleeperCount_, retiring[i]);
      sleeperCount_ = static_cast<size_t>(end - sleepers_);
      delete retiring[i];
    }
    return again;
  }

  // On the JS thread: resolves what sleepers and the clock settled, and gives
  // polled waits the sleepers that came free.
  static void Deliver(napi_env env, napi_value, void* context, void*) {
    // A null env is the queue being drained as the function is finalized:
    // nothing can be resolved any more.
    if (env == nullptr) return;
    auto* self = static_cast<ThreadEngine*>(context);
    LinkedList<ThreadWait> done;
    {
      std::lock_guard<std::mutex> lock(self->mutex_);
      done.TakeAll(self->done_);
    }
    done.ForEach([&](ThreadWait* wait) {
      done.Remove(wait);
      napi_value result;
      napi_create_int32(env, wait->result, &result);
      napi_resolve_deferred(env, wait->deferred, result);
      Unref(wait->region);
      delete wait;
      if (--self->pending_ == 0) napi_unref_threadsafe_function(env, self->tsfn_);
    });
    if (self->sleeperCount_ > kKeptIdle) self->Tick(NowNs() + kIdleLifeNs);
    while (!self->polled_.empty()) {
      Sleeper* sleeper = self->IdleSleeper(false);
      if (sleeper == nullptr) break;
      ThreadWait* wait = self->polled_.Front();
      self->polled_.Remove(wait);
      self->Arm(sleeper, wait);
    }
  }

  napi_env env_;
  napi_threadsafe_function tsfn_ = nullptr;
  bool hasWaitv_ = false;
  // The JS thread's own:
  uv_timer_t clock_;
  int64_t tickAt_ = -1;            // when the clock is due; -1: not running
  size_t pending_ = 0;             // waits not yet delivered
  LinkedList<ThreadWait> polled_;  // waits no sleeper was free for, oldest first
  Sleeper* sleepers_[kMaxSleepers] = {};
  size_t sleeperCount_ = 0;
  std::mutex mutex_;
  // Guarded by mutex_:
  LinkedList<Sleeper> idle_;
  LinkedList<ThreadWait> done_;  // settled, not yet delivered
  bool stopping_ = false;
  // What Stop() calls once the clock and the thread-safe function are gone.
  void (*stopped_)(void*) = nullptr;
  void* stoppedArg_ = nullptr;
  int closed_ = 0;
  bool released_ = false;  // the thread-safe function was finalized (JS thread only)
};

WaitEngine* StartThreadEngine(napi_env env) {
  auto* engine = new (std::nothrow) ThreadEngine(env);
  if (engine == nullptr || engine->Start()) return engine;
  delete engine;
  return nullptr;
}

}  // namespace mman
