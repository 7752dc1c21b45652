// What both ends of a channel do alike: wait for the other end and wake it,
// notice that it closed or died, and close. An end that is about to sleep
// counts itself in its state word, then looks once more; the other end, after
// each change the sleeper may wait for, reads that word and, if someone
// sleeps, rings the sleeper's doorbell (a futex word it alone sleeps on).
// Both sides' store-then-load is sequentially consistent, so either the
// sleeper sees the change or the waker sees the sleeper: no wake is lost,
// and a busy channel makes no futex calls.
import type { ChildProcess } from 'node:child_process'
import { illegalConstructor } from '../errors.js'
import { ChannelError } from './channel-error.js'
import { currentCpu, futexWake } from './futex.js'
import { isAlive, isProcessAlive, unpackIdentity } from './identity.js'
import {
  CLOSED_BIT,
  CONSUMER_DOORBELL,
  CONSUMER_ID,
  CONSUMER_STATE,
  CONSUMER_WAKER_CPU,
  PRODUCER_DOORBELL,
  PRODUCER_ID,
  PRODUCER_STATE,
  PRODUCER_WAKER_CPU,
  type RingMemory,
} from './ring-layout.js'
import { RingCorruption } from './ring.js'
import type { SharedMemory } from './shared-memory.js'
import { Waiter, type NotYet, type WaitTarget } from './waiter.js'

/** Options of sender() and receiver(). */
export interface ChannelEndOptions {
  /**
   * The process expected at the other end, watched until it takes its end: if
   * it exits first, waiting ends with ERR_CHANNEL_PEER_DIED instead of going on
   * for a peer that will never come. A ChildProcess (from forkWithMemory) or a pid.
   */
  peer?: ChildProcess | number
  /** The timeout (ms) of every call that takes none; default: none. */
  timeoutMs?: number
}

export type Role = 'sender' | 'receiver'

// The rings Channel objects made: an end is only ever built over one of them.
const channelRings = new WeakSet<RingMemory>()

/** Lets ends be built over `ring` (Channel does this for its own). */
export function adoptRing(ring: RingMemory): void {
  channelRings.add(ring)
}

/** A RingCorruption as the ChannelError callers get; anything else as it is. */
export function channelErrorOf(error: unknown): unknown {
  if (error instanceof RingCorruption)
    return new ChannelError('ERR_CHANNEL_CORRUPT', `the channel's ring was written by something else: ${error.message}`)
  return error
}

// Header words, by the role of the end they belong to (ids are BigInt64 indices).
interface Words {
  state: number
  doorbell: number
  wakerCpu: number
  id: number
}
const WORDS: Record<Role, Words> = {
  sender: { state: PRODUCER_STATE, doorbell: PRODUCER_DOORBELL, wakerCpu: PRODUCER_WAKER_CPU, id: PRODUCER_ID },
  receiver: { state: CONSUMER_STATE, doorbell: CONSUMER_DOORBELL, wakerCpu: CONSUMER_WAKER_CPU, id: CONSUMER_ID },
}

export abstract class End {
  protected readonly memory: SharedMemory
  protected readonly ctl: Int32Array
  readonly #ids: BigInt64Array
  readonly #waiter = new Waiter()
  readonly #own: Words
  readonly #peer: Words
  readonly #peerName: string
  readonly #expectedPeer: ChildProcess | number | undefined
  readonly #timeoutMs: number | undefined
  protected closed = false

  constructor(memory: SharedMemory, ring: RingMemory, role: Role, options: ChannelEndOptions) {
    if (!channelRings.has(ring)) throw illegalConstructor('Channel.sender() or Channel.receiver()')
    this.memory = memory
    this.ctl = ring.ctl
    this.#ids = ring.ids
    this.#own = WORDS[role]
    this.#peer = WORDS[role === 'sender' ? 'receiver' : 'sender']
    this.#peerName = role === 'sender' ? 'receiver' : 'sender'
    this.#expectedPeer = options.peer
    this.#timeoutMs = options.timeoutMs
  }

  /** Throws unless this end and its memory are usable. */
  protected usable(what: string): void {
    if (this.memory.closed) throw new ChannelError('ERR_CHANNEL_CLOSED', `the channel's shared memory was closed`)
    if (this.closed) throw new ChannelError('ERR_CHANNEL_CLOSED', `this ${what} was closed`)
  }

