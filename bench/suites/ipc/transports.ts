// The ways a Node parent and its peer can exchange messages, measured side by
// side by the ipc suite, each in a pair of processes of its own: mman's
// Channel (waiting on the JS thread, or awaiting off it through a wait
// engine), process.send (JSON and advanced serialization), worker
// postMessage and shm-typed-array with polling. (The floors are measured
// beside the Channel in one pair: pair-transports.ts.)
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { Channel, forkWithMemory, type ChannelReceiver, type ChannelSender } from 'mman'
import type { WaitEngine } from './conditions.js'
import { ECHO, END, ITEM } from './kinds.js'
import { ShmPolling } from './shm.js'
import { SHM_LAYOUT, type Shm } from '../peers.js'

export const PEER = fileURLToPath(new URL('./peer.js', import.meta.url))

export interface Transport {
  start(): Promise<void>
  roundTrip(message: Uint8Array): void | Promise<void>
  /** Sends `count` messages one way, then waits for the peer to confirm it has them all. */
  stream?(message: Uint8Array, count: number): void | Promise<void>
  stop(): Promise<void>
  /** The peer's pid once started, when the peer is a process (its placement is sampled from /proc). */
  readonly peerPid?: number
  /** For mman's transports: how each end waits ('async': through a wait engine, which the probe or the peer then names). */
  readonly waits?: { parent: 'sync' | 'async'; peer: 'sync' | 'async' }
  /** After stop(), for a peer that waited through an engine: the one it used, as it saw it. */
  readonly peerEngine?: WaitEngine
}

export const exited = (child: ChildProcess) =>
  child.exitCode !== null ? Promise.resolve() : once(child, 'exit').then(() => undefined)

/** Every message a child sends until its IPC channel closes (call it right after fork: messages arrive before the close, in order). */
export async function messagesUntilDisconnect(child: ChildProcess): Promise<unknown[]> {
  const messages: unknown[] = []
  child.on('message', (message) => messages.push(message))
  await once(child, 'disconnect')
  return messages
}

export class ChannelTransport implements Transport {
  #child?: ChildProcess
  #tx?: ChannelSender
  #rx?: ChannelReceiver
  #peerReports?: Promise<unknown[]>
  peerEngine?: WaitEngine
  readonly waits: { parent: 'sync' | 'async'; peer: 'sync' | 'async' }

  /**
   * `waitAsync`: replies are awaited off the event loop (receiveAsync), as a
   * server serving many peers does; `peerAsync`: the peer awaits too, so both
   * ends wait through the engine.
   */
  constructor(
    private readonly waitAsync = false,
    private readonly peerAsync = false,
  ) {
    this.waits = { parent: waitAsync ? 'async' : 'sync', peer: peerAsync ? 'async' : 'sync' }
  }

  get peerPid(): number | undefined {
    return this.#child?.pid
  }

  async start(): Promise<void> {
    const toPeer = Channel.create(1 << 22)
    const fromPeer = Channel.create(1 << 22)
    this.#tx = toPeer.sender()
    this.#rx = fromPeer.receiver()
    const mode = this.peerAsync ? 'channel-async' : 'channel'
    this.#child = forkWithMemory(PEER, [mode], {
      memory: [toPeer.memory, fromPeer.memory],
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    if (this.peerAsync) this.#peerReports = messagesUntilDisconnect(this.#child)
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
    if (this.#peerReports)
      this.peerEngine = ((await this.#peerReports)[0] as { engine?: WaitEngine } | undefined)?.engine
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

  get peerPid(): number | undefined {
    return this.#child?.pid
  }

  async start(): Promise<void> {
    this.#child = fork(PEER, ['process'], {
      serialization: this.serialization,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
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
 * message at a time (shm.ts). An echo comes back in the reply area, as
 * every other transport's does: the peer writes the message back from where
 * it lies, and the parent takes a view of the reply, as the Channel's ends do.
 */
class ShmPollingTransport implements Transport {
  #child?: ChildProcess
  #segment?: Int32Array & { key: number }
  #polling?: ShmPolling
  constructor(private readonly shm: Shm) {}

  get peerPid(): number | undefined {
    return this.#child?.pid
  }

  async start(): Promise<void> {
    this.#segment = this.shm.create((SHM_LAYOUT.replyOffset + SHM_LAYOUT.dataBytes) / 4, 'Int32Array')!
    this.#polling = new ShmPolling(this.#segment)
    this.#child = fork(PEER, ['shm', String(this.#segment.key)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  }

  roundTrip(message: Uint8Array): void {
    message[0] = ECHO
    this.#polling!.send(message)
    this.#polling!.reply()
  }

  stream(message: Uint8Array, count: number): void {
    message[0] = ITEM
    for (let i = 0; i < count; i++) this.#polling!.send(message)
  }

  async stop(): Promise<void> {
    this.#polling!.send(new Uint8Array(0), -1)
    await exited(this.#child!)
    this.shm.destroy(this.#segment!.key)
  }
}

export const LABELS: Record<string, string> = {
  channel: 'mman Channel',
  'channel-async': 'mman Channel, both ends async (io_uring)',
  'channel-async-thread': 'mman Channel, both ends async (waiter thread)',
  'process-json': 'process.send (JSON)',
  'process-advanced': 'process.send (advanced)',
  worker: 'worker postMessage',
  'shm-polling': 'shm-typed-array, polling',
}

/** Every transport, by name; shm-typed-array only when it is installed. */
export function transports(shm: Shm | undefined): Record<string, () => Transport> {
  const makers: Record<string, () => Transport> = {
    channel: () => new ChannelTransport(),
    // The engine is picked by the environment both processes start with (engines.ts runs these).
    'channel-async': () => new ChannelTransport(true, true),
    'channel-async-thread': () => new ChannelTransport(true, true),
    'process-json': () => new ProcessSendTransport('json'),
    'process-advanced': () => new ProcessSendTransport('advanced'),
    worker: () => new WorkerTransport(),
  }
  if (shm) makers['shm-polling'] = () => new ShmPollingTransport(shm)
  return makers
}
