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
  CAPACITY, CONSUMER_ID, HEADER_BYTES, KEY, MAGIC, MAGIC_VALUE, MAX_CAPACITY, MIN_CAPACITY, PRODUCER_ID, isCapacity, ringMemory,
  type RingMemory,
} from './ring-layout.js'
import { ChannelSender } from './sender.js'
import { SharedMemory } from './shared-memory.js'

/** The shared ring; take one end with sender() or receiver() (one of each, in any processes). */
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
   */
  static attach(memory: SharedMemory): Channel {
    if (!(memory instanceof SharedMemory)) throw invalidArgType('memory', 'a SharedMemory', memory)
    const header = memory.size >= HEADER_BYTES ? memory.int32(0, HEADER_BYTES / 4) : undefined
    // The header is another process's words: check them before trusting the capacity.
    const capacity = header ? Atomics.load(header, CAPACITY) : 0
    if (header === undefined || Atomics.load(header, MAGIC) !== MAGIC_VALUE || !isCapacity(capacity) || HEADER_BYTES + capacity > memory.size) {
      throw invalidArgValue('memory', memory, 'does not hold an mman channel')
    }
    return new Channel(memory, capacity, Atomics.load(header, KEY))
  }

  /** The largest message this channel carries, in bytes. */
  get maxMessageBytes(): number {
    return maxMessageBytes(this.#ring.capacity)
  }

  /**
   * Takes the sending end. A channel has one sender ever, in any process:
   * taking a second one, or taking one after the memory was closed, throws
   * ERR_INVALID_STATE.
   * @param options The peer to watch until it takes its end, and the end's
   *   default timeout (see ChannelEndOptions).
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
   */
  receiver(options?: ChannelEndOptions): ChannelReceiver {
    const checked = endOptions(options)
    return this.#take('receiver', () => new ChannelReceiver(this.memory, this.#ring, 'receiver', checked))
  }

  /** The end `make` builds, claimed for this thread only once it is built: a corrupt ring leaves the end untaken. */
  #take<T>(role: Role, make: () => T): T {
    if (this.memory.closed) throw invalidState('the channel\'s shared memory was closed')
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
  if (peer !== undefined && typeof peer !== 'number' && (typeof peer !== 'object' || peer === null || !('pid' in peer))) {
    throw invalidArgType('options.peer', 'a ChildProcess or a pid', peer)
  }
  if (typeof peer === 'number') integer(peer, 'options.peer', 1, 2 ** 31 - 1)
  checkTimeout(options.timeoutMs, 'options.timeoutMs')
  return { peer, timeoutMs: options.timeoutMs }
}
