// A single-producer, single-consumer channel of variable-length messages in
// shared memory. Each side spins briefly before sleeping on a futex: spinning
// is what makes a cross-process round trip take microseconds, and the futex
// keeps an idle side from burning a CPU.
import { invalidArgType, invalidArgValue, invalidState } from '../errors.js'
import { integer } from '../validate.js'
import { futexWait, futexWaitAsync, futexWake } from './futex.js'
import { isAlive, threadId } from './liveness.js'
import { SharedMemory } from './shared-memory.js'

// Header words (Int32 indices). Producer-written and consumer-written words
// sit on different cache lines.
const HEAD = 0 // bytes ever published, mod 2^32 (producer)
const DATA_SEQ = 8 // bumped after each publish; the consumer sleeps on it
const CONSUMER_SLEEPING = 9
const TAIL = 16 // bytes ever consumed, mod 2^32 (consumer)
const SPACE_SEQ = 24 // bumped after each consume; the producer sleeps on it
const PRODUCER_SLEEPING = 25
const PRODUCER = 32 // thread ids of the two ends, 0 until claimed
const CONSUMER = 33
const CLOSED = 34 // bit 0: producer closed, bit 1: consumer closed
const MAGIC = 35
const CAPACITY = 36
const HEADER_BYTES = 256
const MAGIC_VALUE = 0x6d6d6331 // "mmc1"

const WRAP = -1 // a length word meaning "the rest of the ring is padding"
const PRODUCER_CLOSED = 1
const CONSUMER_CLOSED = 2
// A sleeping side wakes this often to see whether its peer died.
const CHECK_PEER_MS = 100
// How long a side spins before sleeping adapts between these (ms): it grows when
// a message arrives soon after spinning gave up, and shrinks when waits are long.
// The floor matters: a wake-up from a futex sleep costs ~20-60 us on an idle
// vCPU (measured in C on this project's 2-vCPU VM), so spinning less than that
// loses more than it saves.
const MIN_SPIN_MS = 0.05
const MAX_SPIN_MS = 0.5

const align4 = (n: number) => (n + 3) & ~3

/** Errors a channel end throws: the peer closed its end, or died. */
export class ChannelError extends Error {
  /**
   * The channel's ends throw these; the class is exported for `instanceof`.
   * @param code Why: this end or the peer closed, the peer died, or the wait timed out.
   * @param message What happened, for people.
   */
  constructor(
    /** Why: this end or the peer closed, the peer died, or the wait timed out. */
    readonly code: 'ERR_CHANNEL_CLOSED' | 'ERR_CHANNEL_PEER_DIED' | 'ERR_CHANNEL_TIMEOUT',
    message: string,
  ) {
    super(message)
    this.name = 'ChannelError'
  }
}

type Role = 'sender' | 'receiver'

/** The shared ring; take one end with sender() or receiver() (one of each, in any processes). */
export class Channel {
  /** The shared region holding the ring: hand its `fd` to the process or worker at the other end. */
  readonly memory: SharedMemory
  readonly #ctl: Int32Array
  readonly #capacity: number

  private constructor(memory: SharedMemory) {
    this.memory = memory
    this.#ctl = memory.int32(0, HEADER_BYTES / 4)
    this.#capacity = Atomics.load(this.#ctl, CAPACITY)
  }

  /**
   * A new channel whose ring holds `capacity` bytes (a power of two, at least 4 KiB).
   * @param capacity The ring's size in bytes (default 1 MiB); a message may take at most half of it.
   */
  static create(capacity = 1 << 20): Channel {
    const bytes = integer(capacity, 'capacity', 4096, 2 ** 30)
    if ((bytes & (bytes - 1)) !== 0) throw invalidArgValue('capacity', capacity, 'must be a power of two')
    const memory = SharedMemory.create(HEADER_BYTES + bytes, 'mman-channel')
    const ctl = memory.int32(0, HEADER_BYTES / 4)
    Atomics.store(ctl, CAPACITY, bytes)
    Atomics.store(ctl, MAGIC, MAGIC_VALUE)
    return new Channel(memory)
  }

  /**
   * The channel in a shared region another process created (e.g. inheritedMemory()).
   * @param memory The region Channel.create() made, attached in this process.
   */
  static attach(memory: SharedMemory): Channel {
    if (!(memory instanceof SharedMemory)) throw invalidArgType('memory', 'a SharedMemory', memory)
    const header = memory.size >= HEADER_BYTES ? memory.int32(0, HEADER_BYTES / 4) : undefined
    // The header is another process's word: check it before trusting its capacity.
    const capacity = header ? Atomics.load(header, CAPACITY) : 0
    if (header === undefined || Atomics.load(header, MAGIC) !== MAGIC_VALUE || capacity < 4096 ||
        (capacity & (capacity - 1)) !== 0 || HEADER_BYTES + capacity > memory.size) {
      throw invalidArgValue('memory', memory, 'does not hold an mman channel')
    }
    return new Channel(memory)
  }

