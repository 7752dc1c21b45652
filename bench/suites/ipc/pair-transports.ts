// The transports the ipc suite measures inside one parent/child pair, blocks
// of round trips interleaved (pair.ts): the floors — a bare Atomics spin
// on one word, a minimal copying ring, a minimal zero-copy ring, 64 bytes and a
// flag moved by C — and mman's Channel, so that every ratio between them comes
// from the same two processes on the same two CPUs. Each class holds both
// ends: the parent's and the peer's, built from the memory the parent shared.
// Every round trip carries 64 bytes to the peer and back, and the parent
// checks the echo (the round's number in its second and last word; the first
// byte is left to the stand-alone transports' message kind, kinds.ts).
import { Channel, SharedMemory } from 'mman'
import type { WaitEngine } from './conditions.js'
import { ECHO } from './kinds.js'
import { ShmPolling } from './shm.js'
import { STALL_TIMEOUT_MS, stalled } from './stall.js'
import { SHM_LAYOUT, type Shm } from '../peers.js'
import { checked, tools } from '../../tools.js'

export const MESSAGE_BYTES = 64
const MESSAGE_WORDS = MESSAGE_BYTES / 4

/** One end of a transport: the parent's runs `rounds` round trips, the peer's answers `rounds` messages. */
export interface PairEnd {
  run(rounds: number): void
}

/** What the parent shares with the peer: regions (passed in this order) and, for a peer package, a key. */
interface PairShared {
  memory: SharedMemory[]
  arg?: string
}

export interface PairTransport {
  readonly key: string
  readonly label: string
  /** How both ends wait, for mman's transports (the pair's never wait off the JS thread). */
  readonly engine?: WaitEngine
  /** Parent: makes the shared state. */
  share(): PairShared
  /** Parent, after share(). */
  parent(): PairEnd
  /** Peer: its end over what the parent shared. */
  peer(shared: PairShared): PairEnd
  /** Parent, after the peer exited: frees what share() made. */
  close(): void
}

/**
 * The parent's message: 64 bytes whose second and last word carry the round's
 * number. (Each transport writes its round-trip loop itself: one loop shared
 * by all, calling each transport's step, would see several callees, and V8
 * would inline none of them, adding a call to every floor's round trip.)
 */
function stamped(): { message: Uint8Array; stamp: (round: number) => void } {
  const words = new Int32Array(MESSAGE_WORDS)
  return {
    message: new Uint8Array(words.buffer),
    stamp: (round) => {
      words[1] = round
      words[MESSAGE_WORDS - 1] = round
    },
  }
}

/** Throws unless `reply` is the echo of round `round`'s message (the low bytes of its second and last word). */
function checkEcho(key: string, reply: Uint8Array | null, round: number): void {
  const low = round & 255
  if (reply === null || reply.length !== MESSAGE_BYTES || reply[4] !== low || reply[MESSAGE_BYTES - 4] !== low) {
    throw new Error(`${key}: the peer's reply is not the echo of the message sent`)
  }
}

/** A transport over one region of shared memory of its own. */
abstract class OneRegionPair implements PairTransport {
  abstract readonly key: string
  abstract readonly label: string
  #memory?: SharedMemory

  constructor(private readonly bytes = 4096) {}

