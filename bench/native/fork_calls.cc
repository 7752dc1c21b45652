// The fork() the seed's demos need, in the tools addon (the library never
// forks): the seed's fork example, and a probe of what a child inherits.
// Everything a child runs is native and async-signal-safe.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../../native/args.h"
#include "tools.h"

namespace mman {

namespace {

// Everything below runs in the forked child of a multi-threaded process, where
// only async-signal-safe calls are allowed: no malloc, no stdio, no JS.
struct Line {
  char text[512];
  size_t length = 0;
  void Add(const char* s) {
    while (*s != '\0' && length < sizeof text - 1) text[length++] = *s++;
  }
  void Add(const char* s, size_t max) {
    for (size_t i = 0; i < max && s[i] != '\0' && length < sizeof text - 1; i++) text[length++] = s[i];
  }
  void AddNumber(long value) {
    char digits[24];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value > 0 && n < 23);
    while (n > 0 && length < sizeof text - 1) text[length++] = digits[--n];
  }
};

void WriteAll(int fd, const char* data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data += n;
    length -= static_cast<size_t>(n);
  }
}

// "PID <pid>:\t<label1> <s1>, <label2> <s2>\n" for each pair of pages.
void PrintPairs(int fd, const std::vector<const char*>& pages, const char* const* labels) {
  for (size_t i = 0; i + 1 < pages.size(); i += 2) {
    Line line;
    line.Add("PID ");
    line.AddNumber(static_cast<long>(getpid()));
    line.Add(":\t");
    line.Add(labels[i]);
    line.Add(" ");
    line.Add(pages[i], 256);
    line.Add(", ");
    line.Add(labels[i + 1]);
    line.Add(" ");
    line.Add(pages[i + 1], 256);
    line.Add("\n");
    WriteAll(fd, line.text, line.length);
  }
}

// How many of `pages` pages from `address` are mapped in this process, by
// mincore(), which fails with ENOMEM on an unmapped page and never touches the
// memory; -errno for any other failure. Runs in the forked child, so it only
// makes syscalls. A wholly mapped chunk costs one call; a chunk with a hole is
// counted page by page.
int64_t CountMappedPages(uintptr_t address, uint64_t pages, size_t pageSize) {
  constexpr uint64_t kChunk = 512;
  unsigned char residency[kChunk];
  int64_t mapped = 0;
  for (uint64_t done = 0; done < pages;) {
    const uint64_t count = pages - done < kChunk ? pages - done : kChunk;
    const uintptr_t start = address + done * pageSize;
    if (mincore(reinterpret_cast<void*>(start), count * pageSize, residency) == 0) {
      mapped += static_cast<int64_t>(count);
    } else if (errno != ENOMEM) {
      return -errno;
    } else {
      for (uint64_t i = 0; i < count; i++) {
        if (mincore(reinterpret_cast<void*>(start + i * pageSize), pageSize, residency) == 0) {
          mapped++;
        } else if (errno != ENOMEM) {
          return -errno;
        }
      }
    }
    done += count;
  }
  return mapped;
}

