// Node parent <-> child messaging: round-trip latency and one-way throughput
// of mman's Channel against process.send (JSON and advanced serialization),
// worker postMessage, and shm-typed-array with polling.
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { Channel, forkWithMemory, type ChannelReceiver, type ChannelSender } from '../lib/index.js'
import { ipcChart, ipcConclusions, sizeLabel, versusProcessSend } from './ipc-report.js'
import type { BenchOptions } from './options.js'
import { loadShm, PEER_PACKAGES, SHM_LAYOUT, type Shm } from './peers.js'
import { Progress } from './progress.js'
import { fmt, notInstalled, table, unmeasuredText, type Presentation, type Row, type SuiteResult, type Unmeasured } from './report.js'
import { batchMedians, summarize } from './stats.js'

const PEER = fileURLToPath(new URL('./ipc-peer.js', import.meta.url))
const ECHO = 1
const ITEM = 2
const END = 3

interface Transport {
  start(): Promise<void>
  roundTrip(message: Uint8Array): void | Promise<void>
  /** Sends `count` messages one way, then waits for the peer to confirm it has them all. */
  stream(message: Uint8Array, count: number): void | Promise<void>
  stop(): Promise<void>
}

const exited = (child: ChildProcess) => (child.exitCode !== null ? Promise.resolve() : once(child, 'exit').then(() => undefined))

class ChannelTransport implements Transport {
  #child?: ChildProcess
  #tx?: ChannelSender
  #rx?: ChannelReceiver

  async start(): Promise<void> {
    const toPeer = Channel.create(1 << 22)
    const fromPeer = Channel.create(1 << 22)
    this.#tx = toPeer.sender()
    this.#rx = fromPeer.receiver()
    this.#child = forkWithMemory(PEER, ['channel'], { memory: [toPeer.memory, fromPeer.memory], stdio: ['ignore', 'inherit', 'inherit'] })
  }

