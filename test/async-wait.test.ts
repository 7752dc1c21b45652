// futexWaitAsync has two engines: io_uring futex waits where the kernel has
// them (6.7+), else threads of mman's own, one asleep per wait. MMAN_NO_IO_URING=1
// forces the threads, so both are held to the same behaviour here, each in a
// fresh process (the engine is chosen once per thread).
import { readFileSync } from 'node:fs'
import { release } from 'node:os'
import { describe, expect, it } from 'vitest'
import { runChild } from './helpers.js'

const PROGRAM = `
import { readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { Worker } from 'node:worker_threads'
import { MAP, PROT, addressOf, mapAnonymous, mapFile, mmap, pageSize, futexWaitAsync, futexWake } from 'mman'

const rings = () => readdirSync('/proc/self/fd').filter((fd) => {
  try { return readlinkSync('/proc/self/fd/' + fd) === 'anon_inode:[io_uring]' } catch { return false }
}).length
const report = {}
const memory = mapAnonymous(1 << 20, { shared: true })
const ints = new Int32Array(memory.buffer)
const before = rings()
ints[0] = 5
report.notEqual = await futexWaitAsync(ints, 0, 4, 1000)
report.ringsOpened = rings() - before
report.timedOut = await futexWaitAsync(ints, 0, 5, 20)
const woken = futexWaitAsync(ints, 1, 0, 10000)
setTimeout(() => { Atomics.store(ints, 1, 1); futexWake(ints, 1) }, 20)
report.woken = await woken

// More waits than the completion queue holds, and than the thread engine has
// threads for: the even ones (no timeout) woken with their word changed, at once
// (a wait is armed when futexWaitAsync returns), the odd ones timed out.
const many = Array.from({ length: 3000 }, (_, i) => futexWaitAsync(ints, 16 + i, 0, i % 2 === 0 ? undefined : 20))
for (let i = 0; i < 3000; i += 2) { Atomics.store(ints, 16 + i, 1); futexWake(ints, 16 + i) }
const outcomes = {}
for (const outcome of await Promise.all(many)) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
report.many = outcomes

// Unmapping ends pending waits, with and without a timeout, and they hold nothing mapped.
const doomed = mapAnonymous(4096, { shared: true })
const doomedInts = new Int32Array(doomed.buffer)
const cancelled = [futexWaitAsync(doomedInts, 0, 0), futexWaitAsync(doomedInts, 1, 0, 60000)].map((p) => p.then(() => 'settled', (e) => e.code))
setTimeout(() => doomed.unmap(), 20)
report.cancelled = await Promise.all(cancelled)

// Unreadable memory is EFAULT, as for futexWait, never a signal: mapped so,
// or made so while a wait is pending (which cancels it first).
const code = (promise) => promise.then(String, (e) => e.code)
report.unreadable = await code(futexWaitAsync(new Int32Array(mmap(null, 4096, PROT.NONE, MAP.SHARED | MAP.ANONYMOUS, -1, 0)), 0, 0, 10))
const hidden = mapAnonymous(4096, { shared: true })
const hiddenInts = new Int32Array(hidden.buffer)
const hiding = code(futexWaitAsync(hiddenInts, 0, 0, 60000))
setTimeout(() => hidden.protect(PROT.NONE), 20)
report.madeUnreadable = await hiding
report.whileUnreadable = await code(futexWaitAsync(hiddenInts, 0, 0, 10))
hidden.protect(PROT.READ | PROT.WRITE)
report.readableAgain = [await futexWaitAsync(hiddenInts, 0, 1), await futexWaitAsync(hiddenInts, 0, 0, 10)]
// The kernel compares there now: a wake that leaves the word as it was still ends the wait.
const hiddenWoken = futexWaitAsync(hiddenInts, 1, 0, 10000)
setTimeout(() => futexWake(hiddenInts, 1), 20)
report.wokenWhereKernelCompares = await hiddenWoken

// A MAP_FIXED mapping inside a region: a wait through the parent's view on
// its unreadable page is EFAULT; one on its readable page is cancelled when
// the collector gives the page back to the parent as PROT_NONE.
const parent = mmap(null, 3 * pageSize, PROT.READ | PROT.WRITE, MAP.SHARED | MAP.ANONYMOUS, -1, 0)
const parentInts = new Int32Array(parent)
const perWord = pageSize / 4
mmap(addressOf(parent) + BigInt(pageSize), pageSize, PROT.NONE, MAP.FIXED | MAP.PRIVATE | MAP.ANONYMOUS, -1, 0)
report.childUnreadable = await code(futexWaitAsync(parentInts, perWord, 0, 10))
let child = mmap(addressOf(parent) + BigInt(2 * pageSize), pageSize, PROT.READ | PROT.WRITE, MAP.FIXED | MAP.SHARED | MAP.ANONYMOUS, -1, 0)
const onChild = code(futexWaitAsync(parentInts, 2 * perWord, 0, 60000))
child = undefined
for (let i = 0; i < 10; i++) { globalThis.gc(); await new Promise((resolve) => setTimeout(resolve, 5)) }
report.childCollected = await onChild

// A file cut short under a mapping (here by another mapping's resize): EFAULT, not SIGBUS.
const file = tmpdir() + '/mman-wait-' + process.pid
writeFileSync(file, Buffer.alloc(2 * pageSize))
const whole = mapFile(file, { mode: 'rw' })
mapFile(file, { mode: 'rw' }).resize(pageSize)
report.fileShrunk = await code(futexWaitAsync(new Int32Array(whole.buffer), perWord + 1, 0, 10))
rmSync(file)

// A wake that leaves the word as it was still ends the wait, as FUTEX_WAIT's would.
const unchanged = futexWaitAsync(ints, 3, 0, 10000)
setTimeout(() => futexWake(ints, 3), 20)
report.wokenUnchanged = await unchanged

// A worker that ends with waits pending (untimed ones too) takes them with it.
const worker = new Worker(\`
  Promise.all([import('node:worker_threads'), import(\${JSON.stringify(import.meta.resolve('mman'))})]).then(([{ parentPort }, { mapAnonymous, futexWaitAsync }]) => {
    const ints = new Int32Array(mapAnonymous(4096, { shared: true }).buffer)
    for (let i = 0; i < 8; i++) futexWaitAsync(ints, i, 0)
    futexWaitAsync(ints, 9, 0, 10).then((r) => parentPort.postMessage(r))
  })
\`, { eval: true })
report.worker = await new Promise((resolve) => worker.once('message', resolve))
await worker.terminate()

// A pending wait keeps the process alive, as a timer does; this one ends it.
setTimeout(() => { Atomics.store(ints, 2, 1); futexWake(ints, 2) }, 30)
report.keptAlive = await futexWaitAsync(ints, 2, 0)
console.log(JSON.stringify(report))
`

