// The polling protocol the ipc suite runs over a shm-typed-array segment (the
// package has no cross-process wake-up): both sides spin on a sequence word,
// one message at a time. The parent writes a message and its length, bumps
// `seq`; the peer echoes it into the reply area (a message of kind ECHO) or
// takes it out, and acks. A negative length tells the peer to stop. Used by
// the transport of its own (transports.ts) and by the pair (pair-transports.ts).
import { ECHO } from './kinds.js'
import { stalled } from './stall.js'
import { SHM_LAYOUT } from '../peers.js'

const KEY = 'shm-typed-array polling'

export class ShmPolling {
  readonly #ctl: Int32Array
  readonly #bytes: Uint8Array
  readonly #reply: Uint8Array
  readonly #scratch = new Uint8Array(SHM_LAYOUT.dataBytes)
  #seq = 0

  constructor(segment: Int32Array) {
    this.#ctl = segment.subarray(0, SHM_LAYOUT.dataOffset / 4)
    this.#bytes = new Uint8Array(segment.buffer, segment.byteOffset + SHM_LAYOUT.dataOffset, SHM_LAYOUT.dataBytes)
    this.#reply = new Uint8Array(segment.buffer, segment.byteOffset + SHM_LAYOUT.replyOffset, SHM_LAYOUT.dataBytes)
  }

  /** Parent: sends a message (a negative length: stop) and spins until the peer has it. */
  send(message: Uint8Array, length = message.length): void {
    const ctl = this.#ctl
    if (length > 0) this.#bytes.set(message)
    Atomics.store(ctl, SHM_LAYOUT.length, length)
    const seq = ++this.#seq
    Atomics.store(ctl, SHM_LAYOUT.seq, seq)
    for (let spins = 1, since = 0; Atomics.load(ctl, SHM_LAYOUT.ack) !== seq && length >= 0; spins++)
      if ((spins & 0xffff) === 0) since = stalled(KEY, since)
  }

  /** Parent: a view of the peer's last echo, where it lies. */
  reply(): Uint8Array {
    const reply = this.#reply
    return new Uint8Array(reply.buffer, reply.byteOffset, Atomics.load(this.#ctl, SHM_LAYOUT.replyLength))
  }

  /** Peer: waits for the next message and answers it; false when told to stop. */
  answer(): boolean {
    const ctl = this.#ctl
    let seq: number
    for (let spins = 1, since = 0; (seq = Atomics.load(ctl, SHM_LAYOUT.seq)) === this.#seq; spins++)
      if ((spins & 0xffff) === 0) since = stalled(KEY, since)
    this.#seq = seq
    const length = Atomics.load(ctl, SHM_LAYOUT.length)
    if (length < 0) return false
    // As the Channel's peer: an echo is written back from the message in place, anything else taken out.
    const message = this.#bytes.subarray(0, length)
    if (message[0] === ECHO) {
      this.#reply.set(message)
      Atomics.store(ctl, SHM_LAYOUT.replyLength, length)
    } else {
      this.#scratch.set(message)
    }
    Atomics.store(ctl, SHM_LAYOUT.ack, seq)
    return true
  }
}
