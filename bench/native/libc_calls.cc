// libc's own words, for the mman command's cat (the seed's C program prints perror()).
#include <cstring>

#include "../../native/args.h"
#include "tools.h"

namespace mman {

// strerror(errno) -> libc's text for it, as perror() prints it.
Napi::Value Strerror(const Napi::CallbackInfo& info) {
  int64_t errnum = 0;
  if (!Int64Arg(info, 0, &errnum)) return Errno(info.Env(), -EINVAL);
  return Napi::String::New(info.Env(), strerror(static_cast<int>(errnum)));
}

}  // namespace mman