  /** The largest message this channel carries, in bytes. */
  get maxMessageBytes(): number {
    return this.#capacity / 2 - 4
  }

  /** Takes the sending end (one per channel, in any process). */
  sender(): ChannelSender {
    return new ChannelSender(this.#claim('sender'), this.memory, this.#capacity)
  }

  /** Takes the receiving end (one per channel, in any process). */
  receiver(): ChannelReceiver {
    return new ChannelReceiver(this.#claim('receiver'), this.memory, this.#capacity)
  }

  #claim(role: Role): Int32Array {
    const slot = role === 'sender' ? PRODUCER : CONSUMER
    if (Atomics.compareExchange(this.#ctl, slot, 0, threadId()) !== 0) {
      throw invalidState(`this channel already has a ${role} (thread ${Atomics.load(this.#ctl, slot)})`)
    }
    return this.#ctl
  }
}

/** What both ends share: the ring, waiting, and noticing a dead or closed peer. */
abstract class End {
  protected readonly ctl: Int32Array
  protected readonly bytes: Uint8Array
  protected readonly words: Int32Array
  protected readonly capacity: number
  protected readonly mask: number
  #spinMs = 0.1
  protected closed = false

  /** @internal Channel.sender() and Channel.receiver() make the ends. */
  constructor(ctl: Int32Array, memory: SharedMemory, capacity: number) {
    this.ctl = ctl
    this.capacity = capacity
    this.mask = capacity - 1
    this.bytes = new Uint8Array(memory.buffer, HEADER_BYTES, capacity)
    this.words = new Int32Array(memory.buffer, HEADER_BYTES, capacity / 4)
  }

  protected abstract readonly peerSlot: number
  protected abstract readonly peerName: string
  protected abstract readonly peerClosedBit: number

  protected peerClosed(): boolean {
    return (Atomics.load(this.ctl, CLOSED) & this.peerClosedBit) !== 0
  }

  /** Throws if the peer died without closing. A syscall: only checked after sleeping, never per message. */
  #checkPeerAlive(): void {
    const peer = Atomics.load(this.ctl, this.peerSlot)
    if (peer !== 0 && !this.peerClosed() && !isAlive(peer)) {
      throw new ChannelError('ERR_CHANNEL_PEER_DIED', `the ${this.peerName} (thread ${peer}) died without closing the channel`)
    }
  }

  /** Spins until ready() or the spin time runs out. */
  protected spin(ready: () => boolean): boolean {
    const start = performance.now()
    for (let i = 1; ; i++) {
      if (ready()) return true
      if ((i & 63) === 0 && performance.now() - start > this.#spinMs) return false
    }
  }

  /** A sleep that ended soon after spinning gave up says: spin longer. A long one says: spin less. */
  #adapt(sleptMs: number): void {
    this.#spinMs = sleptMs < 4 * this.#spinMs ? Math.min(MAX_SPIN_MS, this.#spinMs * 2) : Math.max(MIN_SPIN_MS, this.#spinMs / 2)
  }

  /**
   * The sleep protocol: announce the sleep, look again, then wait on the
   * sequence word unless it moved. The other side wakes us only when it sees
   * the announcement, so a busy channel makes no futex calls.
   */
  protected sleepStep(seqIndex: number, sleepingIndex: number, ready: () => boolean): number | undefined {
    const seq = Atomics.load(this.ctl, seqIndex)
    Atomics.store(this.ctl, sleepingIndex, 1)
    if (ready()) {
      Atomics.store(this.ctl, sleepingIndex, 0)
      return undefined
    }
    return seq
  }

  protected deadline(timeoutMs: number | undefined): number {
    if (timeoutMs === undefined || timeoutMs === Infinity) return Infinity
    if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
      throw invalidArgValue('timeoutMs', timeoutMs, 'must be a non-negative number or Infinity')
    }
    return Date.now() + timeoutMs
  }

