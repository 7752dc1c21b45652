// Seed 000's memory pool on brk/sbrk: init with sbrk(0), allocate with
// sbrk(n), reset with brk(pool); then the guard refusing a shrink once malloc
// has moved the break. Runs in a child process (brk-pool-child): it moves the program break.
import { runChildModule } from './child.js'
import type { Demo, DemoOutput } from './types.js'

function run(): DemoOutput {
  // In about 1 Node process in 100, V8 has a mapping right above the heap and the
  // break cannot grow at all (sbrk fails with ENOMEM): a fresh process is the remedy.
  let child = runChildModule('brk-pool-child')
  for (let i = 0; i < 4 && /ENOMEM/.test(child.stderr); i++) child = runChildModule('brk-pool-child')
  if (child.status !== 0) throw new Error(`the pool child failed (${child.signal ?? child.status}): ${child.stderr}`)
  const data = JSON.parse(child.stdout) as {
    memorypool: string
    events: { step: string; break: string; refused?: boolean; error?: { code: string } }[]
  }
  const text = data.events.map(
    (e) => `${e.step.padEnd(75)} program break ${e.break}${e.refused ? `  -> refused: ${e.error!.code}` : ''}`,
  )
  text.push(
    'The pool moves the break up and back. Once malloc has grown the heap above the pool, shrinking would free',
    "malloc's live memory, so brk() refuses with EBUSY instead of crashing the process.",
  )
  return { text, data }
}

export const brkPool: Demo = {
  summary: "the seed's sbrk/brk memory pool, in a child process, and the guard refusing an unsafe shrink",
  run,
}