  share(): PairShared {
    this.#memory = SharedMemory.create(this.bytes)
    return { memory: [this.#memory] }
  }

  /** The parent's region, after share(). */
  protected get memory(): SharedMemory {
    return this.#memory!
  }

  abstract parent(): PairEnd
  abstract peer(shared: PairShared): PairEnd

  close(): void {
    this.#memory?.close()
  }
}

/** Turns on one shared word: the parent stores 2t+1, the peer answers 2t+2. Carries nothing: the floor of any round trip. */
class SpinPair extends OneRegionPair {
  readonly key = 'spin'
  readonly label = 'bare Atomics spin (one word, no payload)'

  parent(): PairEnd {
    const word = this.memory.int32(0, 1)
    const key = this.key
    let turn = 0
    return {
      run(rounds) {
        for (let t = turn, end = turn + rounds; t < end; t++) {
          Atomics.store(word, 0, 2 * t + 1)
          for (let spins = 1, since = 0; Atomics.load(word, 0) !== 2 * t + 2; spins++)
            if ((spins & 0xffff) === 0) since = stalled(key, since)
        }
        turn += rounds
      },
    }
  }

  peer(shared: PairShared): PairEnd {
    const word = shared.memory[0]!.int32(0, 1)
    const key = this.key
    let turn = 0
    return {
      run(rounds) {
        for (let t = turn, end = turn + rounds; t < end; t++) {
          for (let spins = 1, since = 0; Atomics.load(word, 0) !== 2 * t + 1; spins++)
            if ((spins & 0xffff) === 0) since = stalled(key, since)
          Atomics.store(word, 0, 2 * t + 2)
        }
        turn += rounds
      },
    }
  }
}

// A single-producer single-consumer ring (Lamport's): the writer owns HEAD,
// the reader TAIL, each on a cache line of its own; fixed 64-byte slots on
// cache lines of their own. Nothing another process writes is checked.
const HEAD = 0
const TAIL = 16
const SLOTS = 64
const SLOTS_AT = 128
const RING_BYTES = 8192

class Ring {
  readonly ctl: Int32Array
  readonly slots: Uint8Array[]
  #head = 0
  #tail = 0
  #seenTail = 0

  constructor(
    memory: SharedMemory,
    byteOffset: number,
    private readonly key: string,
  ) {
    this.ctl = memory.int32(byteOffset, SLOTS_AT / 4)
    const at = (i: number) => byteOffset + SLOTS_AT + i * MESSAGE_BYTES
    this.slots = Array.from({ length: SLOTS }, (_, i) => new Uint8Array(memory.buffer, at(i), MESSAGE_BYTES))
  }

  /** Writer: the index of the next slot, once the reader has left it free. */
  next(): number {
    for (let spins = 1, since = 0; this.#head - this.#seenTail === SLOTS; spins++) {
      this.#seenTail = Atomics.load(this.ctl, TAIL)
      if ((spins & 0xffff) === 0) since = stalled(this.key, since)
    }
    return this.#head & (SLOTS - 1)
  }

  /** Writer: the slot next() named is written; the reader may take it. */
  publish(): void {
    Atomics.store(this.ctl, HEAD, ++this.#head)
  }

  /** Reader: the index of the next slot written, once there is one. */
  await(): number {
    for (let spins = 1, since = 0; Atomics.load(this.ctl, HEAD) === this.#tail; spins++)
      if ((spins & 0xffff) === 0) since = stalled(this.key, since)
    return this.#tail & (SLOTS - 1)
  }

  /** Reader: done with the slot await() named; the writer may reuse it. */
  release(): void {
    Atomics.store(this.ctl, TAIL, ++this.#tail)
  }
}

/** Two rings in one region: to the peer, and back. */
abstract class RingPair extends OneRegionPair {
  constructor() {
    super(2 * RING_BYTES)
  }

  protected rings(memory: SharedMemory): { toPeer: Ring; fromPeer: Ring } {
    return { toPeer: new Ring(memory, 0, this.key), fromPeer: new Ring(memory, RING_BYTES, this.key) }
  }

  parent(): PairEnd {
    return this.parentEnd(this.rings(this.memory))
  }

  peer(shared: PairShared): PairEnd {
    return this.peerEnd(this.rings(shared.memory[0]!))
  }

  protected abstract parentEnd(rings: { toPeer: Ring; fromPeer: Ring }): PairEnd
  protected abstract peerEnd(rings: { toPeer: Ring; fromPeer: Ring }): PairEnd
}

/** The minimal copying ring: each message is copied into a slot, and out of it into the reader's own buffer. */
class CopyingRingPair extends RingPair {
  readonly key = 'copy-ring'
  readonly label = 'minimal copying ring (Lamport SPSC, copy in and out)'

  protected parentEnd({ toPeer, fromPeer }: { toPeer: Ring; fromPeer: Ring }): PairEnd {
    const { message, stamp } = stamped()
    const reply = new Uint8Array(MESSAGE_BYTES)
    const key = this.key
    let round = 0
    return {
      run(rounds) {
        for (let r = round, end = round + rounds; r < end; r++) {
          stamp(r)
          toPeer.slots[toPeer.next()]!.set(message)
          toPeer.publish()
          reply.set(fromPeer.slots[fromPeer.await()]!)
          fromPeer.release()
          checkEcho(key, reply, r)
        }
        round += rounds
      },
    }
  }

  protected peerEnd({ toPeer, fromPeer }: { toPeer: Ring; fromPeer: Ring }): PairEnd {
    const message = new Uint8Array(MESSAGE_BYTES)
    return {
      run(rounds) {
        for (let i = 0; i < rounds; i++) {
          message.set(toPeer.slots[toPeer.await()]!)
          toPeer.release()
          fromPeer.slots[fromPeer.next()]!.set(message)
          fromPeer.publish()
        }
      },
    }
  }
}

/** The minimal zero-copy ring: the writer makes its message in the slot, the reader reads it there. */
class ZeroCopyRingPair extends RingPair {
  readonly key = 'zero-copy-ring'
  readonly label = 'minimal zero-copy ring (written and read in place)'

  protected parentEnd({ toPeer, fromPeer }: { toPeer: Ring; fromPeer: Ring }): PairEnd {
    const key = this.key
    let round = 0
    return {
      run(rounds) {
        for (let r = round, end = round + rounds; r < end; r++) {
          // Written in place as the Channel's zero-copy row writes its loan: a
          // Uint8Array's fill(), which costs about three times a loop of
          // 16 word stores (the row this floor is for cannot do that).
          toPeer.slots[toPeer.next()]!.fill(r & 255)
          toPeer.publish()
          const at = fromPeer.await()
          checkEcho(key, fromPeer.slots[at]!, r)
          fromPeer.release()
        }
        round += rounds
      },
    }
  }

  protected peerEnd({ toPeer, fromPeer }: { toPeer: Ring; fromPeer: Ring }): PairEnd {
    return {
      run(rounds) {
        for (let i = 0; i < rounds; i++) {
          const request = toPeer.slots[toPeer.await()]!
          // The echo is written where it goes, from where the request lies (as the Channel's peer does).
          fromPeer.slots[fromPeer.next()]!.set(request)
          toPeer.release()
          fromPeer.publish()
        }
      },
    }
  }
}

/** The hardware floor: 64 bytes and a flag in two cache lines, both ends in C (bench/native/ipc_floor.cc). */
class CFloorPair extends OneRegionPair {
  readonly key = 'c-floor'
  readonly label = 'C: 64 B + a flag in two cache lines (tools addon)'

  parent(): PairEnd {
    return this.#end(this.memory, tools.ipcFloorRoundTrips, 'ipcFloorRoundTrips')
  }

  peer(shared: PairShared): PairEnd {
    return this.#end(shared.memory[0]!, tools.ipcFloorServe, 'ipcFloorServe')
  }

  #end(memory: SharedMemory, kernel: typeof tools.ipcFloorServe, name: string): PairEnd {
    const buffer = memory.buffer
    let turn = 0
    return {
      run(rounds) {
        checked(kernel(buffer, turn, rounds, STALL_TIMEOUT_MS), name)
        turn += rounds
      },
    }
  }
}

/** mman's Channel: the parent sends and takes the echo with receiveView() (in place) or receive() (a copy); the peer echoes from its view. */
class ChannelPair implements PairTransport {
  readonly engine = 'sync'
  #channels?: { toPeer: Channel; fromPeer: Channel }

  constructor(
    readonly key: string,
    readonly label: string,
    private readonly mode: 'send-view' | 'send-receive' | 'loan',
  ) {}

  share(): PairShared {
    this.#channels = { toPeer: Channel.create(1 << 16), fromPeer: Channel.create(1 << 16) }
    return { memory: [this.#channels.toPeer.memory, this.#channels.fromPeer.memory] }
  }

  parent(): PairEnd {
    const tx = this.#channels!.toPeer.sender()
    const rx = this.#channels!.fromPeer.receiver()
    const { message, stamp } = stamped()
    const { key, mode } = this
    let round = 0
    if (mode === 'loan') {
      return {
        run(rounds) {
          for (let r = round, end = round + rounds; r < end; r++) {
            // Written in place, as the zero-copy ring's parent writes its slot.
            tx.loan(MESSAGE_BYTES).fill(r & 255)
            tx.publish()
            checkEcho(key, rx.receiveView(), r)
          }
          round += rounds
        },
      }
    }
    return {
      run(rounds) {
        for (let r = round, end = round + rounds; r < end; r++) {
          stamp(r)
          tx.send(message)
          checkEcho(key, mode === 'send-receive' ? rx.receive() : rx.receiveView(), r)
        }
        round += rounds
      },
    }
  }

  peer(shared: PairShared): PairEnd {
    const rx = Channel.attach(shared.memory[0]!).receiver()
    const tx = Channel.attach(shared.memory[1]!).sender()
    if (this.mode === 'loan') {
      return {
        run(rounds) {
          for (let i = 0; i < rounds; i++) {
            const request = rx.receiveView()!
            tx.loan(request.length).set(request)
            tx.publish()
          }
        },
      }
    }
    return {
      run(rounds) {
        for (let i = 0; i < rounds; i++) tx.send(rx.receiveView()!)
      },
    }
  }

  close(): void {
    this.#channels?.toPeer.memory.close()
    this.#channels?.fromPeer.memory.close()
  }
}

/** shm-typed-array with polling (shm.ts), as its stand-alone row, here beside the floors. */
class ShmPollingPair implements PairTransport {
  readonly key = 'shm-polling'
  readonly label = 'shm-typed-array, polling'
  #segment?: Int32Array & { key: number }

  constructor(private readonly shm: Shm) {}

  share(): PairShared {
    this.#segment = this.shm.create((SHM_LAYOUT.replyOffset + SHM_LAYOUT.dataBytes) / 4, 'Int32Array')!
    return { memory: [], arg: String(this.#segment.key) }
  }

  parent(): PairEnd {
    const polling = new ShmPolling(this.#segment!)
    const { message, stamp } = stamped()
    // Its peer echoes a message whose first byte says so.
    message[0] = ECHO
    const key = this.key
    let round = 0
    return {
      run(rounds) {
        for (let r = round, end = round + rounds; r < end; r++) {
          stamp(r)
          polling.send(message)
          checkEcho(key, polling.reply(), r)
        }
        round += rounds
      },
    }
  }

  peer(shared: PairShared): PairEnd {
    const polling = new ShmPolling(this.shm.get(Number(shared.arg), 'Int32Array')!)
    return {
      run(rounds) {
        for (let i = 0; i < rounds; i++) polling.answer()
      },
    }
  }

  close(): void {
    if (this.#segment) this.shm.destroy(this.#segment.key)
  }
}

/**
 * Every transport of the pair, in table order (shm-typed-array when installed).

 */
export function pairTransports(shm: Shm | undefined): PairTransport[] {
  return [
    new SpinPair(),
    new CFloorPair(),
    new ZeroCopyRingPair(),
    new CopyingRingPair(),
    ...(shm ? [new ShmPollingPair(shm)] : []),
    new ChannelPair('channel-zero-copy', 'mman Channel, zero-copy send + receiveView', 'loan'),
    new ChannelPair('channel', 'mman Channel, send + receiveView', 'send-view'),
    new ChannelPair('channel-receive', 'mman Channel, send + receive (a copy)', 'send-receive'),
  ]
}