  /** The peer's state word: its CLOSED_BIT, and how many of its waits sleep. */
  protected get peerState(): number {
    return Atomics.load(this.ctl, this.#peer.state)
  }

  protected get peerClosed(): boolean {
    return (this.peerState & CLOSED_BIT) !== 0
  }

  /** After a change the peer may wait for, whose state word said `state`: rings its doorbell if one of its waits sleeps. */
  protected wakePeer(state: number): void {
    if ((state & ~CLOSED_BIT) === 0) return
    const { ctl } = this
    Atomics.store(ctl, this.#peer.wakerCpu, currentCpu() + 1)
    Atomics.add(ctl, this.#peer.doorbell, 1)
    futexWake(ctl, this.#peer.doorbell)
  }

  /** Tries `attempt` until it is done, waiting on `target` (see Waiter.run), with this end's default timeout. */
  protected run<T>(attempt: () => T | NotYet, target: WaitTarget, timeoutMs: number | undefined): T {
    try {
      return this.#waiter.run(attempt, target, timeoutMs ?? this.#timeoutMs)
    } catch (error) {
      throw this.#waitError(error)
    }
  }

  /** run() off the event loop. */
  protected async runAsync<T>(
    attempt: () => T | NotYet,
    target: WaitTarget,
    timeoutMs: number | undefined,
  ): Promise<T> {
    try {
      return await this.#waiter.runAsync(attempt, target, timeoutMs ?? this.#timeoutMs)
    } catch (error) {
      throw this.#waitError(error)
    }
  }

  /** What a wait threw, as a ChannelError where it is one: the futex wait ends with its own error when the memory is closed under it. */
  #waitError(error: unknown): unknown {
    if (this.memory.closed && !(error instanceof ChannelError)) {
      return new ChannelError(
        'ERR_CHANNEL_CLOSED',
        `the channel's shared memory was closed while a call waited for the ${this.#peerName}`,
      )
    }
    return channelErrorOf(error)
  }

  /**
   * A wait until ready() (or the peer closed, or the memory was closed), ending
   * early for a dead peer or the deadline. `verify` runs before each sleep and
   * throws if the ring says the wait is for something that cannot come.
   */
  protected target(ready: () => boolean, verify?: () => void): WaitTarget {
    const { ctl } = this
    const { state, doorbell, wakerCpu } = this.#own
    // This end closed (by a call made while this one waits) ends the wait too: its attempt then throws.
    const isReady = () => this.memory.closed || this.closed || ready() || this.peerClosed
    return {
      words: ctl,
      index: doorbell,
      ready: isReady,
      announce: () => {
        verify?.()
        const expected = Atomics.load(ctl, doorbell)
        Atomics.add(ctl, state, 1)
        if (!isReady()) return expected
        Atomics.sub(ctl, state, 1)
        return undefined
      },
      retract: () => Atomics.sub(ctl, state, 1),
      wokenFromThisCpu: () => {
        const cpu = currentCpu()
        return cpu >= 0 && Atomics.load(ctl, wakerCpu) === cpu + 1
      },
      check: (deadline, peer) => {
        if (this.memory.closed) return
        if (peer) this.#checkPeerAlive()
        if (Date.now() >= deadline)
          throw new ChannelError('ERR_CHANNEL_TIMEOUT', `no ${this.#peerName} progress before the timeout`)
      },
    }
  }

  /** A syscall or a /proc read: only after a sleep nobody cut short, never per message. */
  #checkPeerAlive(): void {
    if (this.peerClosed) return
    const id = Atomics.load(this.#ids, this.#peer.id)
    if (id !== 0n) {
      const peer = unpackIdentity(id)
      if (!isAlive(peer))
        throw new ChannelError(
          'ERR_CHANNEL_PEER_DIED',
          `the ${this.#peerName} (thread ${peer.tid}) died without closing the channel`,
        )
      return
    }
    const expected = this.#expectedPeer
    if (expected === undefined) return
    const gone =
      typeof expected === 'number'
        ? !isProcessAlive(expected)
        : expected.exitCode !== null ||
          expected.signalCode !== null ||
          expected.pid === undefined ||
          !isProcessAlive(expected.pid)
    if (gone) {
      const pid = typeof expected === 'number' ? expected : expected.pid
      throw new ChannelError(
        'ERR_CHANNEL_PEER_DIED',
        `the ${this.#peerName}'s process (${pid}) exited before it took its end of the channel`,
      )
    }
  }

  /**
   * Marks this end closed and wakes the peer, whatever it waits for, and this
   * end's own calls still waiting (an async one the caller did not await):
   * they throw ERR_CHANNEL_CLOSED instead of waiting for a peer that may never move.
   */
  protected markClosed(): void {
    if (this.closed || this.memory.closed) return
    this.closed = true
    const { ctl } = this
    const ownState = Atomics.or(ctl, this.#own.state, CLOSED_BIT)
    Atomics.add(ctl, this.#peer.doorbell, 1)
    futexWake(ctl, this.#peer.doorbell)
    if ((ownState & ~CLOSED_BIT) === 0) return
    Atomics.add(ctl, this.#own.doorbell, 1)
    futexWake(ctl, this.#own.doorbell)
  }
}
