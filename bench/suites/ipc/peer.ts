// The other end of `mman bench ipc`, one per transport: echoes "echo"
// messages, counts "item" messages, and answers "end" with "done".
// Message kind is the first byte for byte transports: 1 echo, 2 item, 3 end.
import { parentPort, workerData } from 'node:worker_threads'
import { Channel, inheritedMemory } from 'mman'
import { asyncEngineProbe } from './conditions.js'
import { ECHO, END } from './kinds.js'
import { ShmPolling } from './shm.js'
import { loadShm } from '../peers.js'

async function channel(): Promise<void> {
  const rx = Channel.attach(inheritedMemory(0)).receiver()
  const tx = Channel.attach(inheritedMemory(1)).sender()
  for (let message = rx.receiveView(); message !== null; message = rx.receiveView()) {
    if (message[0] === ECHO) tx.send(message)
    else if (message[0] === END) tx.send(new Uint8Array([END]))
  }
  tx.close()
}

/** As channel(), awaiting each message off the event loop; reports the wait engine it used to the parent. */
async function channelAsync(): Promise<void> {
  const engine = asyncEngineProbe()
  const rx = Channel.attach(inheritedMemory(0)).receiver()
  const tx = Channel.attach(inheritedMemory(1)).sender()
  for (let message = await rx.receiveAsync(); message !== null; message = await rx.receiveAsync()) {
    if (message[0] === ECHO) tx.send(message)
    else if (message[0] === END) tx.send(new Uint8Array([END]))
  }
  tx.close()
  await new Promise((sent) => process.send!({ engine: engine() }, sent))
}

type Message = { t: 'echo' | 'item' | 'end'; data: unknown }

function messages(port: { on(event: 'message', f: (m: Message) => void): void }, send: (m: unknown) => void): void {
  port.on('message', (m) => {
    if (m.t === 'echo') send(m)
    else if (m.t === 'end') send({ t: 'done' })
  })
}

async function shmPolling(key: number): Promise<void> {
  const shm = await loadShm()
  const polling = new ShmPolling(shm!.get(key, 'Int32Array')!)
  while (polling.answer());
}

/** Waits `IDLE_WAIT_MS` (argv[3]) for a message that never comes, then reports the CPU time it took. */
const IDLE_WAIT_MS = Number(process.argv[3])

function idle(wait: () => void): void {
  const cpu = process.cpuUsage()
  const start = performance.now()
  wait()
  const used = process.cpuUsage(cpu)
  process.send!({ cpuMs: (used.user + used.system) / 1e3, wallMs: performance.now() - start })
}

function idleChannel(): void {
  const rx = Channel.attach(inheritedMemory(0)).receiver()
  idle(() => {
    try {
      rx.receive(IDLE_WAIT_MS)
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_CHANNEL_TIMEOUT') throw error
    }
  })
}

/** What polling costs: a loop on a word that never changes (as shm-typed-array's peer waits). */
function idleSpin(): void {
  const word = new Int32Array(new SharedArrayBuffer(4))
  idle(() => {
    const end = performance.now() + IDLE_WAIT_MS
    while (Atomics.load(word, 0) === 0 && performance.now() < end);
  })
}

const mode = ((workerData as { mode?: string } | null)?.mode ?? process.argv[2]) as string
if (mode === 'channel') await channel()
else if (mode === 'channel-async') await channelAsync()
else if (mode === 'idle-channel') idleChannel()
else if (mode === 'idle-spin') idleSpin()
else if (mode === 'worker') messages(parentPort!, (m) => parentPort!.postMessage(m))
else if (mode === 'process') messages(process, (m) => process.send!(m))
else if (mode === 'shm') await shmPolling(Number(process.argv[3]))
else throw new Error(`unknown peer mode ${mode}`)
if (mode.startsWith('channel') || mode === 'shm' || mode.startsWith('idle')) process.disconnect?.()
