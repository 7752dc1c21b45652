// The ways a Node parent and its peer can exchange messages, measured side by
// side by the ipc suite: mman's Channel, process.send (JSON and advanced
// serialization), worker postMessage, shm-typed-array with polling, and the
// floor: a bare Atomics spin on one shared word, carrying nothing.
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { Channel, SharedMemory, forkWithMemory, type ChannelReceiver, type ChannelSender } from '../lib/index.js'
import { SHM_LAYOUT, type Shm } from './peers.js'

export const PEER = fileURLToPath(new URL('./ipc-peer.js', import.meta.url))
const ECHO = 1
const ITEM = 2
const END = 3

export interface Transport {
  start(): Promise<void>
  roundTrip(message: Uint8Array): void | Promise<void>
  /** Sends `count` messages one way, then waits for the peer to confirm it has them all (none: carries no payload). */
  stream?(message: Uint8Array, count: number): void | Promise<void>
  stop(): Promise<void>
}

export const exited = (child: ChildProcess) => (child.exitCode !== null ? Promise.resolve() : once(child, 'exit').then(() => undefined))

export class ChannelTransport implements Transport {
  #child?: ChildProcess
  #tx?: ChannelSender
  #rx?: ChannelReceiver

  /** `waitAsync`: replies are awaited off the event loop (receiveAsync), as a server serving many peers does. */
  constructor(private readonly waitAsync = false) {}

  async start(): Promise<void> {
    const toPeer = Channel.create(1 << 22)
    const fromPeer = Channel.create(1 << 22)
    this.#tx = toPeer.sender()
    this.#rx = fromPeer.receiver()
    this.#child = forkWithMemory(PEER, ['channel'], { memory: [toPeer.memory, fromPeer.memory], stdio: ['ignore', 'inherit', 'inherit'] })
  }

  roundTrip(message: Uint8Array): void | Promise<void> {
    message[0] = ECHO
    this.#tx!.send(message)
    if (this.waitAsync) return this.#rx!.receiveAsync().then(() => undefined)
    this.#rx!.receiveView()
  }

  stream(message: Uint8Array, count: number): void {
    message[0] = ITEM
    for (let i = 0; i < count; i++) this.#tx!.send(message)
    this.#tx!.send(new Uint8Array([END]))
    this.#rx!.receiveView()
  }

  async stop(): Promise<void> {
    this.#tx!.close()
    await exited(this.#child!)
  }
}

/** A request/response helper over an event-emitting port (child process or worker). */
export class Replies {
  #waiting?: () => void
  constructor(port: { on(event: 'message', f: () => void): unknown }) {
    port.on('message', () => this.#waiting?.())
  }
  next(send: () => void): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting = resolve
      send()
    })
  }
}

export class ProcessSendTransport implements Transport {
  #child?: ChildProcess
  #replies?: Replies
  constructor(private readonly serialization: 'json' | 'advanced') {}

  async start(): Promise<void> {
    this.#child = fork(PEER, ['process'], { serialization: this.serialization, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.#replies = new Replies(this.#child)
  }

  // JSON carries a string of the same length; advanced serialization carries the bytes.
  #payload(message: Uint8Array): unknown {
    return this.serialization === 'json' ? 'x'.repeat(message.length) : message
  }

  roundTrip(message: Uint8Array): Promise<void> {
    const data = this.#payload(message)
    return this.#replies!.next(() => this.#child!.send({ t: 'echo', data }))
  }

  stream(message: Uint8Array, count: number): Promise<void> {
    const data = this.#payload(message)
    return this.#replies!.next(() => {
      for (let i = 0; i < count; i++) this.#child!.send({ t: 'item', data })
      this.#child!.send({ t: 'end' })
    })
  }

  async stop(): Promise<void> {
    this.#child!.disconnect()
    await exited(this.#child!)
  }
}

export class WorkerTransport implements Transport {
  #worker?: Worker
  #replies?: Replies

  async start(): Promise<void> {
    this.#worker = new Worker(PEER, { workerData: { mode: 'worker' } })
    this.#replies = new Replies(this.#worker)
    await once(this.#worker, 'online')
  }

  roundTrip(message: Uint8Array): Promise<void> {
    return this.#replies!.next(() => this.#worker!.postMessage({ t: 'echo', data: message }))
  }

  stream(message: Uint8Array, count: number): Promise<void> {
    return this.#replies!.next(() => {
      for (let i = 0; i < count; i++) this.#worker!.postMessage({ t: 'item', data: message })
      this.#worker!.postMessage({ t: 'end' })
    })
  }

  async stop(): Promise<void> {
    await this.#worker!.terminate()
  }
}

