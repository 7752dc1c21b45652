// When a worker thread ends, the addon gives back what it mapped, except what
// another thread may still use: a buffer whose store transfer() moved out
// (and may have posted elsewhere). Node runs every buffer's finalizer as the
// thread ends, detaching it first, so the addon looks at all of them once,
// just before (native/views.cc, TakeCensus). A view whose object was
// collected while its store lived cannot be told apart then (moved away
// first, or V8's free of the store not delivered yet), so objects are held:
// from their creation for HOLD_MS, and all of them again as the loop runs dry
// (while a few more turns let V8's pending frees arrive) or at
// process.exit(). What stays in doubt (a view released, then collected just
// before worker.terminate() or process.exit()) stays mapped: a leak, never a
// crash. Node 20 has no transfer(): nothing to do there.
import { isMainThread } from 'node:worker_threads'
import { native } from '../native.js'

const needed = !isMainThread && typeof (ArrayBuffer.prototype as { transfer?: unknown }).transfer === 'function'
const HOLD_MS = 1000
// Measured: a millisecond or two of waiting settles a view in doubt, when nothing moved its store.
const DOUBT_WAITS = 100

let releaseDue = false
// Every view is held since the loop ran dry, and none was made after.
let ending = false
let waits = 0

function release(): void {
  releaseDue = false
  if (!ending) native.releaseViews()
}

function holdAll(): void {
  ending = true
  if (native.holdViews() > 0 && waits < DOUBT_WAITS) {
    waits++
    setTimeout(holdAll, 1)
  }
}

/** Called after every view the addon makes. */
export function noteViewMade(): void {
  if (!needed) return
  ending = false
  if (releaseDue) return
  releaseDue = true
  setTimeout(release, HOLD_MS).unref()
}

if (needed) {
  process.on('beforeExit', () => {
    if (!ending) setImmediate(holdAll)
  })
  // process.exit() ends the worker within the turn; its 'exit' listeners still run, but cannot wait.
  process.on('exit', () => native.holdViews())
}
