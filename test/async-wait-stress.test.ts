// futexWaitAsync keeps FUTEX_WAIT's two promises, proven by many rounds on
// both engines (io_uring, and the threads of its own, one per wait, forced by
// MMAN_NO_IO_URING=1), on an idle machine and with one busy loop per core:
// a wake that futexWake() counted ends a wait, always; and a wait is armed
// when futexWaitAsync() returns (a wake issued after that ends it even if the
// word did not change). No round measures time: each waits for its promises
// at most 20 s and reports those still pending as lost.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { describe, expect, it } from 'vitest'
import { repoRoot } from './helpers.js'

const STRESS = `
import { spawn } from 'node:child_process'
import { Worker } from 'node:worker_threads'
import { SharedMemory, futexWaitAsync, futexWake } from 'mman'

const [rounds, busyLoops] = process.argv.slice(-2).map(Number)
// Busy loops that end with this process, however it ends.
const BUSY = 'const parent = process.ppid; for (let i = 0; ; i++) if (i % 1e7 === 0 && process.ppid !== parent) process.exit()'
const busy = Array.from({ length: busyLoops }, () => spawn(process.execPath, ['-e', BUSY], { stdio: 'ignore' }))
const memory = SharedMemory.create(1 << 16)
const ints = memory.int32()
const report = { lost: [], counts: {}, results: {} }
const tally = (table, key) => { table[key] = (table[key] ?? 0) + 1 }
const finish = () => {
  for (const child of busy) child.kill()
  console.log(JSON.stringify(report))
  process.exit(0)
}

// The outcome of each wait, or 'lost' for one still pending 20 s later (the
// run then stops, to report it).
async function outcomes(waits, scenario) {
  let timer
  const bound = new Promise((resolve) => { timer = setTimeout(resolve, 20000, 'lost') })
  const results = await Promise.all(waits.map((wait) => Promise.race([wait, bound])))
  clearTimeout(timer)
  results.forEach((result) => tally(report.results, scenario + ' ' + result))
  if (results.includes('lost')) report.lost.push(scenario)
  return results
}

// The words stay 0 throughout: only the wakes can end these waits.
const pause = (round) => new Promise((resolve) => round % 3 === 0 ? setTimeout(resolve, 1) : setImmediate(resolve))

for (let round = 0; round < rounds; round++) {
  // Two waits asleep, then a wake each, in either order.
  const pair = [futexWaitAsync(ints, 0, 0), futexWaitAsync(ints, 1, 0, 60000)]
  await pause(round)
  const order = round % 2 === 0 ? [0, 1] : [1, 0]
  for (const index of order) tally(report.counts, 'pair ' + futexWake(ints, index))
  await outcomes(pair, 'pair')

  // Woken right after it returned, with and without a timeout.
  const at = 2 + (round % 8)
  const armed = futexWaitAsync(ints, at, 0, round % 2 === 0 ? undefined : 60000)
  tally(report.counts, 'armed ' + futexWake(ints, at))
  await outcomes([armed], 'armed')

  // Eight waits on eight words, woken in a shuffled order, some at once.
  const eight = Array.from({ length: 8 }, (_, i) => futexWaitAsync(ints, 16 + i, 0))
  if (round % 2 === 1) await pause(round)
  const shuffled = [0, 1, 2, 3, 4, 5, 6, 7].sort(() => Math.random() - 0.5)
  for (const i of shuffled) tally(report.counts, 'eight ' + futexWake(ints, 16 + i))
  await outcomes(eight, 'eight')
  if (report.lost.length > 0) finish()
}

// The first wait of a thread (on the default engine its io_uring ring is
// still being set up then), woken at once: in fresh worker threads.
const firstWaits = Math.max(4, Math.floor(rounds / 20))
for (let i = 0; i < firstWaits; i++) {
  const worker = new Worker(\`
    Promise.all([import('node:worker_threads'), import(\${JSON.stringify(import.meta.resolve('mman'))})]).then(async ([{ parentPort, workerData }, m]) => {
      const ints = m.SharedMemory.attach(workerData.fd).int32()
      const wait = m.futexWaitAsync(ints, 100, 0)
      const count = m.futexWake(ints, 100)
      const timer = setTimeout(() => parentPort.postMessage([count, 'lost']), 20000)
      parentPort.postMessage([count, await wait])
      clearTimeout(timer)
    })\`, { eval: true, workerData: { fd: memory.fd } })
  const [count, result] = await new Promise((resolve) => worker.once('message', resolve))
  tally(report.counts, 'first ' + count)
  tally(report.results, 'first ' + result)
  if (result === 'lost') report.lost.push('first')
  await worker.terminate()
  if (report.lost.length > 0) finish()
}

// Another thread wakes while this one keeps a wait pending on each of four
// words, starting a new one as each ends: every wake it counted must have
// ended a wait here. It goes on until it has counted \`rounds\` on each word.
const WORDS = 200
const waker = new Worker(\`
  Promise.all([import('node:worker_threads'), import(\${JSON.stringify(import.meta.resolve('mman'))})]).then(([{ parentPort, workerData }, m]) => {
    const ints = m.SharedMemory.attach(workerData.fd).int32()
    const counted = [0, 0, 0, 0]
    for (let i = 0; counted.some((n) => n < workerData.rounds) && i < workerData.rounds * 100000; i++) {
      counted[i % 4] += m.futexWake(ints, \${WORDS} + (i % 4), 1)
      if (i % 16 === 0) for (const until = performance.now() + 0.02; performance.now() < until; );
    }
    parentPort.postMessage(counted)
  })\`, { eval: true, workerData: { fd: memory.fd, rounds } })
const ended = [0, 0, 0, 0]
let stop = false
const keepWaiting = async (word) => {
  while (!stop) {
    const [result] = await outcomes([futexWaitAsync(ints, WORDS + word, 0)], 'waker')
    if (result !== 'ok') finish()
    ended[word]++
  }
}
const keepers = [0, 1, 2, 3].map(keepWaiting)
const wakerCounts = await new Promise((resolve) => waker.once('message', resolve))
// The waits still pending end with one more counted wake each.
stop = true
const last = [0, 1, 2, 3].map((word) => futexWake(ints, WORDS + word))
await Promise.all(keepers)
report.waker = { counted: wakerCounts.map((n, word) => n + last[word]), ended }
await waker.terminate()
finish()
`

