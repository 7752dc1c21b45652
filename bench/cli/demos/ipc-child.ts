// The child of `mman demo ipc`: maps the memfd it inherited and prints what it
// holds, now and 3 s later. It prints into a pipe to the demo, which may have
// ended meanwhile (its own reader gone): then it ends quietly too.
import { setTimeout as sleep } from 'node:timers/promises'
import { inheritedMemory } from 'mman'
import { endQuietlyWhenReaderLeaves } from '../stdout.js'

endQuietlyWhenReaderLeaves()

const memory = inheritedMemory(0)
const read = () => {
  const bytes = new Uint8Array(memory.buffer)
  return Buffer.from(bytes.subarray(0, bytes.indexOf(0))).toString()
}
process.stdout.write(`PID ${process.pid}:\tmemfd ${read()}\n`)
await sleep(3000)
process.stdout.write(`PID ${process.pid}:\tmemfd ${read()}\n`)
memory.close()
// The demo that started it may be gone already (see above), and its IPC channel with it.
if (process.connected) process.disconnect()
