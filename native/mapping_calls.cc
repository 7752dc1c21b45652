// mmap and the calls that act on a mapped region. Offsets are relative to the
// region; lib/ has already rounded them to pages and checked them.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "args.h"
#include "async_wait.h"
#include "calls.h"
#include "region_args.h"
#include "views.h"

namespace mman {

namespace {

size_t RoundUpToPage(size_t length) {
  const size_t page = PageSize();
  return (length + page - 1) / page * page;
}

Region* LiveMappedRegion(const Napi::CallbackInfo& info) {
  Region* region = RegionArg(info, 0);
  if (region == nullptr || region->released || region->kind != RegionKind::Mapped) return nullptr;
  return region;
}

// MAP_FIXED replaces whatever is mapped at the address, so it is only allowed
// inside a region we own, and not over a mapping already placed there (live,
// or released with views that may still point into it). The reason for a
// refusal, or nullptr.
const char* RefuseFixedPlacement(napi_env env, uintptr_t address, size_t length, Region** owner) {
  if (address % PageSize() != 0) return "unaligned";
  *owner = FindOwner(env, address, length);
  if (*owner == nullptr) return "not-owned";
  if (OverlapsChild(*owner, address, length)) return "overlaps";
  return nullptr;
}

// Gives a MAP_FIXED placement's range back to the reservation it replaced.
void Unplace(uintptr_t address, size_t length) {
  mmap(reinterpret_cast<void*>(address), length, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
       0);
}

// A file whose size another mapping, or another process, may cut below the
// mapping (a memfd sealed against shrinking cannot be).
bool MayShrink(int64_t flags, int64_t fd) {
  if ((flags & MAP_ANONYMOUS) != 0 || fd < 0) return false;
  const int seals = fcntl(static_cast<int>(fd), F_GET_SEALS);
  return seals < 0 || (seals & F_SEAL_SHRINK) == 0;
}

}  // namespace

// mmap(hint: bigint, length, prot, flags, fd, offset, keepFd) -> handle |
// -errno | why MAP_FIXED was refused ('unaligned', 'not-owned', 'overlaps').
// keepFd makes the region hold a duplicate of fd, so that the file's size can
// be checked for as long as the mapping lives.
Napi::Value Mmap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uintptr_t hint = 0;
  int64_t length = 0, prot = 0, flags = 0, fd = 0, offset = 0;
  if (!UintptrArg(info, 0, &hint) || !Int64Arg(info, 1, &length) || !Int64Arg(info, 2, &prot) ||
      !Int64Arg(info, 3, &flags) || !Int64Arg(info, 4, &fd) || !Int64Arg(info, 5, &offset) || length <= 0 ||
      offset < 0) {
    return Errno(env, -EINVAL);
  }
  const bool keepFd = BoolArg(info, 6);
  Region* parent = nullptr;
  if (flags & MAP_FIXED) {
    const char* refusal = RefuseFixedPlacement(env, hint, RoundUpToPage(static_cast<size_t>(length)), &parent);
    if (refusal != nullptr) return Napi::String::New(env, refusal);
    // The pages are replaced: a wait on a word there would watch memory that is gone.
    CancelWaits(env, hint, RoundUpToPage(static_cast<size_t>(length)));
  }
  void* address = mmap(reinterpret_cast<void*>(hint), static_cast<size_t>(length), static_cast<int>(prot),
                       static_cast<int>(flags), static_cast<int>(fd), static_cast<off_t>(offset));
  if (address == MAP_FAILED) return Errno(env, -errno);
  const size_t size = RoundUpToPage(static_cast<size_t>(length));
  // Until the region is in the books, a failure gives the range back as it was.
  auto undo = [&](int error) {
    if (parent != nullptr) {
      Unplace(reinterpret_cast<uintptr_t>(address), size);
    } else {
      munmap(address, size);
    }
    return Errno(env, -error);
  };
  int fileFd = -1;
  if (keepFd) {
    fileFd = fcntl(static_cast<int>(fd), F_DUPFD_CLOEXEC, 0);
    if (fileFd < 0) return undo(errno);
  }
  Region* region = NewRegion(env, RegionKind::Mapped, reinterpret_cast<uintptr_t>(address), size, parent, fileFd);
  if (region == nullptr) {
    if (fileFd >= 0) close(fileFd);
    return undo(ENOMEM);
  }
  region->pagesAltered = (prot & PROT_READ) == 0 || MayShrink(flags, fd);
  if (parent != nullptr) NoteChildPlaced(parent);
  region->privateMemory = (flags & (MAP_PRIVATE | MAP_ANONYMOUS)) == (MAP_PRIVATE | MAP_ANONYMOUS) &&
                          (flags & (MAP_NORESERVE | MAP_HUGETLB)) == 0 && (prot & PROT_WRITE) != 0;
  napi_value handle = WrapRegion(env, region);
  if (handle == nullptr) {
    // Nothing references it: released, it goes with the reference taken here.
    Ref(region);
    Release(env, region);
    Unref(region);
    return Errno(env, -ENOMEM);
  }
  return Napi::Value(env, handle);
}

