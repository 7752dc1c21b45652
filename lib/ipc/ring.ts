// The two sides of a channel's ring: the producer writes records and
// publishes each through its check word, then HEAD; the consumer finds the
// next record by its check alone, and gives space back through TAIL. Every
// word the other side writes (TAIL, HEAD, a record's two words) is checked
// before it is used: a scribbled ring gives a RingCorruption, never a message
// nobody sent, a read outside the ring, or a hang.
//
// Each side keeps its own stream position (bytes ever published or consumed,
// a number exact below 2^53) and only writes its own word: HEAD or TAIL, that
// position mod 2^32 (an Int32Array store wraps it). The consumer reads
// HEAD only when no record is where it looks, to tell "not yet written" from
// "HEAD claims records that are not there" (a forged HEAD).
import { HEAD, TAIL, type RingMemory } from './ring-layout.js'
import {
  RECORD_HEADER_BYTES,
  VALUE,
  WRAP,
  BYTES,
  checkOf,
  kindAndLength,
  kindOf,
  lengthOf,
  maxMessageBytes,
  recordBytes,
} from './record.js'

/** What went wrong in a ring another process scribbled on. */
export class RingCorruption extends Error {}

// A record is written at most this far into the ring when the ring is empty
// enough to go back to its start: a channel carrying small messages then
// cycles through a few cache-resident pages instead of the whole ring.
export const EARLY_WRAP_BYTES = 1 << 16

/** The producer's side: reserves room for a record, then publishes it. */
export class RingWriter {
  readonly #ctl: Int32Array
  readonly #words: Int32Array
  readonly #capacity: number
  readonly #mask: number
  readonly #key: number
  readonly #earlyWrap: number
  #position: number // the next record's
  #tail: number // the consumer's TAIL as last read
  // The reservation: the record's offset, and that of a wrap marker before it (-1: none).
  #at = -1
  #wrapAt = -1
  // The position where the lap in which TAIL was last read to decide an early wrap began.
  #lookedInLap = -1

