// Timing kernels for bench/: the measured work must run without JS in the
// way. Each kernel times only its own work with CLOCK_MONOTONIC_RAW and counts
// the minor faults of this thread (RUSAGE_THREAD) around it.
#include <fcntl.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "../../native/args.h"
#include "tools.h"

namespace mman {

namespace {

constexpr size_t kHugePage = 2 * 1024 * 1024;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

long MinorFaults() {
  rusage usage;
  getrusage(RUSAGE_THREAD, &usage);
  return usage.ru_minflt;
}

// Hides a pointer's origin from the optimizer, so that malloc + memset(0)
// is not turned into calloc and a memset is not dropped as dead.
template <typename T>
void Opaque(T*& pointer) {
  asm volatile("" : "+r"(pointer) : : "memory");
}

long AnonHugeKiB() {
  FILE* file = fopen("/proc/self/smaps_rollup", "r");
  if (file == nullptr) return -1;
  char line[256];
  long kib = -1;
  while (fgets(line, sizeof line, file) != nullptr) {
    if (sscanf(line, "AnonHugePages: %ld kB", &kib) == 1) break;
  }
  fclose(file);
  return kib;
}

struct Trial {
  int64_t ns = 0;
  long faults = 0;
  long anonHugeKiB = -1;
  int mallocUsedMmap = -1;  // -1: not a malloc mode
  int error = 0;
};

class Timer {
 public:
  void Start() {
    faults_ = MinorFaults();
    start_ = NowNs();
  }
  void Stop(Trial& trial) {
    trial.ns = NowNs() - start_;
    trial.faults = MinorFaults() - faults_;
  }

 private:
  int64_t start_ = 0;
  long faults_ = 0;
};

// Bytes malloc holds in blocks it got from mmap() (glibc's public statistics).
size_t MmappedBytes() {
  return mallinfo2().hblkhd;
}

Trial RunMalloc(size_t bytes, bool callocOnly, bool touch) {
  Trial trial;
  Timer timer;
  char* p;
  const size_t mmappedBefore = MmappedBytes();
  timer.Start();
  if (callocOnly) {
    p = static_cast<char*>(calloc(bytes, 1));
    Opaque(p);
    if (p != nullptr && touch) {
      for (size_t i = 0; i < bytes; i += 4096) p[i] = 1;
    }
  } else {
    p = static_cast<char*>(malloc(bytes));
    Opaque(p);
    if (p != nullptr) memset(p, 0, bytes);
  }
  Opaque(p);
  timer.Stop(trial);
  if (p == nullptr) {
    trial.error = -ENOMEM;
    return trial;
  }
  trial.mallocUsedMmap = MmappedBytes() - mmappedBefore >= bytes;
  trial.anonHugeKiB = AnonHugeKiB();
  free(p);
  return trial;
}

Trial RunMmap(size_t bytes, int flags, int fd, bool hugeAligned, bool prefault) {
  Trial trial;
  Timer timer;
  const size_t mapped = hugeAligned ? bytes + kHugePage : bytes;
  if (!prefault) timer.Start();
  void* base = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, flags, fd, 0);
  if (base == MAP_FAILED) {
    trial.error = -errno;
    return trial;
  }
  char* p = static_cast<char*>(base);
  if (hugeAligned) {
    p = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(base) + kHugePage - 1) & ~(kHugePage - 1));
    madvise(p, bytes, MADV_HUGEPAGE);
  }
  if (prefault) {
    memset(p, 1, bytes);
    Opaque(p);
    timer.Start();
  }
  memset(p, prefault ? 2 : 1, bytes);
  Opaque(p);
  timer.Stop(trial);
  trial.anonHugeKiB = AnonHugeKiB();
  munmap(base, mapped);
  return trial;
}

Trial RunZeroing(const std::string& mode, size_t bytes) {
  const int privateAnon = MAP_PRIVATE | MAP_ANONYMOUS;
  if (mode == "malloc-memset0") return RunMalloc(bytes, false, false);
  if (mode == "calloc") return RunMalloc(bytes, true, false);
  if (mode == "calloc-touch") return RunMalloc(bytes, true, true);
  if (mode == "mmap-memset1") return RunMmap(bytes, privateAnon, -1, false, false);
  if (mode == "populate-memset1") return RunMmap(bytes, privateAnon | MAP_POPULATE, -1, false, false);
  if (mode == "thp-memset1") return RunMmap(bytes, privateAnon, -1, true, false);
  if (mode == "prefaulted-memset") return RunMmap(bytes, privateAnon, -1, false, true);
  if (mode == "shared-anon-memset1") return RunMmap(bytes, MAP_SHARED | MAP_ANONYMOUS, -1, false, false);
  if (mode == "shared-devzero-memset1") {
    int fd = open("/dev/zero", O_RDWR);
    if (fd < 0) {
      Trial trial;
      trial.error = -errno;
      return trial;
    }
    Trial trial = RunMmap(bytes, MAP_SHARED, fd, false, false);
    close(fd);
    return trial;
  }
  Trial trial;
  trial.error = -EINVAL;
  return trial;
}

}  // namespace

// zeroingTrial(mode, bytes) -> { ns, minorFaults, anonHugeKiB, mallocUsedMmap } | -errno
Napi::Value ZeroingTrial(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t bytes = 0;
  if (info.Length() < 1 || !info[0].IsString() || !Int64Arg(info, 1, &bytes) || bytes <= 0) {
    return Errno(env, -EINVAL);
  }
  Trial trial = RunZeroing(info[0].As<Napi::String>().Utf8Value(), static_cast<size_t>(bytes));
  if (trial.error != 0) return Errno(env, trial.error);
  Napi::Object result = Napi::Object::New(env);
  result.Set("ns", Napi::Number::New(env, static_cast<double>(trial.ns)));
  result.Set("minorFaults", Napi::Number::New(env, trial.faults));
  result.Set("anonHugeKiB", Napi::Number::New(env, trial.anonHugeKiB));
  if (trial.mallocUsedMmap >= 0) result.Set("mallocUsedMmap", Napi::Boolean::New(env, trial.mallocUsedMmap == 1));
  return result;
}

// mmapMunmapLoop(iterations) -> total ns of that many mmap + munmap 4 KiB pairs, in C.
Napi::Value MmapMunmapLoop(const Napi::CallbackInfo& info) {
  int64_t iterations = 0;
  if (!Int64Arg(info, 0, &iterations) || iterations <= 0) return Errno(info.Env(), -EINVAL);
  const int64_t start = NowNs();
  for (int64_t i = 0; i < iterations; i++) {
    void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return Errno(info.Env(), -errno);
    munmap(p, 4096);
  }
  return Napi::Number::New(info.Env(), static_cast<double>(NowNs() - start));
}

// threadMinorFaults() -> minor faults of the calling thread so far.
Napi::Value ThreadMinorFaults(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(MinorFaults()));
}

}  // namespace mman
