// The peer of the ipc suite's pair (pair.ts): takes the peer end of every
// transport the manifest (argv[2]) names, from the regions it inherited (the
// control region first), says it is ready, then serves one block of round
// trips at a time on the transport the parent names, until told to stop.
// Between blocks it spins briefly on the command word (the next block follows
// at once), then sleeps on it, watching that its parent still lives.
import { futexWait, inheritedMemory } from 'mman'
import { CONTROL, STOP, type PairManifest } from './pair.js'
import { pairTransports, type PairEnd } from './pair-transports.js'
import { loadShm } from '../peers.js'

const SPIN_MS = 50
const SLEEP_MS = 100

const manifest = JSON.parse(process.argv[2]!) as PairManifest[]
const ctl = inheritedMemory(0).int32(0, 64)
const transports = pairTransports(manifest.some((m) => m.key === 'shm-polling') ? await loadShm() : undefined)
let next = 1
const ends: PairEnd[] = manifest.map(({ key, regions, arg }) => {
  const transport = transports.find((t) => t.key === key)
  if (transport === undefined) throw new Error(`ipc pair peer: no transport '${key}'`)
  return transport.peer({ memory: Array.from({ length: regions }, () => inheritedMemory(next++)), arg })
})

const parent = process.ppid

/** The next command's sequence number, once the parent has given one. */
function nextCommand(seen: number): number {
  const spinUntil = performance.now() + SPIN_MS
  for (;;) {
    const seq = Atomics.load(ctl, CONTROL.seq)
    if (seq !== seen) return seq
    if (performance.now() < spinUntil) continue
    futexWait(ctl, CONTROL.seq, seen, SLEEP_MS)
    if (process.ppid !== parent) throw new Error('ipc pair peer: the parent is gone')
  }
}

process.send!('ready')
for (let seen = 0; ;) {
  seen = nextCommand(seen)
  const index = ctl[CONTROL.transport]!
  if (index === STOP) break
  Atomics.store(ctl, CONTROL.ready, seen)
  ends[index]!.run(ctl[CONTROL.rounds]!)
  Atomics.store(ctl, CONTROL.done, seen)
}
process.disconnect()
