// A single-producer, single-consumer channel of variable-length messages in
// shared memory. This module makes and opens channels and hands out their two
// ends; the ring's layout is ring-layout.ts, its records record.ts, how the
// two sides use it ring.ts, messages codec.ts, waiting and waking end.ts, and
// the ends sender.ts and receiver.ts.
import { randomInt } from 'node:crypto'
import { invalidArgType, invalidArgValue, invalidState } from '../errors.js'
import { integer, options as optionsOf, timeoutMs as checkTimeout } from '../validate.js'
import { packIdentity, threadIdentity, unpackIdentity } from './identity.js'
import { adoptRing, channelErrorOf, type ChannelEndOptions, type Role } from './end.js'
import { ChannelReceiver } from './receiver.js'
import { maxMessageBytes } from './record.js'
import {
  CAPACITY,
  CONSUMER_ID,
  HEADER_BYTES,
  KEY,
  MAGIC,
  MAGIC_VALUE,
  MAX_CAPACITY,
  MIN_CAPACITY,
  PRODUCER_ID,
  isCapacity,
  ringMemory,
  type RingMemory,
} from './ring-layout.js'
import { ChannelSender } from './sender.js'
import { SharedMemory } from './shared-memory.js'

/**
 * A channel of messages between two threads, in one process or two: a ring
 * in shared memory. Take one end with sender() or receiver() (one of each
 * ever, in any processes); the other side attaches the channel's memory
 * (Channel.attach()).
 * @example A worker sends, the main thread receives
 * ```js
 * import { Channel, SharedMemory } from 'mman'
 * import { Worker, isMainThread, workerData } from 'node:worker_threads'
 *
 * if (isMainThread) {
 *   const channel = Channel.create()
 *   const rx = channel.receiver()
 *   new Worker(new URL(import.meta.url), { workerData: channel.memory.fd })
 *   for await (const message of rx) console.log(message.toString())
 * } else {
 *   const tx = Channel.attach(SharedMemory.attach(workerData)).sender()
 *   tx.send('hello')
 *   tx.send('from a worker')
 *   tx.close() // ends the receiver's loop
 * }
 * ```
 *
 * ```text
 * hello
 * from a worker
 * ```
 */
export class Channel {
  /**
   * The shared region holding the channel (its header, then the ring): pass it
   * to the other side (forkWithMemory()'s `memory`, or its fd), which attaches
   * it with Channel.attach(). Once it is closed, both ends in this process
   * throw ERR_CHANNEL_CLOSED, calls that were waiting included.
   */
  readonly memory: SharedMemory
  readonly #ring: RingMemory