  constructor(memory: RingMemory) {
    this.#ctl = memory.ctl
    this.#words = memory.words
    this.#capacity = memory.capacity
    this.#mask = memory.capacity - 1
    this.#key = memory.key
    this.#earlyWrap = Math.min(EARLY_WRAP_BYTES, memory.capacity)
    this.#position = Atomics.load(memory.ctl, HEAD) >>> 0
    if (this.#position % 8 !== 0)
      throw new RingCorruption(`the sender's position (${this.#position}) is not a record boundary`)
    this.#tail = this.#readTail()
  }

  /**
   * Reserves room for a record of `length` bytes: the offset in the data area
   * where its bytes go, or -1 when the ring has no room for it now. publish()
   * makes it visible; another reserve() replaces the reservation.
   */
  reserve(length: number): number {
    const need = recordBytes(length)
    const at = this.#position & this.#mask
    const toEnd = this.#capacity - at
    if (need > toEnd) return this.#room(toEnd + need) ? this.#reserved(at, 0) : -1
    if (at >= this.#earlyWrap && this.#roomToWrapEarly(toEnd + need)) return this.#reserved(at, 0)
    return this.#room(need) ? this.#reserved(-1, at) : -1
  }

  /**
   * Whether the bytes to the end of the ring and a record are free, so that
   * the record can go to the start: TAIL is read for it once per lap at most,
   * so a busy ring pays nothing for asking.
   */
  #roomToWrapEarly(bytes: number): boolean {
    if (this.#free() >= bytes) return true
    const lap = this.#position - (this.#position & this.#mask)
    if (this.#lookedInLap === lap) return false
    this.#lookedInLap = lap
    this.#tail = this.#readTail()
    return this.#free() >= bytes
  }

  #free(): number {
    return this.#capacity - ((this.#position - this.#tail) >>> 0)
  }

  #reserved(wrapAt: number, at: number): number {
    this.#wrapAt = wrapAt
    this.#at = at
    return at + RECORD_HEADER_BYTES
  }

  /** Forgets the reservation. */
  cancel(): void {
    this.#at = -1
  }

  /**
   * Publishes the reserved record (and the wrap marker before it) as a message
   * of `kind` and `length` bytes (at most the reserved length), whose bytes
   * the caller wrote. The check word is stored last, sequentially consistent:
   * a consumer that sees it sees the rest. HEAD follows in publishHead().
   */
  publish(kind: number, length: number): void {
    const words = this.#words
    const key = this.#key
    if (this.#wrapAt >= 0) {
      const wrap = kindAndLength(WRAP, 0)
      words[(this.#wrapAt >> 2) + 1] = wrap
      words[this.#wrapAt >> 2] = checkOf(this.#position, wrap, key)
      this.#position += this.#capacity - this.#wrapAt
    }
    const at = this.#at >> 2
    const word = kindAndLength(kind, length)
    words[at + 1] = word
    const check = checkOf(this.#position, word, key)
    this.#position += recordBytes(length)
    Atomics.store(words, at, check)
    this.#at = -1
  }

  /**
   * Stores HEAD past what publish() published. Called after a sequentially
   * consistent load (the sender's look at the receiver's state word), a plain
   * store costs a consumer that never reads HEAD nothing, and still cannot
   * become visible before the check word, even on a weakly ordered CPU: HEAD
   * never claims a record a consumer could not see.
   */
  publishHead(): void {
    this.#ctl[HEAD] = this.#position
  }

  /** Whether `bytes` are free: first by TAIL as last read, then by TAIL now. */
  #room(bytes: number): boolean {
    if (this.#free() >= bytes) return true
    this.#tail = this.#readTail()
    return this.#free() >= bytes
  }

  /** TAIL, checked: it may not claim more was consumed than was published, nor a partial record. */
  #readTail(): number {
    const tail = Atomics.load(this.#ctl, TAIL) >>> 0
    if ((this.#position - tail) >>> 0 > this.#capacity || tail % 8 !== 0) {
      throw new RingCorruption(`the receiver's position (${tail}) is outside the ring (head ${this.#position >>> 0})`)
    }
    return tail
  }
}

/** The consumer's side: finds the next record, hands it out, and gives its space back through TAIL. */
export class RingReader {
  readonly #ctl: Int32Array
  readonly #words: Int32Array
  readonly #capacity: number
  readonly #mask: number
  readonly #key: number
  readonly #maxLength: number
  #position: number // where the next record is looked for (past every record handed out)
  #published: number // the position TAIL last said
  // The record peek() found, and the position after it.
  #found = false
  #next = 0
  /** The record peek() found: its kind and where its bytes lie in the data area, [start, end). */
  kind = BYTES
  start = 0
  end = 0

  constructor(memory: RingMemory) {
    this.#ctl = memory.ctl
    this.#words = memory.words
    this.#capacity = memory.capacity
    this.#mask = memory.capacity - 1
    this.#key = memory.key
    this.#maxLength = maxMessageBytes(memory.capacity)
    this.#position = Atomics.load(memory.ctl, TAIL) >>> 0
    if (this.#position % 8 !== 0)
      throw new RingCorruption(`the receiver's position (${this.#position}) is not a record boundary`)
    this.#published = this.#position
  }

  /**
   * Whether the next record is there: then kind, start and end say what and
   * where it is, until take() or the next peek(). False when no valid record
   * is where it must be (not written yet, or scribbled: see verifyEmpty()).
   */
  peek(): boolean {
    // Found before (a wait's ready() looked, then the call's attempt): it is still there.
    if (this.#found) return true
    const words = this.#words
    let position = this.#position
    let at = position & this.#mask
    let word = words[(at >> 2) + 1]!
    if (Atomics.load(words, at >> 2) !== checkOf(position, word, this.#key)) return false
    let kind = kindOf(word)
    if (kind === WRAP) {
      if (lengthOf(word) !== 0) throw new RingCorruption(`a wrap marker at ${at} claims a length`)
      position += this.#capacity - at
      at = 0
      word = words[1]!
      if (Atomics.load(words, 0) !== checkOf(position, word, this.#key)) return false
      kind = kindOf(word)
    }
    const length = lengthOf(word)
    if (kind < BYTES || kind > VALUE || length > this.#maxLength || at + recordBytes(length) > this.#capacity) {
      throw new RingCorruption(
        `a record at ${at} claims kind ${kind} and ${length} bytes (at most ${this.#maxLength} per message)`,
      )
    }
    this.#next = position + recordBytes(length)
    this.#found = true
    this.kind = kind
    this.start = at + RECORD_HEADER_BYTES
    this.end = this.start + length
    return true
  }

  /** Hands out the record peek() found: the next peek() looks past it. Its space stays held until release(). */
  take(): void {
    this.#found = false
    this.#position = this.#next
  }

  /** Gives the space of every record taken back to the producer (stores TAIL); false if there was none. */
  release(): boolean {
    if (this.#published === this.#position) return false
    this.#published = this.#position
    Atomics.store(this.#ctl, TAIL, this.#position)
    return true
  }

  /**
   * After peek() found nothing: throws if HEAD says records were published
   * that are not there (a forged HEAD, or records scribbled over), or lies
   * outside the ring. HEAD is stored after each record's check, so a HEAD past
   * this position means the record here must be visible.
   */
  verifyEmpty(): void {
    const head = Atomics.load(this.#ctl, HEAD)
    const ahead = (head - this.#position) | 0
    if (ahead > this.#capacity || ahead < -this.#capacity || ahead % 8 !== 0) {
      throw new RingCorruption(
        `the sender's position (${head >>> 0}) is outside the ring (tail ${this.#position >>> 0})`,
      )
    }
    if (ahead > 0 && !this.peek()) {
      throw new RingCorruption(
        `no valid record at ${this.#position & this.#mask} though the sender's position (${head >>> 0}) says one was published`,
      )
    }
  }
}