// munmap(handle, dropHandle) -> 0 | -errno. Unmapping a region released
// already (by an earlier munmap, or with the region it was placed in) does
// nothing. dropHandle: lib/ lets go of the handle once it is unmapped.
Napi::Value Munmap(const Napi::CallbackInfo& info) {
  Region* region = RegionArg(info, 0);
  if (region == nullptr) return Errno(info.Env(), -EINVAL);
  const int rc = Release(info.Env(), region);
  if (rc == 0 && BoolArg(info, 1)) DropHandle(region);
  return Errno(info.Env(), rc);
}

// view(handle, offset, length, dropHandle) -> ArrayBuffer | -errno.
// dropHandle: from now on the views alone keep the region (see WrapRegion).
Napi::Value RegionView(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Region* region = RegionArg(info, 0);
  int64_t offset = 0, length = 0;
  if (region == nullptr || !Int64Arg(info, 1, &offset) || !Int64Arg(info, 2, &length) || offset < 0 || length < 0) {
    return Errno(env, -EINVAL);
  }
  napi_value buffer;
  int rc = CreateView(env, region, static_cast<size_t>(offset), static_cast<size_t>(length), &buffer);
  if (rc != 0) return Errno(env, rc);
  if (BoolArg(info, 3)) DropHandle(region);
  return Napi::Value(env, buffer);
}

// sharedView(handle, offset, length) -> SharedArrayBuffer | -errno (-ENOSYS: the runtime cannot make one)
Napi::Value RegionSharedView(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Region* region = RegionArg(info, 0);
  int64_t offset = 0, length = 0;
  if (region == nullptr || !Int64Arg(info, 1, &offset) || !Int64Arg(info, 2, &length) || offset < 0 || length < 0) {
    return Errno(env, -EINVAL);
  }
  napi_value buffer;
  int rc = CreateSharedView(env, region, static_cast<size_t>(offset), static_cast<size_t>(length), &buffer);
  if (rc != 0) return Errno(env, rc);
  return Napi::Value(env, buffer);
}

// dropHandle(handle): lib/ no longer holds the handle; called once, after which
// the handle must not be used again.
Napi::Value RegionDropHandle(const Napi::CallbackInfo& info) {
  Region* region = RegionArg(info, 0);
  if (region != nullptr) DropHandle(region);
  return info.Env().Undefined();
}

// lifetimeCounts() -> [regions not yet disposed, zombie ranges not yet unmapped]
Napi::Value LifetimeCounts(const Napi::CallbackInfo& info) {
  FlushFrees(info.Env());
  Napi::Array counts = Napi::Array::New(info.Env(), 2);
  counts.Set(0u, Napi::Number::New(info.Env(), static_cast<double>(LiveRegions())));
  counts.Set(1u, Napi::Number::New(info.Env(), static_cast<double>(ZombieRanges())));
  return counts;
}

// Teardown (see views.h): holdViews() -> views in doubt | -errno; releaseViews().
Napi::Value TeardownHold(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), HoldViews(info.Env()));
}
Napi::Value TeardownRelease(const Napi::CallbackInfo& info) {
  ReleaseViews(info.Env());
  return info.Env().Undefined();
}

// vmaCount() -> the lines of /proc/self/maps (the process's VMAs) | -errno.
// Counted here, through a small buffer: near vm.max_map_count, a string of
// the whole file could need memory the process can no longer map.
Napi::Value VmaCount(const Napi::CallbackInfo& info) {
  FlushFrees(info.Env());
  const int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Errno(info.Env(), -errno);
  char chunk[16384];
  double lines = 0;
  ssize_t n;
  while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
    for (ssize_t i = 0; i < n; i++) lines += chunk[i] == '\n';
  }
  const int error = n < 0 ? errno : 0;
  close(fd);
  return error != 0 ? Errno(info.Env(), -error) : Napi::Number::New(info.Env(), lines);
}

// setDetacher(fn: (buffer) => boolean): detaches buffers from now on (see region.h).
Napi::Value Detacher(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsFunction()) return Errno(info.Env(), -EINVAL);
  SetDetacher(info.Env(), info[0]);
  return Errno(info.Env(), 0);
}

// regionFd(handle) -> the region's duplicate of its file's fd, or -1
Napi::Value RegionFd(const Napi::CallbackInfo& info) {
  Region* region = RegionArg(info, 0);
  return Napi::Number::New(info.Env(), region == nullptr || region->released ? -1 : region->fileFd);
}

