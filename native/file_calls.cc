// fstat, memfd_create and file seals: the file side of mapping.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "args.h"
#include "calls.h"

namespace mman {

// fstat(fd, out: BigInt64Array(16)) -> 0 | -errno. Field order is what fstat() in lib/fstat.ts destructures.
Napi::Value Fstat(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t fd = 0;
  if (!Int64Arg(info, 0, &fd) || info.Length() < 2 || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_bigint64_array ||
      info[1].As<Napi::TypedArray>().ElementLength() < 16) {
    return Errno(env, -EINVAL);
  }
  struct stat st;
  if (fstat(static_cast<int>(fd), &st) != 0) return Errno(env, -errno);
  int64_t* out = static_cast<int64_t*>(info[1].As<Napi::TypedArray>().ArrayBuffer().Data()) +
                 info[1].As<Napi::TypedArray>().ByteOffset() / sizeof(int64_t);
  const int64_t fields[16] = {
      static_cast<int64_t>(st.st_dev),         static_cast<int64_t>(st.st_ino),
      static_cast<int64_t>(st.st_mode),        static_cast<int64_t>(st.st_nlink),
      static_cast<int64_t>(st.st_uid),         static_cast<int64_t>(st.st_gid),
      static_cast<int64_t>(st.st_rdev),        static_cast<int64_t>(st.st_size),
      static_cast<int64_t>(st.st_blksize),     static_cast<int64_t>(st.st_blocks),
      static_cast<int64_t>(st.st_atim.tv_sec), static_cast<int64_t>(st.st_atim.tv_nsec),
      static_cast<int64_t>(st.st_mtim.tv_sec), static_cast<int64_t>(st.st_mtim.tv_nsec),
      static_cast<int64_t>(st.st_ctim.tv_sec), static_cast<int64_t>(st.st_ctim.tv_nsec),
  };
  for (int i = 0; i < 16; i++) out[i] = fields[i];
  return Errno(env, 0);
}

// memfdCreate(name, flags) -> fd | -errno
Napi::Value MemfdCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t flags = 0;
  if (info.Length() < 1 || !info[0].IsString() || !Int64Arg(info, 1, &flags)) return Errno(env, -EINVAL);
  std::string name = info[0].As<Napi::String>().Utf8Value();
  return ResultOrErrno(env, memfd_create(name.c_str(), static_cast<unsigned>(flags)));
}

// addSeals(fd, seals) -> 0 | -errno;  getSeals(fd) -> seals | -errno
Napi::Value AddSeals(const Napi::CallbackInfo& info) {
  int64_t fd = 0, seals = 0;
  if (!Int64Arg(info, 0, &fd) || !Int64Arg(info, 1, &seals)) return Errno(info.Env(), -EINVAL);
  return ResultOrErrno(info.Env(), fcntl(static_cast<int>(fd), F_ADD_SEALS, static_cast<int>(seals)));
}

Napi::Value GetSeals(const Napi::CallbackInfo& info) {
  int64_t fd = 0;
  if (!Int64Arg(info, 0, &fd)) return Errno(info.Env(), -EINVAL);
  return ResultOrErrno(info.Env(), fcntl(static_cast<int>(fd), F_GET_SEALS));
}

// allocate(fd, size) -> 0 | -errno: reserves the file's blocks now
// (posix_fallocate), so a tmpfs that is too small says ENOSPC here rather than
// with SIGBUS at the first write past its limit.
Napi::Value Allocate(const Napi::CallbackInfo& info) {
  int64_t fd = 0, size = 0;
  if (!Int64Arg(info, 0, &fd) || !Int64Arg(info, 1, &size) || size <= 0) return Errno(info.Env(), -EINVAL);
  return Errno(info.Env(), -posix_fallocate(static_cast<int>(fd), 0, static_cast<off_t>(size)));
}

}  // namespace mman