/**
 * shm-typed-array has no wake-up: both sides spin on a sequence word, one
 * message at a time. An echo comes back in the reply area, as every other
 * transport's does: the peer writes the message back from where it lies, and
 * the parent takes a view of the reply, as the Channel's ends do.
 */
export class ShmPollingTransport implements Transport {
  #child?: ChildProcess
  #segment?: Int32Array & { key: number }
  #ctl?: Int32Array
  #bytes?: Uint8Array
  #seq = 0
  constructor(private readonly shm: Shm) {}

  async start(): Promise<void> {
    this.#segment = this.shm.create((SHM_LAYOUT.replyOffset + SHM_LAYOUT.dataBytes) / 4, 'Int32Array')!
    this.#ctl = this.#segment.subarray(0, SHM_LAYOUT.dataOffset / 4)
    this.#bytes = new Uint8Array(this.#segment.buffer, this.#segment.byteOffset + SHM_LAYOUT.dataOffset, SHM_LAYOUT.dataBytes)
    this.#child = fork(PEER, ['shm', String(this.#segment.key)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  }

  #send(message: Uint8Array, length = message.length): void {
    if (length > 0) this.#bytes!.set(message)
    Atomics.store(this.#ctl!, SHM_LAYOUT.length, length)
    const seq = ++this.#seq
    Atomics.store(this.#ctl!, SHM_LAYOUT.seq, seq)
    while (Atomics.load(this.#ctl!, SHM_LAYOUT.ack) !== seq && length >= 0);
  }

  roundTrip(message: Uint8Array): void {
    message[0] = ECHO
    this.#send(message)
    const segment = this.#segment!
    new Uint8Array(segment.buffer, segment.byteOffset + SHM_LAYOUT.replyOffset, Atomics.load(this.#ctl!, SHM_LAYOUT.replyLength))
  }

  stream(message: Uint8Array, count: number): void {
    message[0] = ITEM
    for (let i = 0; i < count; i++) this.#send(message)
  }

  async stop(): Promise<void> {
    this.#send(new Uint8Array(0), -1)
    await exited(this.#child!)
    this.shm.destroy(this.#segment!.key)
  }
}

/** The floor: the two sides take turns on one shared word, spinning; nothing else is carried. */
export class BareSpinTransport implements Transport {
  #child?: ChildProcess
  #memory?: SharedMemory
  #word?: Int32Array
  #turn = 1

  async start(): Promise<void> {
    this.#memory = SharedMemory.create(4096)
    this.#word = this.#memory.int32()
    this.#child = forkWithMemory(PEER, ['spin'], { memory: [this.#memory], stdio: ['ignore', 'inherit', 'inherit'] })
  }

  roundTrip(): void {
    const word = this.#word!
    const turn = this.#turn
    Atomics.store(word, 0, turn)
    while (Atomics.load(word, 0) !== turn + 1);
    this.#turn = turn + 2
  }

  async stop(): Promise<void> {
    Atomics.store(this.#word!, 0, -1)
    await exited(this.#child!)
    this.#memory!.close()
  }
}

export const LABELS: Record<string, string> = {
  spin: 'bare Atomics spin (one word, no payload)',
  channel: 'mman Channel',
  'process-json': 'process.send (JSON)',
  'process-advanced': 'process.send (advanced)',
  worker: 'worker postMessage',
  'shm-polling': 'shm-typed-array, polling',
}

/** Every transport, by name; shm-typed-array only when it is installed. */
export function transports(shm: Shm | undefined): Record<string, () => Transport> {
  const makers: Record<string, () => Transport> = {
    spin: () => new BareSpinTransport(),
    channel: () => new ChannelTransport(),
    'process-json': () => new ProcessSendTransport('json'),
    'process-advanced': () => new ProcessSendTransport('advanced'),
    worker: () => new WorkerTransport(),
  }
  if (shm) makers['shm-polling'] = () => new ShmPollingTransport(shm)
  return makers
}
