// futexWait() in a worker thread: a thread inside FUTEX_WAIT never returns to
// JS, and Node joins a worker's thread on worker.terminate() and on
// process.exit() in the main thread, so a worker asleep in a futex wait
// without a timeout kept the whole process from exiting. Its sleep is taken in
// slices and ends when its env stops; between slices it still answers as
// FUTEX_WAIT does. Each case runs in a child process, bounded (a hang guard,
// not a measure of speed).
import { spawnSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { repoRoot } from './helpers.js'

const HANG_GUARD_MS = 30_000

// Starts a worker that posts 'waiting' and then calls futexWait(ints, 0, 0, timeoutMs)
// on word 0 of `memory`, posting its answer if it ever returns.
const SLEEPER = `
import { Worker } from 'node:worker_threads'
import { SharedMemory, futexWake } from 'mman'
const memory = SharedMemory.create(4096)
const ints = memory.int32()
const sleeper = (timeoutMs) => {
  const worker = new Worker(\`
    Promise.all([import('node:worker_threads'), import(\${JSON.stringify(import.meta.resolve('mman'))})]).then(([{ parentPort, workerData }, m]) => {
      const ints = m.SharedMemory.attach(workerData.fd).int32()
      parentPort.postMessage('waiting')
      parentPort.postMessage(m.futexWait(ints, 0, 0, workerData.timeoutMs))
    })\`, { eval: true, workerData: { fd: memory.fd, timeoutMs } })
  const messages = []
  worker.on('message', (message) => messages.push(message))
  const next = () => new Promise((resolve) => {
    if (messages.length > 0) return resolve(messages.shift())
    worker.once('message', () => resolve(messages.shift()))
  })
  return { worker, next }
}
// Long enough that the worker is asleep in all likelihood (the cases hold either way).
const settle = () => new Promise((resolve) => setTimeout(resolve, 250))
`

function run(program: string): { status: number | null; signal: string | null; stdout: string; stderr: string } {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', SLEEPER + program], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: HANG_GUARD_MS,
  })
  return { status: child.status, signal: child.signal, stdout: child.stdout, stderr: child.stderr }
}

describe('futexWait() in a worker thread', () => {
  it('lets process.exit() in the main thread end the process while the worker sleeps without a timeout', () => {
    const child = run(`
      const { next } = sleeper(undefined)
      await next()
      await settle()
      console.log('exiting')
      process.exit(7)
    `)
    expect(child.signal).toBeNull()
    expect(child.stderr).toBe('')
    expect(child.stdout).toBe('exiting\n')
    expect(child.status).toBe(7)
  })

  it('lets worker.terminate() end the worker while it sleeps without a timeout', () => {
    const child = run(`
      const { worker, next } = sleeper(undefined)
      await next()
      await settle()
      const exitCode = await worker.terminate()
      // Nothing is left asleep on the word.
      console.log(JSON.stringify({ exitCode, woken: futexWake(ints, 0) }))
    `)
    expect(child.signal).toBeNull()
    expect(child.stderr).toBe('')
    expect(JSON.parse(child.stdout)).toEqual({ exitCode: 1, woken: 0 })
    expect(child.status).toBe(0)
  })

  it('still answers as FUTEX_WAIT does across its slices: woken by a counted wake, timed out at its timeout', () => {
    const child = run(`
      // Woken: keep waking until a wake is counted (the worker is asleep then).
      const woken = sleeper(undefined)
      await woken.next()
      let counted = 0
      while ((counted = futexWake(ints, 0)) === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      const wokenAnswer = await woken.next()
      await woken.worker.terminate()
      // A timeout longer than several slices, nobody waking.
      const timed = sleeper(350)
      await timed.next()
      const timedAnswer = await timed.next()
      await timed.worker.terminate()
      console.log(JSON.stringify({ counted, wokenAnswer, timedAnswer }))
    `)
    expect(child.stderr).toBe('')
    expect(JSON.parse(child.stdout)).toEqual({ counted: 1, wokenAnswer: 'ok', timedAnswer: 'timed-out' })
  })
})
