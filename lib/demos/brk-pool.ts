// Seed 000's memory pool on brk/sbrk: init with sbrk(0), allocate with
// sbrk(n), reset with brk(pool); then the guard refusing a shrink once malloc
// has moved the break. Runs in a child process: it moves the program break.
import { runModule } from './child.js'
import type { Demo, DemoOutput } from './types.js'

// Events are collected and printed at the end: printing mallocs, and malloc
// moving the break between growth and reset would (rightly) make the guard refuse.
const POOL = `
import { brk, sbrk } from 'mman'
const events = []
const note = (step, extra = {}) => events.push({ step, break: '0x' + sbrk(0).toString(16), ...extra })
const memorypool = sbrk(0)
note('initmemorypool: memorypool = sbrk(0)')
const a = sbrk(4096)
note('myallocate(4096)', { bytes: a.byteLength })
const b = sbrk(65536)
note('myallocate(65536)', { bytes: b.byteLength })
new Uint8Array(a).fill(1)
new Uint8Array(b).fill(2)
brk(memorypool)
note('resetmemorypool: brk(memorypool)', { viewsDetached: a.byteLength === 0 && b.byteLength === 0 })
const c = sbrk(8192)
const keep = []
for (let i = 0; i < 20000 && sbrk(0) === memorypool + 8192n; i++) keep.push(new ArrayBuffer(1024).slice(0))
note('myallocate(8192), then malloc grows the heap (20000 small ArrayBuffers)')
let refusal
try { brk(memorypool) } catch (error) { refusal = { code: error.code, message: error.message } }
note('resetmemorypool again', { refused: refusal !== undefined, error: refusal, stillUsable: c.byteLength })
console.log(JSON.stringify({ memorypool: '0x' + memorypool.toString(16), events }))
`

function run(): DemoOutput {
  // In about 1 Node process in 100, V8 has a mapping right above the heap and the
  // break cannot grow at all (sbrk fails with ENOMEM): a fresh process is the remedy.
  let child = runModule(POOL)
  for (let i = 0; i < 4 && /ENOMEM/.test(child.stderr); i++) child = runModule(POOL)
  if (child.status !== 0) throw new Error(`the pool child failed (${child.signal ?? child.status}): ${child.stderr}`)
  const data = JSON.parse(child.stdout) as { memorypool: string; events: { step: string; break: string; refused?: boolean; error?: { code: string } }[] }
  const text = data.events.map((e) => `${e.step.padEnd(75)} program break ${e.break}${e.refused ? `  -> refused: ${e.error!.code}` : ''}`)
  text.push(
    'The pool moves the break up and back. Once malloc has grown the heap above the pool, shrinking would free',
    "malloc's live memory, so brk() refuses with EBUSY instead of crashing the process.",
  )
  return { text, data }
}

export const brkPool: Demo = { summary: "the seed's sbrk/brk memory pool, in a child process, and the guard refusing an unsafe shrink", run }