function ioUringFutexExpected(): boolean {
  const [major = 0, minor = 0] = release().split('.').map(Number)
  let disabled = '0'
  try {
    disabled = readFileSync('/proc/sys/kernel/io_uring_disabled', 'utf8').trim()
  } catch {
    // No such setting before Linux 6.6: io_uring is not restricted.
  }
  return (major > 6 || (major === 6 && minor >= 7)) && disabled === '0'
}

describe.each([
  ['io_uring', {}],
  ['threads of its own', { MMAN_NO_IO_URING: '1' }],
])('futexWaitAsync through %s', (engine, env) => {
  it('answers as futexWait does, settles thousands of waits at once, is cancelled by unmap or PROT_NONE, says EFAULT on unreadable memory and ends with its thread', () => {
    const child = runChild(PROGRAM, [], env)
    expect(child.stderr).toBe('')
    const report = JSON.parse(child.stdout)
    expect(report).toMatchObject({
      notEqual: 'not-equal',
      timedOut: 'timed-out',
      woken: 'ok',
      many: { ok: 1500, 'timed-out': 1500 },
      cancelled: ['ERR_INVALID_STATE', 'ERR_INVALID_STATE'],
      unreadable: 'EFAULT',
      madeUnreadable: 'ERR_INVALID_STATE',
      whileUnreadable: 'EFAULT',
      readableAgain: ['not-equal', 'timed-out'],
      wokenWhereKernelCompares: 'ok',
      childUnreadable: 'EFAULT',
      childCollected: 'ERR_INVALID_STATE',
      fileShrunk: 'EFAULT',
      wokenUnchanged: 'ok',
      worker: 'timed-out',
      keptAlive: 'ok',
    })
    // The mismatch is answered before any engine starts.
    expect(report.ringsOpened).toBe(0)
    expect(child.status).toBe(0)
  })

  it('survives workers terminated while they call into mman (waits, mappings, async madvise)', () => {
    // Calls made while the worker's env is going away get failures from
    // Node-API: they must end the worker, never the process (an abort and an
    // unset promise handed to V8 did, 12 of 12 and 4 of 12 runs).
    const child = runChild(
      `
      import { Worker } from 'node:worker_threads'
      import { SharedMemory } from 'mman'
      const memory = SharedMemory.create(4096)
      const code = \`
        Promise.all([import('node:worker_threads'), import(\${JSON.stringify(import.meta.resolve('mman'))})]).then(async ([{ workerData, parentPort }, m]) => {
          const ints = m.SharedMemory.attach(workerData.fd).int32()
          parentPort.postMessage('ready')
          for (;;) {
            for (let i = 0; i < 100; i++) {
              m.futexWaitAsync(ints, 0, 1).catch(() => {})
              const buf = m.mmap(null, 4096, m.PROT.READ | m.PROT.WRITE, m.MAP.PRIVATE | m.MAP.ANONYMOUS, -1, 0)
              m.madviseAsync(buf, m.MADV.WILLNEED).catch(() => {})
            }
            await null
          }
        })\`
      for (let i = 0; i < 20; i++) {
        const worker = new Worker(code, { eval: true, workerData: { fd: memory.fd } })
        await new Promise((resolve) => worker.once('message', resolve))
        await new Promise((resolve) => setTimeout(resolve, 2 + (i % 5)))
        await worker.terminate()
      }
      console.log('survived')
    `,
      [],
      env,
    )
    expect(child.stderr).toBe('')
    expect(child.signal).toBeNull()
    expect(child.stdout).toBe('survived\n')
    expect(child.status).toBe(0)
  })

  it.runIf(engine === 'io_uring' && ioUringFutexExpected())(
    'waits through one io_uring per thread once it is set up (on a thread of its own)',
    () => {
      const child = runChild(
        `
      import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
      import { mapAnonymous, futexWaitAsync } from 'mman'
      const rings = () => readdirSync('/proc/self/fd').filter((fd) => { try { return readlinkSync('/proc/self/fd/' + fd) === 'anon_inode:[io_uring]' } catch { return false } })
      const completions = (fd) => Number(/CqTail:\\s*(\\d+)/.exec(readFileSync('/proc/self/fdinfo/' + fd, 'utf8'))[1])
      const ints = new Int32Array(mapAnonymous(4096, { shared: true }).buffer)
      // libuv on Node 22+ has io_uring rings of its own.
      const libuvRings = new Set(rings())
      await futexWaitAsync(ints, 0, 0, 50)
      const [ring, ...more] = rings().filter((fd) => !libuvRings.has(fd))
      const probed = completions(ring)
      await Promise.all([futexWaitAsync(ints, 0, 0, 10), futexWaitAsync(ints, 1, 0, 10)])
      console.log(JSON.stringify({ more: more.length, added: completions(ring) - probed }))
    `,
        [],
        env,
      )
      expect(child.stderr).toBe('')
      // Each timed wait completes twice: the wait, and its linked timeout.
      expect(JSON.parse(child.stdout)).toEqual({ more: 0, added: 4 })
    },
  )
})