interface StressReport {
  lost: string[]
  counts: Record<string, number>
  results: Record<string, number>
  waker: { counted: number[]; ended: number[] }
}

// A generous bound for a run that hangs: rounds are many, and with busy loops slow.
const RUN_BOUND_MS = 600_000

function run(program: string, args: string[], env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--input-type=module', '-e', program, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: RUN_BOUND_MS,
  })
}

function stress(env: NodeJS.ProcessEnv, rounds: number, busyLoops: number): StressReport {
  const child = run(STRESS, [String(rounds), String(busyLoops)], env)
  expect(child.stderr).toBe('')
  expect(child.signal).toBeNull()
  expect(child.status).toBe(0)
  return JSON.parse(child.stdout) as StressReport
}

describe.each([
  ['io_uring', {}],
  ['threads of its own', { MMAN_NO_IO_URING: '1' }],
])('futexWaitAsync through %s', (_engine, env) => {
  it.each([
    ['without busy loops', 300, 0],
    ['with one busy loop per core', 100, availableParallelism()],
  ])(
    'loses no counted wake and is armed when it returns, %s',
    (_load, rounds, busyLoops) => {
      const report = stress(env, rounds, busyLoops)
      expect(report.lost).toEqual([])
      // Every wake found its wait queued (exactly one waiter each), and every wait ended woken.
      const firstWaits = Math.max(4, Math.floor(rounds / 20))
      expect(report.counts).toEqual({
        'pair 1': 2 * rounds,
        'armed 1': rounds,
        'eight 1': 8 * rounds,
        'first 1': firstWaits,
      })
      expect(report.results).toEqual({
        'pair ok': 2 * rounds,
        'armed ok': rounds,
        'eight ok': 8 * rounds,
        'first ok': firstWaits,
        'waker ok': expect.any(Number),
      })
      // Each wake the other thread counted ended one wait here: no more, no fewer.
      const { counted, ended } = report.waker
      expect(ended).toEqual(counted)
      expect(Math.min(...counted)).toBeGreaterThanOrEqual(rounds)
    },
    RUN_BOUND_MS,
  )
})

