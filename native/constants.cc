// Constants straight from the C headers, so lib/ never types a number in.
#include <fcntl.h>
#include <sys/mman.h>

#include "calls.h"

#define SET(object, prefix, name) object.Set(#name, Napi::Number::New(env, prefix##name))

namespace mman {

Napi::Object Constants(Napi::Env env) {
  Napi::Object prot = Napi::Object::New(env);
  SET(prot, PROT_, NONE);
  SET(prot, PROT_, READ);
  SET(prot, PROT_, WRITE);
  SET(prot, PROT_, EXEC);

  Napi::Object map = Napi::Object::New(env);
  SET(map, MAP_, SHARED);
  SET(map, MAP_, PRIVATE);
  // Linux has had these since 4.17 (Node 20 needs 4.18, glibc 2.28 defines them): lib/constants.ts
  // types them as always present, so headers without them must fail the build, not drop them.
  SET(map, MAP_, SHARED_VALIDATE);
  SET(map, MAP_, ANONYMOUS);
  SET(map, MAP_, FIXED);
  SET(map, MAP_, FIXED_NOREPLACE);
  SET(map, MAP_, POPULATE);
  SET(map, MAP_, NORESERVE);
  SET(map, MAP_, HUGETLB);
  // The kernel encodes the page size as log2 in the bits above MAP_HUGE_SHIFT.
  map.Set("HUGE_SHIFT", Napi::Number::New(env, MAP_HUGE_SHIFT));
  map.Set("HUGE_2MB", Napi::Number::New(env, 21 << MAP_HUGE_SHIFT));
  map.Set("HUGE_1GB", Napi::Number::New(env, 30 << MAP_HUGE_SHIFT));
  SET(map, MAP_, LOCKED);
  SET(map, MAP_, NONBLOCK);
  SET(map, MAP_, STACK);
  SET(map, MAP_, GROWSDOWN);
  SET(map, MAP_, SYNC);
#ifdef MAP_UNINITIALIZED
  SET(map, MAP_, UNINITIALIZED);
#endif
#ifdef MAP_32BIT
  SET(map, MAP_, 32BIT);
#endif

  Napi::Object madv = Napi::Object::New(env);
  SET(madv, MADV_, NORMAL);
  SET(madv, MADV_, RANDOM);
  SET(madv, MADV_, SEQUENTIAL);
  SET(madv, MADV_, WILLNEED);
  SET(madv, MADV_, DONTNEED);
  SET(madv, MADV_, FREE);
  SET(madv, MADV_, REMOVE);
  SET(madv, MADV_, DONTFORK);
  SET(madv, MADV_, DOFORK);
  SET(madv, MADV_, MERGEABLE);
  SET(madv, MADV_, UNMERGEABLE);
  SET(madv, MADV_, HUGEPAGE);
  SET(madv, MADV_, NOHUGEPAGE);
  SET(madv, MADV_, DONTDUMP);
  SET(madv, MADV_, DODUMP);
  SET(madv, MADV_, WIPEONFORK);
  SET(madv, MADV_, KEEPONFORK);
#ifdef MADV_COLD
  SET(madv, MADV_, COLD);
  SET(madv, MADV_, PAGEOUT);
#endif
#ifdef MADV_POPULATE_READ
  SET(madv, MADV_, POPULATE_READ);
  SET(madv, MADV_, POPULATE_WRITE);
#endif
#ifdef MADV_COLLAPSE
  SET(madv, MADV_, COLLAPSE);
#endif

  Napi::Object ms = Napi::Object::New(env);
  SET(ms, MS_, ASYNC);
  SET(ms, MS_, SYNC);
  SET(ms, MS_, INVALIDATE);

  Napi::Object mfd = Napi::Object::New(env);
  SET(mfd, MFD_, CLOEXEC);
  SET(mfd, MFD_, ALLOW_SEALING);
  SET(mfd, MFD_, HUGETLB);
#ifdef MFD_NOEXEC_SEAL
  SET(mfd, MFD_, NOEXEC_SEAL);
  SET(mfd, MFD_, EXEC);
#endif

  Napi::Object mremap = Napi::Object::New(env);
  SET(mremap, MREMAP_, MAYMOVE);
  SET(mremap, MREMAP_, FIXED);
#ifdef MREMAP_DONTUNMAP
  SET(mremap, MREMAP_, DONTUNMAP);
#endif

  Napi::Object mlock = Napi::Object::New(env);
#ifdef MLOCK_ONFAULT
  SET(mlock, MLOCK_, ONFAULT);
#endif
  SET(mlock, MCL_, CURRENT);
  SET(mlock, MCL_, FUTURE);

  Napi::Object seal = Napi::Object::New(env);
  SET(seal, F_SEAL_, SEAL);
  SET(seal, F_SEAL_, SHRINK);
  SET(seal, F_SEAL_, GROW);
  SET(seal, F_SEAL_, WRITE);
#ifdef F_SEAL_FUTURE_WRITE
  SET(seal, F_SEAL_, FUTURE_WRITE);
#endif

  Napi::Object constants = Napi::Object::New(env);
  constants.Set("SEAL", seal);
  constants.Set("PROT", prot);
  constants.Set("MAP", map);
  constants.Set("MADV", madv);
  constants.Set("MS", ms);
  constants.Set("MFD", mfd);
  constants.Set("MREMAP", mremap);
  constants.Set("MLOCK", mlock);
  return constants;
}

}  // namespace mman