  protected waitSync(seqIndex: number, sleepingIndex: number, ready: () => boolean, deadline: number): void {
    const seq = this.sleepStep(seqIndex, sleepingIndex, ready)
    if (seq === undefined) return
    const start = performance.now()
    futexWait(this.ctl, seqIndex, seq, this.#slice(deadline))
    this.#adapt(performance.now() - start)
    Atomics.store(this.ctl, sleepingIndex, 0)
    this.#checkPeerAlive()
  }

  protected async waitAsync(seqIndex: number, sleepingIndex: number, ready: () => boolean, deadline: number): Promise<void> {
    const seq = this.sleepStep(seqIndex, sleepingIndex, ready)
    if (seq === undefined) return
    const start = performance.now()
    await futexWaitAsync(this.ctl, seqIndex, seq, this.#slice(deadline))
    this.#adapt(performance.now() - start)
    Atomics.store(this.ctl, sleepingIndex, 0)
    this.#checkPeerAlive()
  }

  #slice(deadline: number): number {
    if (Date.now() >= deadline) throw new ChannelError('ERR_CHANNEL_TIMEOUT', `no ${this.peerName} progress before the timeout`)
    return Math.max(1, Math.min(CHECK_PEER_MS, deadline - Date.now()))
  }

  protected wake(seqIndex: number, sleepingIndex: number): void {
    Atomics.add(this.ctl, seqIndex, 1)
    if (Atomics.load(this.ctl, sleepingIndex) !== 0) futexWake(this.ctl, seqIndex, 1)
  }

  protected markClosed(bit: number, seqIndex: number): void {
    if (this.closed) return
    this.closed = true
    Atomics.or(this.ctl, CLOSED, bit)
    Atomics.add(this.ctl, seqIndex, 1)
    futexWake(this.ctl, seqIndex)
  }
}

/** The sending end of a Channel. */
export class ChannelSender extends End {
  protected readonly peerSlot = CONSUMER
  protected readonly peerName = 'receiver'
  protected readonly peerClosedBit = CONSUMER_CLOSED

  /**
   * Sends one message (bytes or a string, UTF-8), waiting while the ring is
   * full (backpressure). Throws ChannelError if the receiver closed or died,
   * or the timeout passes first.
   * @param message The bytes to send, or a string sent as UTF-8 (at most maxMessageBytes).
   * @param timeoutMs How long to wait at most, in milliseconds (default: no limit); then ChannelError ERR_CHANNEL_TIMEOUT.
   */
  send(message: ArrayBufferView | string, timeoutMs?: number): void {
    const bytes = this.#encode(message)
    const deadline = this.deadline(timeoutMs)
    while (!this.#tryWrite(bytes)) {
      if (!this.spin(() => this.#fits(bytes.length))) {
        this.waitSync(SPACE_SEQ, PRODUCER_SLEEPING, () => this.#fits(bytes.length), deadline)
      }
    }
  }

  /**
   * send() waiting off the event loop.
   * @param message The bytes to send, or a string sent as UTF-8 (at most maxMessageBytes).
   * @param timeoutMs How long to wait at most, in milliseconds (default: no limit); then ChannelError ERR_CHANNEL_TIMEOUT.
   */
  async sendAsync(message: ArrayBufferView | string, timeoutMs?: number): Promise<void> {
    const bytes = this.#encode(message)
    const deadline = this.deadline(timeoutMs)
    while (!this.#tryWrite(bytes)) {
      if (!this.spin(() => this.#fits(bytes.length))) {
        await this.waitAsync(SPACE_SEQ, PRODUCER_SLEEPING, () => this.#fits(bytes.length), deadline)
      }
    }
  }

  /** Ends the stream: the receiver gets the messages already sent, then null. */
  close(): void {
    this.markClosed(PRODUCER_CLOSED, DATA_SEQ)
  }

  #encode(message: ArrayBufferView | string): Uint8Array {
    if (this.closed) throw new ChannelError('ERR_CHANNEL_CLOSED', 'this sender was closed')
    let bytes: Uint8Array
    if (typeof message === 'string') bytes = Buffer.from(message)
    else if (ArrayBuffer.isView(message)) bytes = new Uint8Array(message.buffer, message.byteOffset, message.byteLength)
    else throw invalidArgType('message', 'a string, TypedArray, DataView or Buffer', message)
    if (bytes.length > this.capacity / 2 - 4) {
      throw invalidArgValue('message', `${bytes.length} bytes`, `is larger than this channel carries (${this.capacity / 2 - 4} bytes)`)
    }
    return bytes
  }

  /** Bytes a message takes at the current head, including padding to the ring's end if it must wrap. */
  #needed(length: number): number {
    const head = Atomics.load(this.ctl, HEAD) >>> 0
    const need = 4 + align4(length)
    const toEnd = this.capacity - (head & this.mask)
    return need > toEnd ? toEnd + need : need
  }

  #fits(length: number): boolean {
    const used = (Atomics.load(this.ctl, HEAD) - Atomics.load(this.ctl, TAIL)) >>> 0
    return this.capacity - used >= this.#needed(length) || this.peerClosed()
  }

  #tryWrite(bytes: Uint8Array): boolean {
    if (this.peerClosed()) throw new ChannelError('ERR_CHANNEL_CLOSED', 'the receiver closed the channel')
    let head = Atomics.load(this.ctl, HEAD) >>> 0
    const used = (head - Atomics.load(this.ctl, TAIL)) >>> 0
    const need = 4 + align4(bytes.length)
    let at = head & this.mask
    const toEnd = this.capacity - at
    if (this.capacity - used < (need > toEnd ? toEnd + need : need)) return false
    if (need > toEnd) {
      this.words[at >> 2] = WRAP
      head = (head + toEnd) >>> 0
      at = 0
    }
    this.words[at >> 2] = bytes.length
    this.bytes.set(bytes, at + 4)
    // The store publishes the message: the receiver reads HEAD with Atomics.load.
    Atomics.store(this.ctl, HEAD, (head + need) | 0)
    this.wake(DATA_SEQ, CONSUMER_SLEEPING)
    return true
  }
}

/** The receiving end of a Channel; also an async iterable of its messages. */
export class ChannelReceiver extends End {
  protected readonly peerSlot = PRODUCER
  protected readonly peerName = 'sender'
  protected readonly peerClosedBit = PRODUCER_CLOSED