const CANCELLED = `
import { SharedMemory, mapAnonymous, futexWaitAsync, futexWake } from 'mman'
const count = 30000
// What each wait ended with (handled from the start: they are rejected before they are counted).
const outcome = (wait) => wait.then((r) => 'resolved ' + r, (e) => e.code)
const rejected = async (outcomes) => {
  const codes = {}
  for (const code of await Promise.all(outcomes)) codes[code] = (codes[code] ?? 0) + 1
  return codes
}
// Each on its own word, and many on one word; with and without timeouts.
const memory = SharedMemory.create(count * 4)
const words = memory.int32()
const closed = Array.from({ length: count }, (_, i) => outcome(futexWaitAsync(words, i % 2 === 0 ? i : 1, 0, i % 3 === 0 ? 600000 : undefined)))
memory.close()
const mapping = mapAnonymous(count * 4, { shared: true })
const ints = new Int32Array(mapping.buffer)
const unmapped = Array.from({ length: count }, (_, i) => outcome(futexWaitAsync(ints, i, 0, i % 3 === 0 ? 600000 : undefined)))
mapping.unmap()
// A region's waits under as many newer ones on another region (the io_uring
// engine then wakes the words instead of searching for each wait).
const older = mapAnonymous(count * 2, { shared: true })
const newer = mapAnonymous(count * 2, { shared: true })
const olderWaits = Array.from({ length: count / 2 }, (_, i) => outcome(futexWaitAsync(new Int32Array(older.buffer), i, 0)))
const newerWaits = Array.from({ length: count / 2 }, (_, i) => outcome(futexWaitAsync(new Int32Array(newer.buffer), i, 0, 600000)))
older.unmap()
const underNewer = await rejected(olderWaits)
newer.unmap()
// Half woken (their words changed) just before the unmap, in the same turn:
// each of those ends either way, the other half rejected.
const last = mapAnonymous(count * 4, { shared: true })
const lastInts = new Int32Array(last.buffer)
const lastWaits = Array.from({ length: count }, (_, i) => outcome(futexWaitAsync(lastInts, i, 0)))
for (let i = 0; i < count / 2; i++) { Atomics.store(lastInts, i, 1); futexWake(lastInts, i) }
last.unmap()
const halves = await Promise.all([rejected(lastWaits.slice(0, count / 2)), rejected(lastWaits.slice(count / 2))])
console.log(JSON.stringify({ closed: await rejected(closed), unmapped: await rejected(unmapped), underNewer, newer: await rejected(newerWaits), halves }))
`

describe.each([
  ['io_uring', {}],
  ['threads of its own', { MMAN_NO_IO_URING: '1' }],
])('close() and unmap() through %s', (_engine, env) => {
  it(
    'reject 30,000 pending waits, each with ERR_INVALID_STATE (also waits older than many others, or beside woken ones)',
    () => {
      const child = run(CANCELLED, [], env)
      expect(child.stderr).toBe('')
      const { halves, ...rest } = JSON.parse(child.stdout) as { halves: Record<string, number>[] }
      expect(rest).toEqual({
        closed: { ERR_INVALID_STATE: 30000 },
        unmapped: { ERR_INVALID_STATE: 30000 },
        underNewer: { ERR_INVALID_STATE: 15000 },
        newer: { ERR_INVALID_STATE: 15000 },
      })
      // Woken just before: resolved 'ok' (0), or rejected if the unmap came first to the engine.
      expect(Object.keys(halves[0] ?? {}).every((code) => ['resolved ok', 'ERR_INVALID_STATE'].includes(code))).toBe(
        true,
      )
      expect(Object.values(halves[0] ?? {}).reduce((a, b) => a + b, 0)).toBe(15000)
      expect(halves[1]).toEqual({ ERR_INVALID_STATE: 15000 })
    },
    RUN_BOUND_MS,
  )
})

const THREADS = `
import { readdirSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { mapAnonymous, futexWaitAsync, futexWake } from 'mman'
const threads = () => readdirSync('/proc/self/task').length
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const before = threads()
// A worker that ends with waits pending takes their threads with it.
const worker = new Worker(\`
  Promise.all([import('node:worker_threads'), import(\${JSON.stringify(import.meta.resolve('mman'))})]).then(([{ parentPort }, m]) => {
    const ints = new Int32Array(m.mapAnonymous(4096, { shared: true }).buffer)
    for (let i = 0; i < 8; i++) m.futexWaitAsync(ints, i, 0)
    parentPort.postMessage('waiting')
  })\`, { eval: true })
await new Promise((resolve) => worker.once('message', resolve))
await worker.terminate()
const afterWorker = threads() - before
// A burst of 64 waits at once, each with a thread of its own; once they end,
// the idle threads go, down to four (after 10 s idle: the bound is 60 s).
const ints = new Int32Array(mapAnonymous(4096, { shared: true }).buffer)
const burst = Array.from({ length: 64 }, (_, i) => futexWaitAsync(ints, i, 0))
const during = threads() - before
for (let i = 0; i < 64; i++) { Atomics.store(ints, i, 1); futexWake(ints, i) }
await Promise.all(burst)
let after = threads() - before
for (let i = 0; i < 600 && after > 4; i++) { await sleep(100); after = threads() - before }
console.log(JSON.stringify({ afterWorker, during, after }))
`

describe('futexWaitAsync through threads of its own', () => {
  it(
    'ends its threads: a worker takes its own, idle ones beyond four retire',
    () => {
      const child = run(THREADS, [], { MMAN_NO_IO_URING: '1' })
      expect(child.stderr).toBe('')
      const { afterWorker, during, after } = JSON.parse(child.stdout) as Record<string, number>
      expect(afterWorker).toBeLessThanOrEqual(0)
      expect(during).toBeGreaterThanOrEqual(64)
      expect(after).toBeLessThanOrEqual(4)
    },
    RUN_BOUND_MS,
  )
})
