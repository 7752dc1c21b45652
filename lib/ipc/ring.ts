// The channel's ring in shared memory: where each word lives, and how
// messages are written and read. Every word the other side can write (its
// index, a record's length, a wrap marker) is checked before it is used:
// a scribbled ring gives ERR_CHANNEL_CORRUPT, never a message nobody sent, a
// read outside the ring, or a hang.
//
// Records are [length: int32][bytes][padding to 4]; a length of -1 says "the
// rest of the ring is padding, continue at 0". HEAD and TAIL count bytes ever
// published and consumed, mod 2^32; each side keeps its own copy and only
// writes its own word. Words the producer writes for every message share a
// cache line only with words the consumer writes rarely (and the reverse), so
// a busy channel moves two cache lines per message: HEAD's and the data's.

// Header words (Int32 indices; 16 to a 64-byte cache line).
export const HEAD = 0 // bytes published (producer, every message)
export const CONSUMER_SLEEPING = 1 // the consumer sleeps on HEAD (consumer, rarely)
export const CONSUMER_WAKER_CPU = 2 // 1 + the CPU the consumer last woke the producer from (consumer, rarely)
export const TAIL = 16 // bytes consumed (consumer, every message)
export const PRODUCER_SLEEPING = 17 // the producer sleeps on TAIL (producer, rarely)
export const PRODUCER_WAKER_CPU = 18 // 1 + the CPU the producer last woke the consumer from (producer, rarely)
export const CLOSED = 32 // bit 0: producer closed, bit 1: consumer closed
export const MAGIC = 33
export const CAPACITY = 34
// The two ends' identities, one 64-bit word each (BigInt64 indices).
export const PRODUCER_ID = 24
export const CONSUMER_ID = 25
export const HEADER_BYTES = 256
export const MAGIC_VALUE = 0x6d6d6332 // "mmc2"
export const PRODUCER_CLOSED = 1
export const CONSUMER_CLOSED = 2

const WRAP = -1
const align4 = (n: number) => (n + 3) & ~3

/** What went wrong in a ring another process scribbled on. */
export class RingCorruption extends Error {}

/** The largest message a ring of `capacity` bytes carries: a record and a wrap marker always fit. */
export const maxMessageBytes = (capacity: number) => capacity / 2 - 4

/** The memory of one ring: the header words and the data area. */
export interface RingMemory {
  ctl: Int32Array
  ids: BigInt64Array
  bytes: Uint8Array
  /** The same bytes as a Buffer, for string coding without an extra copy. */
  text: Buffer
  words: Int32Array
  capacity: number
}

export function ringMemory(buffer: ArrayBuffer, capacity: number): RingMemory {
  return {
    ctl: new Int32Array(buffer, 0, HEADER_BYTES / 4),
    ids: new BigInt64Array(buffer, 0, HEADER_BYTES / 8),
    bytes: new Uint8Array(buffer, HEADER_BYTES, capacity),
    text: Buffer.from(buffer, HEADER_BYTES, capacity),
    words: new Int32Array(buffer, HEADER_BYTES, capacity / 4),
    capacity,
  }
}

/** The producer's side: writes records and publishes HEAD. */
export class RingWriter {
  readonly #m: RingMemory
  readonly #mask: number
  #head: number
  #tail: number // the consumer's TAIL as last read

  constructor(memory: RingMemory) {
    this.#m = memory
    this.#mask = memory.capacity - 1
    this.#head = Atomics.load(memory.ctl, HEAD) >>> 0
    if (this.#head % 4 !== 0) throw new RingCorruption(`the sender's position (${this.#head}) is not a record boundary`)
    this.#tail = this.#readTail()
  }

  /**
   * Room for one message of `length` bytes: the byte offset in the data area
   * to write it at, or -1 when the ring has no room for it now. commit()
   * publishes it.
   */
  reserve(length: number): number {
    const { capacity, words } = this.#m
    const need = 4 + align4(length)
    let at = this.#head & this.#mask
    const toEnd = capacity - at
    if (!this.#room(need, toEnd) && !(this.#refresh() && this.#room(need, toEnd))) return -1
    if (need > toEnd) {
      words[at >> 2] = WRAP
      this.#head = (this.#head + toEnd) >>> 0
      at = 0
    }
    words[at >> 2] = length
    this.#head = (this.#head + need) >>> 0
    return at + 4
  }

  /** Whether reserve(length) would find room now. */
  hasRoom(length: number): boolean {
    this.#refresh()
    return this.#room(4 + align4(length), this.#m.capacity - (this.#head & this.#mask))
  }

  /** Room for a record of `need` bytes, given `toEnd` bytes before the ring wraps (a wrap skips them). */
  #room(need: number, toEnd: number): boolean {
    const free = this.#m.capacity - ((this.#head - this.#tail) >>> 0)
    return free >= (need > toEnd ? toEnd + need : need)
  }

  #refresh(): true {
    this.#tail = this.#readTail()
    return true
  }