  roundTrip(message: Uint8Array): void {
    message[0] = ECHO
    this.#tx!.send(message)
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
class Replies {
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

class ProcessSendTransport implements Transport {
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

class WorkerTransport implements Transport {
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

/** shm-typed-array has no wake-up: both sides spin on a sequence word, one message at a time. */
class ShmPollingTransport implements Transport {
  #child?: ChildProcess
  #segment?: Int32Array & { key: number }
  #ctl?: Int32Array
  #bytes?: Uint8Array
  #seq = 0
  constructor(private readonly shm: Shm) {}

  async start(): Promise<void> {
    this.#segment = this.shm.create((SHM_LAYOUT.dataOffset + SHM_LAYOUT.dataBytes) / 4, 'Int32Array')!
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
    this.#send(message)
  }

  stream(message: Uint8Array, count: number): void {
    for (let i = 0; i < count; i++) this.#send(message)
  }

  async stop(): Promise<void> {
    this.#send(new Uint8Array(0), -1)
    await exited(this.#child!)
    this.shm.destroy(this.#segment!.key)
  }
}

const LABELS: Record<string, string> = {
  channel: 'mman Channel',
  'process-json': 'process.send (JSON)',
  'process-advanced': 'process.send (advanced)',
  worker: 'worker postMessage',
  'shm-polling': 'shm-typed-array, polling',
}

const SIZES = [64, 4096, 1 << 20]

function counts(size: number, quick: boolean): { rounds: number; stream: number } {
  if (size >= 1 << 20) return quick ? { rounds: 10, stream: 20 } : { rounds: 100, stream: 300 }
  return quick ? { rounds: 200, stream: 2000 } : { rounds: 2000, stream: 20000 }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!
}

interface Measured {
  transport: string
  size: number
  rttUs: number[]
  throughputMBps: number
}

async function measure(name: string, make: () => Transport, size: number, quick: boolean): Promise<Measured> {
  const transport = make()
  await transport.start()
  const message = new Uint8Array(size)
  const { rounds, stream } = counts(size, quick)
  // Synchronous transports are not awaited: an await per round would add a microtask hop to their time.
  const roundTrip = async () => {
    const pending = transport.roundTrip(message)
    if (pending) await pending
  }
  // Half as many warm-up rounds as measured ones, so that both processes' JITs have settled.
  for (let i = 0; i < rounds / 2; i++) await roundTrip()
  const rttUs: number[] = new Array(rounds)
  for (let i = 0; i < rounds; i++) {
    const start = performance.now()
    const pending = transport.roundTrip(message)
    if (pending) await pending
    rttUs[i] = (performance.now() - start) * 1e3
  }
  const start = process.hrtime.bigint()
  await transport.stream(message, stream)
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  await transport.stop()
  return { transport: name, size, rttUs, throughputMBps: (size * stream) / seconds / 1e6 }
}

export async function ipcSuite(options: BenchOptions): Promise<SuiteResult> {
  const shm = await loadShm()
  const makers: Record<string, () => Transport> = {
    channel: () => new ChannelTransport(),
    'process-json': () => new ProcessSendTransport('json'),
    'process-advanced': () => new ProcessSendTransport('advanced'),
    worker: () => new WorkerTransport(),
  }
  const unmeasured: Unmeasured[] = []
  if (shm) makers['shm-polling'] = () => new ShmPollingTransport(shm)
  else unmeasured.push(notInstalled('ipc', 'shm-polling', LABELS['shm-polling']!, PEER_PACKAGES.shm))
  const names = Object.keys(makers)
  const progress = new Progress(names.length * SIZES.length, 'ipc')
  const results: Measured[] = []
  for (const [i, size] of SIZES.entries()) {
    // Rotate the order per size so that no transport always runs first.
    for (const name of [...names.slice(i % names.length), ...names.slice(0, i % names.length)]) {
      results.push(await measure(name, makers[name]!, size, options.quick))
      progress.step(`${LABELS[name]} ${size} B`)
    }
  }
  progress.finish()
  const rows = ipcRows(results)
  return { suite: 'ipc', rows, unmeasured, ...presentIpc(rows, unmeasured) }
}

// The spread that decides "faster" or "within noise" is that of the median
// over batches of consecutive round trips: single round trips span decades.
function ipcRows(results: Measured[]): Row[] {
  return results.map((m) => {
    const rtt = summarize(m.rttUs)
    const batches = batchMedians(m.rttUs, 10)
    return {
      suite: 'ipc', mode: m.transport, transport: m.transport, label: LABELS[m.transport], messageBytes: m.size, reps: batches.count,
      minMs: batches.min / 1e3, medianMs: rtt.median / 1e3, maxMs: batches.max / 1e3, roundTrips: m.rttUs.length,
      roundTripMedianUs: rtt.median, roundTripP99Us: percentile(m.rttUs, 0.99), roundTripMinUs: rtt.min, roundTripMaxUs: rtt.max, throughputMBps: m.throughputMBps,
    }
  })
}

export function presentIpc(rows: Row[], unmeasured: Unmeasured[]): Presentation {
  const names = [...new Set(rows.map((r) => r.transport as string))]
  const sizes = [...new Set(rows.map((r) => r.messageBytes as number))].sort((a, b) => a - b)
  const find = (transport: string, size: number) => rows.find((r) => r.transport === transport && r.messageBytes === size)
  const lines = ['## IPC: a Node parent and its child (or worker), one message at a time', '',
    'Round trip: the peer echoes each message back. Throughput: messages streamed one way, then one reply. ' +
    'process.send (JSON) carries a string of the same length.', '']
  for (const size of sizes) {
    const base = find('process-json', size)!
    lines.push(`### ${sizeLabel(size)} messages`, '')
    lines.push(table(['transport', 'round trip median µs', 'p99 µs', 'min–max µs', 'throughput MB/s', 'round trip vs process.send (JSON)'],
      [...names.map((name) => {
        const r = find(name, size)!
        return [LABELS[name]!, fmt(r.roundTripMedianUs as number), fmt(r.roundTripP99Us as number), `${fmt(r.roundTripMinUs as number)}–${fmt(r.roundTripMaxUs as number)}`,
          fmt(r.throughputMBps as number), versusProcessSend(r, base)]
      }), ...unmeasured.map((u) => [u.label, unmeasuredText(u), '–', '–', '–', '–'])]), '')
  }
  const conclusions = ipcConclusions(rows, unmeasured)
  lines.push('### What the numbers say', '', ...conclusions.map((c) => `- ${c}`), '')
  return { title: 'IPC: a Node parent and its child (or worker)', markdown: lines.join('\n'), conclusions, svg: ipcChart(rows, unmeasured) }
}
