// Where each word of a channel's shared region lives: a 256-byte header, then
// the ring's data area. Words one end writes for every message share a cache
// line only with words the other end writes rarely (and the reverse), so a
// busy channel moves the data's cache lines and little else: the consumer
// finds a record by its check word in the data (record.ts), and reads HEAD
// only when none is there.

// Int32 indices, 16 to a 64-byte cache line.
// Line 0: the producer writes HEAD for every message; the consumer writes the rest rarely.
export const HEAD = 0 // bytes published, mod 2^32 (producer)
export const CONSUMER_STATE = 1 // how many waits of the consumer sleep, plus CLOSED_BIT (consumer)
export const CONSUMER_DOORBELL = 2 // the futex word the consumer sleeps on; the producer rings it (producer)
export const CONSUMER_WAKER_CPU = 3 // 1 + the CPU the producer last woke the consumer from (producer)
// Line 1: the consumer writes TAIL for every message; the producer writes the rest rarely.
export const TAIL = 16 // bytes consumed, mod 2^32 (consumer)
export const PRODUCER_STATE = 17 // how many waits of the producer sleep, plus CLOSED_BIT (producer)
export const PRODUCER_DOORBELL = 18 // the futex word the producer sleeps on; the consumer rings it (consumer)
export const PRODUCER_WAKER_CPU = 19 // 1 + the CPU the consumer last woke the producer from (consumer)
// Line 2: written once, by Channel.create().
export const MAGIC = 32
export const CAPACITY = 33
export const KEY = 34 // mixed into every record's check: records of another channel never pass
// Line 3: the two ends' identities, one 64-bit word each (BigInt64 indices).
export const PRODUCER_ID = 24
export const CONSUMER_ID = 25

export const HEADER_BYTES = 256
export const MAGIC_VALUE = 0x6d6d6333 // "mmc3": records with a check and a kind
/** In a state word: the end closed. The low bits count its sleeping waits. */
export const CLOSED_BIT = 0x40000000

export const MIN_CAPACITY = 4096
export const MAX_CAPACITY = 2 ** 30

/** The memory of one channel: its header words and its data area, as the views both ends use. */
export interface RingMemory {
  ctl: Int32Array
  ids: BigInt64Array
  /** The data area. */
  bytes: Uint8Array
  /** The same bytes as a Buffer, for string coding without an extra copy. */
  text: Buffer
  /** The same bytes as 32-bit words, for record headers. */
  words: Int32Array
  capacity: number
  /** The channel's record key (KEY), as read when the memory was opened. */
  key: number
}

/** Views of a channel region whose header was checked (or just written) to hold `capacity` and `key`. */
export function ringMemory(buffer: ArrayBuffer, capacity: number, key: number): RingMemory {
  return {
    ctl: new Int32Array(buffer, 0, HEADER_BYTES / 4),
    ids: new BigInt64Array(buffer, 0, HEADER_BYTES / 8),
    bytes: new Uint8Array(buffer, HEADER_BYTES, capacity),
    text: Buffer.from(buffer, HEADER_BYTES, capacity),
    words: new Int32Array(buffer, HEADER_BYTES, capacity / 4),
    capacity,
    key,
  }
}

/** Whether a capacity is one a channel can have: a power of two from MIN_CAPACITY to MAX_CAPACITY. */
export const isCapacity = (capacity: number) =>
  Number.isInteger(capacity) &&
  capacity >= MIN_CAPACITY &&
  capacity <= MAX_CAPACITY &&
  (capacity & (capacity - 1)) === 0