Napi::Value RegionReleased(const Napi::CallbackInfo& info) {
  Region* region = RegionArg(info, 0);
  return Napi::Boolean::New(info.Env(), region == nullptr || region->released);
}

Napi::Value RegionAddress(const Napi::CallbackInfo& info) {
  Region* region = RegionArg(info, 0);
  if (region == nullptr || region->released) return BigUint(info.Env(), 0);
  return BigUint(info.Env(), region->base);
}

// mprotect(handle, offset, length, prot)
Napi::Value Mprotect(const Napi::CallbackInfo& info) {
  Region* region = LiveMappedRegion(info);
  uintptr_t start = 0;
  size_t length = 0;
  int64_t prot = 0;
  if (region == nullptr || !RangeArgs(info, 1, region, true, &start, &length) || !Int64Arg(info, 3, &prot)) {
    return Errno(info.Env(), -EINVAL);
  }
  NoteProtect(region);
  // The waiter thread reads the words it waits on: none may become unreadable under it.
  if ((prot & PROT_READ) == 0) CancelWaits(info.Env(), start, length);
  return ResultOrErrno(info.Env(), mprotect(reinterpret_cast<void*>(start), length, static_cast<int>(prot)));
}

// madvise(handle, offset, length, advice)
Napi::Value Madvise(const Napi::CallbackInfo& info) {
  Region* region = LiveMappedRegion(info);
  uintptr_t start = 0;
  size_t length = 0;
  int64_t advice = 0;
  if (region == nullptr || !RangeArgs(info, 1, region, true, &start, &length) || !Int64Arg(info, 3, &advice)) {
    return Errno(info.Env(), -EINVAL);
  }
  NoteAdvice(region, static_cast<int>(advice));
  return ResultOrErrno(info.Env(), madvise(reinterpret_cast<void*>(start), length, static_cast<int>(advice)));
}

// msync(handle, offset, length, flags)
Napi::Value Msync(const Napi::CallbackInfo& info) {
  Region* region = LiveMappedRegion(info);
  uintptr_t start = 0;
  size_t length = 0;
  int64_t flags = 0;
  if (region == nullptr || !RangeArgs(info, 1, region, true, &start, &length) || !Int64Arg(info, 3, &flags)) {
    return Errno(info.Env(), -EINVAL);
  }
  return ResultOrErrno(info.Env(), msync(reinterpret_cast<void*>(start), length, static_cast<int>(flags)));
}

// mincore(handle, offset, length, out: Uint8Array with one byte per page)
Napi::Value Mincore(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Region* region = LiveMappedRegion(info);
  uintptr_t start = 0;
  size_t length = 0;
  if (region == nullptr || !RangeArgs(info, 1, region, true, &start, &length) || info.Length() < 4 ||
      !info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    return Errno(env, -EINVAL);
  }
  Napi::Uint8Array out = info[3].As<Napi::Uint8Array>();
  const size_t pages = (length + PageSize() - 1) / PageSize();
  if (out.ElementLength() < pages) return Errno(env, -ERANGE);
  return ResultOrErrno(env, mincore(reinterpret_cast<void*>(start), length, out.Data()));
}

// mlock(handle, offset, length, flags) — flags are mlock2()'s (MLOCK_ONFAULT).
Napi::Value Mlock(const Napi::CallbackInfo& info) {
  Region* region = LiveMappedRegion(info);
  uintptr_t start = 0;
  size_t length = 0;
  int64_t flags = 0;
  if (region == nullptr || !RangeArgs(info, 1, region, false, &start, &length) || !Int64Arg(info, 3, &flags)) {
    return Errno(info.Env(), -EINVAL);
  }
  return ResultOrErrno(info.Env(), mlock2(reinterpret_cast<void*>(start), length, static_cast<unsigned>(flags)));
}

Napi::Value Munlock(const Napi::CallbackInfo& info) {
  Region* region = LiveMappedRegion(info);
  uintptr_t start = 0;
  size_t length = 0;
  if (region == nullptr || !RangeArgs(info, 1, region, false, &start, &length)) {
    return Errno(info.Env(), -EINVAL);
  }
  // The raw syscall: sanitizer runtimes intercept munlock() as a no-op.
  return ResultOrErrno(info.Env(), static_cast<int>(syscall(SYS_munlock, start, length)));
}

// mremap(handle, newLength): every view is detached; the region may move.
Napi::Value Mremap(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Region* region = LiveMappedRegion(info);
  int64_t newLength = 0;
  if (region == nullptr || !Int64Arg(info, 1, &newLength) || newLength <= 0) return Errno(env, -EINVAL);
  return Errno(env, Remap(env, region, RoundUpToPage(static_cast<size_t>(newLength))));
}

}  // namespace mman
