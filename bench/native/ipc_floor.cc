// The hardware floor of a 64-byte round trip between two processes: the
// message and a flag in two cache lines of shared memory, moved by C with no
// JS in the way. The ipc suite runs both ends in the same parent/child pair as
// its JS transports, so their ratios to it come from one placement.
//
// Layout (the start of a region the caller maps shared): the flag at byte 0,
// the 64-byte payload at byte 64. Turn t: the parent fills the payload and
// stores the flag 2t+1; the peer copies the payload out and back (its echo)
// and stores 2t+2. Every wait is bounded (timeoutMs without the awaited
// value: -ETIMEDOUT), so a dead end cannot hang the other.
#include <time.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "../../native/args.h"
#include "tools.h"

namespace mman {

namespace {

constexpr size_t kPayloadOffset = 64;
constexpr size_t kWords = 16;  // 64 bytes
constexpr size_t kBytesNeeded = kPayloadOffset + kWords * sizeof(uint32_t);

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct Floor {
  std::atomic<uint32_t>* flag;
  uint32_t* payload;
  uint32_t turn;
  int64_t rounds;
  int64_t timeoutNs;
};

// (buffer, turn, rounds, timeoutMs): false on a buffer too small or misaligned, or a bad count.
bool FloorArgs(const Napi::CallbackInfo& info, Floor* floor) {
  int64_t turn = 0, rounds = 0, timeoutMs = 0;
  if (info.Length() < 4 || !info[0].IsArrayBuffer()) return false;
  if (!Int64Arg(info, 1, &turn) || !Int64Arg(info, 2, &rounds) || !Int64Arg(info, 3, &timeoutMs)) return false;
  if (turn < 0 || rounds < 0 || timeoutMs <= 0 || turn + rounds > INT32_MAX / 2) return false;
  Napi::ArrayBuffer buffer = info[0].As<Napi::ArrayBuffer>();
  auto* base = static_cast<char*>(buffer.Data());
  if (base == nullptr || buffer.ByteLength() < kBytesNeeded || reinterpret_cast<uintptr_t>(base) % 64 != 0)
    return false;
  floor->flag = reinterpret_cast<std::atomic<uint32_t>*>(base);
  floor->payload = reinterpret_cast<uint32_t*>(base + kPayloadOffset);
  floor->turn = static_cast<uint32_t>(turn);
  floor->rounds = rounds;
  floor->timeoutNs = timeoutMs * 1000000;
  return true;
}

// Spins until the flag holds `value`; false once that took the timeout. The
// clock is read only every 65,536 spins: a wait that ends quickly reads none.
bool AwaitFlag(const Floor& floor, uint32_t value) {
  int64_t since = 0;
  for (uint32_t spins = 1;; spins++) {
    if (floor.flag->load(std::memory_order_acquire) == value) return true;
    if ((spins & 0xffff) != 0) continue;
    const int64_t now = MonotonicNs();
    if (since == 0)
      since = now;
    else if (now - since > floor.timeoutNs)
      return false;
  }
}

}  // namespace

// ipcFloorRoundTrips(buffer, turn, rounds, timeoutMs) -> 0 | -errno: the
// parent's `rounds` round trips from turn `turn` on. The payload is written in
// place; the echo is checked (first and last word), -EPROTO if it is wrong.
Napi::Value IpcFloorRoundTrips(const Napi::CallbackInfo& info) {
  Floor floor;
  if (!FloorArgs(info, &floor)) return Errno(info.Env(), -EINVAL);
  for (int64_t i = 0; i < floor.rounds; i++) {
    const uint32_t turn = floor.turn + static_cast<uint32_t>(i);
    for (size_t w = 0; w < kWords; w++) floor.payload[w] = turn;
    floor.flag->store(2 * turn + 1, std::memory_order_release);
    if (!AwaitFlag(floor, 2 * turn + 2)) return Errno(info.Env(), -ETIMEDOUT);
    if (floor.payload[0] != turn || floor.payload[kWords - 1] != turn) return Errno(info.Env(), -EPROTO);
  }
  return Napi::Number::New(info.Env(), 0);
}

// ipcFloorServe(buffer, turn, rounds, timeoutMs) -> 0 | -errno: the peer's
// side, answering `rounds` messages: each is copied out, then back as the echo.
Napi::Value IpcFloorServe(const Napi::CallbackInfo& info) {
  Floor floor;
  if (!FloorArgs(info, &floor)) return Errno(info.Env(), -EINVAL);
  uint32_t message[kWords];
  for (int64_t i = 0; i < floor.rounds; i++) {
    const uint32_t turn = floor.turn + static_cast<uint32_t>(i);
    if (!AwaitFlag(floor, 2 * turn + 1)) return Errno(info.Env(), -ETIMEDOUT);
    memcpy(message, floor.payload, sizeof message);
    // Without this the compiler may drop the copy back as storing what is already there.
    asm volatile("" : : "r"(message) : "memory");
    memcpy(floor.payload, message, sizeof message);
    floor.flag->store(2 * turn + 2, std::memory_order_release);
  }
  return Napi::Number::New(info.Env(), 0);
}

}  // namespace mman
