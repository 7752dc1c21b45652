// Node parent <-> child messaging: round-trip latency and one-way throughput
// of mman's Channel against process.send (JSON and advanced serialization),
// worker postMessage, and shm-typed-array with polling.
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { Channel, forkWithMemory, type ChannelReceiver, type ChannelSender } from '../lib/index.js'
import type { BenchOptions } from './options.js'
import { loadShm, SHM_LAYOUT, type Shm } from './peers.js'
import { Progress } from './progress.js'
import { fmt, table, type Row, type SuiteResult } from './report.js'
import { summarize } from './stats.js'
import { barChart } from './svg.js'

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
  if (shm) makers['shm-polling'] = () => new ShmPollingTransport(shm)
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
  return report(results, names)
}

const sizeLabel = (size: number) => (size >= 1 << 20 ? `${size >> 20} MiB` : size >= 1024 ? `${size >> 10} KiB` : `${size} B`)

function report(results: Measured[], names: string[]): SuiteResult {
  const rows: Row[] = results.map((m) => {
    const rtt = summarize(m.rttUs)
    return {
      suite: 'ipc', mode: m.transport, transport: m.transport, label: LABELS[m.transport], messageBytes: m.size, reps: m.rttUs.length,
      minMs: rtt.min / 1e3, medianMs: rtt.median / 1e3, maxMs: rtt.max / 1e3,
      roundTripMedianUs: rtt.median, roundTripP99Us: percentile(m.rttUs, 0.99), throughputMBps: m.throughputMBps,
    }
  })
  const find = (transport: string, size: number) => rows.find((r) => r.transport === transport && r.messageBytes === size)
  const lines = ['## IPC: a Node parent and its child (or worker), one message at a time', '',
    'Round trip: the peer echoes each message back. Throughput: messages streamed one way, then one reply. ' +
    'process.send (JSON) carries a string of the same length.', '']
  for (const size of SIZES) {
    const base = find('process-json', size)!
    lines.push(`### ${sizeLabel(size)} messages`, '')
    lines.push(table(['transport', 'round trip median µs', 'p99 µs', 'min–max µs', 'throughput MB/s', 'round trip vs process.send (JSON)'],
      names.map((name) => {
        const r = find(name, size)!
        return [LABELS[name]!, fmt(r.roundTripMedianUs as number), fmt(r.roundTripP99Us as number), `${fmt(r.minMs * 1e3)}–${fmt(r.maxMs * 1e3)}`,
          fmt(r.throughputMBps as number), `${fmt((base.roundTripMedianUs as number) / (r.roundTripMedianUs as number))}× faster`]
      })), '')
  }
  const conclusions: string[] = []
  const small = find('channel', 64)
  const smallBase = find('process-json', 64)
  if (small && smallBase) {
    const ratio = (smallBase.roundTripMedianUs as number) / (small.roundTripMedianUs as number)
    conclusions.push(`A 64-byte round trip through the Channel takes ${fmt(small.roundTripMedianUs as number)} µs against ${fmt(smallBase.roundTripMedianUs as number)} µs for process.send: ${fmt(ratio)}× lower (target ≥ 15×: ${ratio >= 15 ? 'met' : 'missed'}). Both sides spin briefly before sleeping on the futex, so a busy conversation never enters the kernel.`)
  }
  const big = find('channel', 1 << 20)
  const bigBase = find('process-json', 1 << 20)
  if (big && bigBase) {
    const ratio = (big.throughputMBps as number) / (bigBase.throughputMBps as number)
    conclusions.push(`1 MiB messages stream at ${fmt(big.throughputMBps as number)} MB/s through the Channel against ${fmt(bigBase.throughputMBps as number)} MB/s for process.send (JSON): ${fmt(ratio)}× (target ≥ 10×: ${ratio >= 10 ? 'met' : 'missed'}); the Channel copies each message once into the ring and once out.`)
  }
  const shmSmall = find('shm-polling', 64)
  if (shmSmall && small) {
    conclusions.push(`shm-typed-array with polling answers in ${fmt(shmSmall.roundTripMedianUs as number)} µs because both sides spin without end — it never sleeps, and has no way to (no cross-process wake-up), so it burns a CPU per side while idle.`)
  }
  lines.push('### What the numbers say', '', ...conclusions.map((c) => `- ${c}`), '')
  const svg = barChart({
    title: 'Round trip between a Node parent and its peer: median',
    subtitle: 'whiskers: min–max over all round trips',
    unit: 'µs',
    log: true,
    groups: SIZES.map((size) => ({
      label: sizeLabel(size),
      bars: names.map((name) => {
        const r = find(name, size)!
        return { label: LABELS[name]!, value: r.roundTripMedianUs as number, min: r.minMs * 1e3, max: r.maxMs * 1e3 }
      }),
    })),
  })
  return { suite: 'ipc', rows, markdown: lines.join('\n'), svg }
}