  private constructor(memory: SharedMemory, capacity: number, key: number) {
    this.memory = memory
    this.#ring = ringMemory(memory.buffer, capacity, key)
    adoptRing(this.#ring)
  }

  /**
   * A new channel whose ring holds `capacity` bytes (a power of two, at least 4 KiB).
   * @param capacity The ring's size in bytes (default 1 MiB): a power of two
   *   from 4096 to 2^30 (else ERR_OUT_OF_RANGE or ERR_INVALID_ARG_VALUE). A
   *   message takes at most half of it, less 8 bytes (maxMessageBytes).
   * @throws
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `capacity` is not a number or bigint.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `capacity` is fractional, below 4096 or above 2^30.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: `capacity` is not a power of two.
   * - {@link SyscallError} `EMFILE`, `ENFILE` (`memfd_create`): no file descriptor is free.
   * - {@link SyscallError} `ENOMEM` (`mmap`): no room in the address space for the ring, or the process has
   *   vm.max_map_count mappings.
   * @example
   * ```js
   * import { Channel } from 'mman'
   *
   * const channel = Channel.create(1 << 16) // a 64 KiB ring, after a 256-byte header
   * console.log(channel.memory.size, channel.maxMessageBytes)
   * try {
   *   Channel.create(5000)
   * } catch (error) {
   *   console.log(error.code)
   * }
   * ```
   *
   * ```text
   * 65792 32760
   * ERR_INVALID_ARG_VALUE
   * ```
   */
  static create(capacity = 1 << 20): Channel {
    const bytes = integer(capacity, 'capacity', MIN_CAPACITY, MAX_CAPACITY)
    if (!isCapacity(bytes)) throw invalidArgValue('capacity', capacity, 'must be a power of two')
    const memory = SharedMemory.create(HEADER_BYTES + bytes, 'mman-channel')
    const ctl = memory.int32(0, HEADER_BYTES / 4)
    const key = randomInt(1, 2 ** 31)
    Atomics.store(ctl, CAPACITY, bytes)
    Atomics.store(ctl, KEY, key)
    Atomics.store(ctl, MAGIC, MAGIC_VALUE)
    return new Channel(memory, bytes, key)
  }

  /**
   * The channel in a shared region another process created (e.g. inheritedMemory()).
   * @param memory The region of a channel (its creator's Channel.memory), mapped
   *   in this process; one that holds no mman channel (or one of another
   *   version) throws ERR_INVALID_ARG_VALUE.
   * @throws
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `memory` is not a SharedMemory.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: `memory` holds no mman channel (or one of another version), or its header
   *   names a capacity that is no power of two or does not fit in it.
   * - `Error` `ERR_INVALID_STATE`: `memory` was closed.
   * @example
   * ```js
   * import { Channel, SharedMemory } from 'mman'
   *
   * const channel = Channel.create()
   * const tx = channel.sender()
   * // Another process or thread gets the fd (forkWithMemory(), workerData) and attaches it:
   * const rx = Channel.attach(SharedMemory.attach(channel.memory.fd)).receiver()
   * tx.send('through the same ring')
   * console.log(rx.receiveString())
   * ```
   *
   * ```text
   * through the same ring
   * ```
   */
  static attach(memory: SharedMemory): Channel {
    if (!(memory instanceof SharedMemory)) throw invalidArgType('memory', 'a SharedMemory', memory)
    const header = memory.size >= HEADER_BYTES ? memory.int32(0, HEADER_BYTES / 4) : undefined
    // The header is another process's words: check them before trusting the capacity.
    const capacity = header ? Atomics.load(header, CAPACITY) : 0
    if (
      header === undefined ||
      Atomics.load(header, MAGIC) !== MAGIC_VALUE ||
      !isCapacity(capacity) ||
      HEADER_BYTES + capacity > memory.size
    ) {
      throw invalidArgValue('memory', memory, 'does not hold an mman channel')
    }
    return new Channel(memory, capacity, Atomics.load(header, KEY))
  }

  /**
   * The largest message this channel carries, in bytes: half the ring, less 8.
   * @example
   * ```js
   * import { Channel } from 'mman'
   *
   * const channel = Channel.create(4096)
   * console.log(channel.maxMessageBytes)
   * try {
   *   channel.sender().send(new Uint8Array(channel.maxMessageBytes + 1))
   * } catch (error) {
   *   console.log(error.code)
   * }
   * ```
   *
   * ```text
   * 2040
   * ERR_INVALID_ARG_VALUE
   * ```
   */
  get maxMessageBytes(): number {
    return maxMessageBytes(this.#ring.capacity)
  }

  /**
   * Takes the sending end. A channel has one sender ever, in any process:
   * taking a second one, or taking one after the memory was closed, throws
   * ERR_INVALID_STATE.
   * @param options The peer to watch until it takes its end, and the end's
   *   default timeout (see ChannelEndOptions).
   * @throws
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `options` is not an object, `options.peer` is neither a ChildProcess nor a
   *   number, or `options.timeoutMs` is not a number.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `options.peer` is a number that is fractional or outside 1 to 2^31 - 1.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: `options.timeoutMs` is negative or NaN.
   * - `Error` `ERR_INVALID_STATE`: the channel already has a sender (taken in any process), or its memory was closed.
   * - {@link ChannelError} `ERR_CHANNEL_CORRUPT`: the ring's positions were written by something else (they are
   *   not record boundaries, or outside the ring).
   * @example
   * ```js
   * import { Channel } from 'mman'
   *
   * const channel = Channel.create()
   * const tx = channel.sender()
   * try {
   *   channel.sender()
   * } catch (error) {
   *   console.log(error.code, error.message)
   * }
   * ```
   *
   * ```text
   * ERR_INVALID_STATE Invalid state: this channel already has a sender (thread …)
   * ```
   */
  sender(options?: ChannelEndOptions): ChannelSender {
    const checked = endOptions(options)
    return this.#take('sender', () => new ChannelSender(this.memory, this.#ring, 'sender', checked))
  }

  /**
   * Takes the receiving end. A channel has one receiver ever, in any process:
   * taking a second one, or taking one after the memory was closed, throws
   * ERR_INVALID_STATE.
   * @param options The peer to watch until it takes its end, and the end's
   *   default timeout (see ChannelEndOptions).
   * @throws
   * - `TypeError` `ERR_INVALID_ARG_TYPE`: `options` is not an object, `options.peer` is neither a ChildProcess nor a
   *   number, or `options.timeoutMs` is not a number.
   * - `RangeError` `ERR_OUT_OF_RANGE`: `options.peer` is a number that is fractional or outside 1 to 2^31 - 1.
   * - `TypeError` `ERR_INVALID_ARG_VALUE`: `options.timeoutMs` is negative or NaN.
   * - `Error` `ERR_INVALID_STATE`: the channel already has a receiver (taken in any process), or its memory was closed.
   * - {@link ChannelError} `ERR_CHANNEL_CORRUPT`: the ring's positions were written by something else (they are
   *   not record boundaries, or outside the ring).
   * @example A default timeout for every call of the end
   * ```js
   * import { Channel } from 'mman'
   *
   * const rx = Channel.create().receiver({ timeoutMs: 20 })
   * try {
   *   rx.receive() // nothing is sent
   * } catch (error) {
   *   console.log(error.code)
   * }
   * ```
   *
   * ```text
   * ERR_CHANNEL_TIMEOUT
   * ```
   */
  receiver(options?: ChannelEndOptions): ChannelReceiver {
    const checked = endOptions(options)
    return this.#take('receiver', () => new ChannelReceiver(this.memory, this.#ring, 'receiver', checked))
  }

  /** The end `make` builds, claimed for this thread only once it is built: a corrupt ring leaves the end untaken. */
  #take<T>(role: Role, make: () => T): T {
    if (this.memory.closed) throw invalidState("the channel's shared memory was closed")
    let end: T
    try {
      end = make()
    } catch (error) {
      throw channelErrorOf(error)
    }
    const slot = role === 'sender' ? PRODUCER_ID : CONSUMER_ID
    const held = Atomics.compareExchange(this.#ring.ids, slot, 0n, packIdentity(threadIdentity()))
    if (held !== 0n) throw invalidState(`this channel already has a ${role} (thread ${unpackIdentity(held).tid})`)
    return end
  }
}

// Checked before the end is claimed: an end is taken once ever, so a call
// that throws must leave it free.
function endOptions(options_: unknown): ChannelEndOptions {
  const options = optionsOf<ChannelEndOptions>(options_)
  const peer = options.peer
  if (
    peer !== undefined &&
    typeof peer !== 'number' &&
    (typeof peer !== 'object' || peer === null || !('pid' in peer))
  ) {
    throw invalidArgType('options.peer', 'a ChildProcess or a pid', peer)
  }
  if (typeof peer === 'number') integer(peer, 'options.peer', 1, 2 ** 31 - 1)
  checkTimeout(options.timeoutMs, 'options.timeoutMs')
  return { peer, timeoutMs: options.timeoutMs }
}
