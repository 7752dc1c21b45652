// The other end of `mman bench ipc`, one per transport: echoes "echo"
// messages, counts "item" messages, and answers "end" with "done".
// Message kind is the first byte for byte transports: 1 echo, 2 item, 3 end.
import { parentPort, workerData } from 'node:worker_threads'
import { Channel, inheritedMemory } from '../lib/index.js'
import { IDLE_WAIT_MS } from './ipc-idle.js'
import { loadShm, SHM_LAYOUT } from './peers.js'

const ECHO = 1
const END = 3

async function channel(): Promise<void> {
  const rx = Channel.attach(inheritedMemory(0)).receiver()
  const tx = Channel.attach(inheritedMemory(1)).sender()
  for (let message = rx.receiveView(); message !== null; message = rx.receiveView()) {
    if (message[0] === ECHO) tx.send(message)
    else if (message[0] === END) tx.send(new Uint8Array([END]))
  }
  tx.close()
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
  const memory = shm!.get(key, 'Int32Array')!
  const ctl = memory.subarray(0, SHM_LAYOUT.dataOffset / 4)
  const bytes = new Uint8Array(memory.buffer, memory.byteOffset + SHM_LAYOUT.dataOffset, SHM_LAYOUT.dataBytes)
  const reply = new Uint8Array(memory.buffer, memory.byteOffset + SHM_LAYOUT.replyOffset, SHM_LAYOUT.dataBytes)
  const scratch = new Uint8Array(SHM_LAYOUT.dataBytes)
  let seen = 0
  for (;;) {
    let seq: number
    while ((seq = Atomics.load(ctl, SHM_LAYOUT.seq)) === seen);
    seen = seq
    const length = Atomics.load(ctl, SHM_LAYOUT.length)
    if (length < 0) return
    // As the Channel's peer: an echo is written back from the message in place, anything else taken out.
    const message = bytes.subarray(0, length)
    if (message[0] === ECHO) {
      reply.set(message)
      Atomics.store(ctl, SHM_LAYOUT.replyLength, length)
    } else {
      scratch.set(message)
    }
    Atomics.store(ctl, SHM_LAYOUT.ack, seq)
  }
}

/** Takes turns with the parent on word 0: odd is the parent's, the next even is ours; -1 ends. */
function spin(): void {
  const memory = inheritedMemory(0)
  const word = memory.int32()
  for (let turn = 1; ; turn += 2) {
    let seen
    while ((seen = Atomics.load(word, 0)) !== turn) if (seen === -1) return memory.close()
    Atomics.store(word, 0, turn + 1)
  }
}

/** Waits for a message that never comes, then reports the CPU time it took. */
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

const mode = workerData?.mode ?? process.argv[2]
if (mode === 'channel') await channel()
else if (mode === 'spin') spin()
else if (mode === 'idle-channel') idleChannel()
else if (mode === 'idle-spin') idleSpin()
else if (mode === 'worker') messages(parentPort!, (m) => parentPort!.postMessage(m))
else if (mode === 'process') messages(process as never, (m) => process.send!(m))
else if (mode === 'shm') await shmPolling(Number(process.argv[3]))
else throw new Error(`unknown peer mode ${mode}`)
if (mode === 'channel' || mode === 'shm' || mode === 'spin' || mode.startsWith('idle')) process.disconnect?.()