  /** Publishes what reserve() made room for: the consumer reads HEAD with Atomics.load. */
  commit(): void {
    Atomics.store(this.#m.ctl, HEAD, this.#head | 0)
  }

  /** TAIL, checked: it may not claim more was consumed than was published, nor a partial word. */
  #readTail(): number {
    const tail = Atomics.load(this.#m.ctl, TAIL) >>> 0
    if ((this.#head - tail) >>> 0 > this.#m.capacity || tail % 4 !== 0) {
      throw new RingCorruption(`the receiver's position (${tail}) is outside the ring (head ${this.#head})`)
    }
    return tail
  }

}

/** The consumer's side: reads records and gives their space back through TAIL. */
export class RingReader {
  readonly #m: RingMemory
  readonly #mask: number
  readonly #maxLength: number
  #tail: number
  #head: number // the producer's HEAD as last read
  // Where TAIL moves once the record handed out last is released.
  #release: number | undefined

  constructor(memory: RingMemory) {
    this.#m = memory
    this.#mask = memory.capacity - 1
    this.#maxLength = maxMessageBytes(memory.capacity)
    this.#tail = Atomics.load(memory.ctl, TAIL) >>> 0
    if (this.#tail % 4 !== 0) throw new RingCorruption(`the receiver's position (${this.#tail}) is not a record boundary`)
    this.#head = this.#tail
  }

  /** Whether a record is published beyond what was handed out. */
  get available(): boolean {
    if (this.#head !== this.#next) return true
    this.#head = this.#readHead()
    return this.#head !== this.#next
  }

  get #next(): number {
    return this.#release ?? this.#tail
  }

  /** Where the message handed out last lies in the data area: [start, end). */
  start = 0
  end = 0

  /**
   * Whether there is a next message; if so it lies at [start, end) of the
   * data area, valid until release().
   */
  tryRead(): boolean {
    this.release()
    if (this.#head === this.#tail) {
      this.#head = this.#readHead()
      if (this.#head === this.#tail) return false
    }
    const { capacity, words } = this.#m
    let tail = this.#tail
    let used = (this.#head - tail) >>> 0
    let at = tail & this.#mask
    let length = words[at >> 2]!
    if (length === WRAP) {
      const skip = capacity - at
      if (skip >= used) throw new RingCorruption(`a wrap marker at ${at} skips past what was published`)
      tail = (tail + skip) >>> 0
      used -= skip
      at = 0
      length = words[0]!
    }
    const need = 4 + align4(length)
    if (length < 0 || length > this.#maxLength || need > used || at + need > capacity) {
      throw new RingCorruption(`a record at ${at} claims ${length} bytes (${used} published, at most ${this.#maxLength} per message)`)
    }
    this.#release = (tail + need) >>> 0
    this.start = at + 4
    this.end = at + 4 + length
    return true
  }

  /** Gives the space of the message handed out last back to the producer; false if there was none. */
  release(): boolean {
    if (this.#release === undefined) return false
    this.#tail = this.#release
    this.#release = undefined
    Atomics.store(this.#m.ctl, TAIL, this.#tail | 0)
    return true
  }

  /** HEAD, checked: it may not claim more than a ring's worth beyond what was consumed, nor a partial word. */
  #readHead(): number {
    const head = Atomics.load(this.#m.ctl, HEAD) >>> 0
    const used = (head - this.#tail) >>> 0
    if (used > this.#m.capacity || used % 4 !== 0) {
      throw new RingCorruption(`the sender's position (${head}) is outside the ring (tail ${this.#tail})`)
    }
    return head
  }

}