size_t ReadFull(int fd, char* data, size_t length) {
  size_t got = 0;
  while (got < length) {
    ssize_t n = read(fd, data + got, length - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

}  // namespace

// forkDemo(addresses: bigint[] [anon, zero, (privateAnon, privateZero)], sleepMs, outFd) -> child pid | -errno.
// The child prints the string at each address (pages the caller mapped and
// keeps mapped) to outFd, sleeps, prints again and _exits. A tool for the
// seed's demo: it trusts the addresses, which only mman's own demo passes.
Napi::Value ForkDemo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t sleepMs = 0, outFd = 1;
  if (info.Length() < 3 || !info[0].IsArray() || !Int64Arg(info, 1, &sleepMs) || sleepMs < 0 ||
      !Int64Arg(info, 2, &outFd)) {
    return Errno(env, -EINVAL);
  }
  Napi::Array addresses = info[0].As<Napi::Array>();
  if (addresses.Length() != 2 && addresses.Length() != 4) return Errno(env, -EINVAL);
  std::vector<const char*> pages;
  for (uint32_t i = 0; i < addresses.Length(); i++) {
    Napi::Value value = addresses.Get(i);
    bool lossless = false;
    const uint64_t address = value.IsBigInt() ? value.As<Napi::BigInt>().Uint64Value(&lossless) : 0;
    if (!lossless || address == 0) return Errno(env, -EINVAL);
    pages.push_back(reinterpret_cast<const char*>(address));
  }
  static const char* const kLabels[] = {"anonymous", "zero-backed", "private anonymous", "private zero-backed"};
  pid_t pid = fork();
  if (pid < 0) return Errno(env, -errno);
  if (pid == 0) {
    const int fd = static_cast<int>(outFd);
    PrintPairs(fd, pages, kLabels);
    timespec pause = {static_cast<time_t>(sleepMs / 1000), static_cast<long>((sleepMs % 1000) * 1000000)};
    while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
    }
    PrintPairs(fd, pages, kLabels);
    _exit(0);
  }
  return Napi::Number::New(env, pid);
}

// forkProbe(address: bigint, pages) -> [mapped, childErrno] | -errno: forks a
// child that counts how many of the pages from the page-aligned address are
// mapped in its own address space (MADV_DONTFORK ranges are not), writes the
// count (or -errno of its mincore) to a pipe and _exits; the parent waits.
// -EPIPE: the child died before it reported.
Napi::Value ForkProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t pageSize = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  uintptr_t address = 0;
  int64_t pages = 0;
  if (!UintptrArg(info, 0, &address) || address % pageSize != 0 || !Int64Arg(info, 1, &pages) || pages < 1 ||
      static_cast<uint64_t>(pages) - 1 > (UINTPTR_MAX - address) / pageSize) {
    return Errno(env, -EINVAL);
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return Errno(env, -errno);
  const pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    close(report[0]);
    close(report[1]);
    return Errno(env, -error);
  }
  if (pid == 0) {
    const int64_t mapped = CountMappedPages(address, static_cast<uint64_t>(pages), pageSize);
    WriteAll(report[1], reinterpret_cast<const char*>(&mapped), sizeof mapped);
    _exit(0);
  }
  close(report[1]);
  int64_t mapped = 0;
  const size_t got = ReadFull(report[0], reinterpret_cast<char*>(&mapped), sizeof mapped);
  close(report[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (got != sizeof mapped) return Errno(env, -EPIPE);
  Napi::Array result = Napi::Array::New(env, 2);
  result.Set(0u, Napi::Number::New(env, mapped < 0 ? 0 : static_cast<double>(mapped)));
  result.Set(1u, Napi::Number::New(env, mapped < 0 ? static_cast<double>(mapped) : 0));
  return result;
}

// waitChild(pid) -> [state, code]: state 0 running, 1 exited (code = status), 2 killed (code = signal) | -errno
Napi::Value WaitChild(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t pid = 0;
  if (!Int64Arg(info, 0, &pid) || pid <= 0) return Errno(env, -EINVAL);
  int status = 0;
  pid_t rc = waitpid(static_cast<pid_t>(pid), &status, WNOHANG);
  if (rc < 0) return Errno(env, -errno);
  Napi::Array result = Napi::Array::New(env, 2);
  if (rc == 0) {
    result.Set(0u, Napi::Number::New(env, 0));
    result.Set(1u, Napi::Number::New(env, 0));
  } else if (WIFSIGNALED(status)) {
    result.Set(0u, Napi::Number::New(env, 2));
    result.Set(1u, Napi::Number::New(env, WTERMSIG(status)));
  } else {
    result.Set(0u, Napi::Number::New(env, 1));
    result.Set(1u, Napi::Number::New(env, WEXITSTATUS(status)));
  }
  return result;
}

}  // namespace mman