  /**
   * The next message (a Buffer holding a copy), waiting for one. Returns null
   * once the sender closed and every message was read; throws ChannelError if
   * the sender died or the timeout passes.
   * @param timeoutMs How long to wait at most, in milliseconds (default: no limit); then ChannelError ERR_CHANNEL_TIMEOUT.
   */
  receive(timeoutMs?: number): Buffer | null {
    return this.#copyOut(this.receiveView(timeoutMs))
  }

  /**
   * receive() waiting off the event loop.
   * @param timeoutMs How long to wait at most, in milliseconds (default: no limit); then ChannelError ERR_CHANNEL_TIMEOUT.
   */
  async receiveAsync(timeoutMs?: number): Promise<Buffer | null> {
    const deadline = this.deadline(timeoutMs)
    for (;;) {
      const view = this.#tryRead()
      if (view !== undefined) return this.#copyOut(view)
      if (!this.spin(() => this.#available())) await this.waitAsync(DATA_SEQ, CONSUMER_SLEEPING, () => this.#available(), deadline)
    }
  }

  /** A copy of the message, whose ring space goes back to the sender at once. */
  #copyOut(view: Uint8Array | null): Buffer | null {
    if (view === null) return null
    const message = Buffer.from(view)
    this.#releaseLast()
    return message
  }

  /**
   * The next message without copying it: a view into the ring, valid until the
   * next receive call on this receiver, which hands its space back to the
   * sender. (So a thread that sends to itself must receive again, or use
   * receive(), before the ring can fill.)
   * @param timeoutMs How long to wait at most, in milliseconds (default: no limit); then ChannelError ERR_CHANNEL_TIMEOUT.
   */
  receiveView(timeoutMs?: number): Uint8Array | null {
    const deadline = this.deadline(timeoutMs)
    for (;;) {
      const view = this.#tryRead()
      if (view !== undefined) return view
      if (!this.spin(() => this.#available())) this.waitSync(DATA_SEQ, CONSUMER_SLEEPING, () => this.#available(), deadline)
    }
  }

  /** Messages until the sender closes. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (let message = await this.receiveAsync(); message !== null; message = await this.receiveAsync()) yield message
  }

  /** Tells the sender to stop: its next send() throws ERR_CHANNEL_CLOSED. */
  close(): void {
    if (!this.closed) this.#releaseLast()
    this.markClosed(CONSUMER_CLOSED, SPACE_SEQ)
  }

  // Where TAIL moves once the message last handed out is released.
  #release: number | undefined

  #available(): boolean {
    return Atomics.load(this.ctl, HEAD) !== (this.#release ?? Atomics.load(this.ctl, TAIL)) || this.peerClosed()
  }

  /** Gives the space of the message handed out last back to the sender. */
  #releaseLast(): void {
    if (this.#release === undefined) return
    Atomics.store(this.ctl, TAIL, this.#release | 0)
    this.#release = undefined
    this.wake(SPACE_SEQ, PRODUCER_SLEEPING)
  }

  /** A view of the next message, null at the end of the stream, or undefined when there is none yet. */
  #tryRead(): Uint8Array | null | undefined {
    if (this.closed) throw new ChannelError('ERR_CHANNEL_CLOSED', 'this receiver was closed')
    this.#releaseLast()
    let tail = Atomics.load(this.ctl, TAIL) >>> 0
    const head = Atomics.load(this.ctl, HEAD) >>> 0
    if (tail === head) return this.peerClosed() ? null : undefined
    let at = tail & this.mask
    let length = this.words[at >> 2]!
    if (length === WRAP) {
      tail = (tail + (this.capacity - at)) >>> 0
      at = 0
      length = this.words[0]!
    }
    this.#release = (tail + 4 + align4(length)) >>> 0
    return this.bytes.subarray(at + 4, at + 4 + length)
  }
}
