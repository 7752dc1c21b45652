// When a worker thread ends, the addon gives back what it mapped, except what
// another thread may still use: a buffer whose store transfer() moved out
// (and may have posted elsewhere). Node runs every buffer's finalizer as the
// thread ends, detaching it first, so the addon looks at all of them once,
// just before (native/views.cc, TakeCensus). For that it needs a sentinel
// buffer newer than every view (Node runs those finalizers newest first):
// one after the views of each event-loop turn, and a last one as the loop
// runs dry (or at process.exit()) that also keeps every view alive until the
// census, so that none is collected with its fate unknown. What stays in
// doubt (views made within the turn worker.terminate() stops, views collected
// just before it or process.exit()) stays mapped: a leak, never a crash.
// Node 20 has no transfer(): nothing to do there.
import { isMainThread } from 'node:worker_threads'
import { native } from '../native.js'

const needed = !isMainThread && typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function'
let turnRefreshDue = false
// No view was made since the last refresh that held them all.
let settled = true

function endOfTurn(): void {
  turnRefreshDue = false
  native.refreshSentinel(false)
}

// V8 frees the store of a collected buffer later, off the JS thread, and Node
// then tells the addon on a later turn: until then such a view is in doubt.
// Measured: a millisecond or two of waiting settles it, when nothing else moved the store.
const DOUBT_WAITS = 100
let waits = 0

function holdAll(): void {
  settled = true
  const inDoubt = native.refreshSentinel(true)
  if (inDoubt > 0 && waits < DOUBT_WAITS) {
    waits++
    setTimeout(holdAll, 1)
  }
}

/** Called after every view the addon makes. */
export function noteViewMade(): void {
  if (!needed) return
  settled = false
  if (turnRefreshDue) return
  turnRefreshDue = true
  setImmediate(endOfTurn)
}

if (needed) {
  // The loop ran dry: one more turn, in which every view is held, and a few
  // more while views collected before it are in doubt.
  process.on('beforeExit', () => {
    if (!settled) setImmediate(holdAll)
  })
  // process.exit() ends the worker within the turn; its 'exit' listeners
  // still run, but cannot wait.
  process.on('exit', () => native.refreshSentinel(true))
}
