// When a consumer of a mapping's views is done with them: a promise that
// settled, or a stream that finished writing (every write handed to the
// kernel) or closed. Node's socket writes read a Buffer in place until then,
// so unmapping earlier sends zero-filled bytes (the range stays reserved, so
// nothing crashes, but the data is gone).
import { Stream } from 'node:stream'
import { invalidArgType } from './errors.js'

/** What unmapAfter() waits for. */
export type Completion = PromiseLike<unknown> | Stream

// Not stream.finished(): asked about the writable side only ({ readable: false },
// as a socket's writes need), it calls back at once after res.end() on Node 20
// to 26 (an ended ServerResponse counts as "not writable", hence done) while the
// body is still being sent. And no 'error' listener: a stream that fails closes
// too, and the error stays the caller's to handle.
const END_EVENTS = ['finish', 'close'] as const

interface StreamState {
  writableFinished?: boolean
  destroyed?: boolean
  closed?: boolean
}

/** Resolves once `done` has settled (either way) or, for a stream, finished or closed. */
export function whenDone(done: unknown, name: string): Promise<void> {
  if (done instanceof Stream) return streamEnded(done)
  if (typeof (done as PromiseLike<unknown> | null)?.then === 'function') {
    return Promise.resolve(done).then(
      () => undefined,
      () => undefined,
    )
  }
  throw invalidArgType(name, 'a Promise or a stream (such as an http.ServerResponse or a net.Socket)', done)
}

function streamEnded(stream: Stream): Promise<void> {
  const state = stream as StreamState
  if (state.writableFinished === true || state.destroyed === true || state.closed === true) return Promise.resolve()
  return new Promise((resolve) => {
    const ended = () => {
      for (const event of END_EVENTS) stream.off(event, ended)
      resolve()
    }
    for (const event of END_EVENTS) stream.on(event, ended)
  })
}

// munmap is EBUSY only while an async msync/madvise on the mapping runs on the
// thread pool (syncAsync(), populateAsync(), or msyncAsync()/madviseAsync() on
// a view, whose promises the caller may hold alone). Each ends by itself, so
// the unmap is tried again as each of them settles: there, before its caller
// goes on, because a caller that starts its next call as one settles (a
// flusher syncing until the mapping is unmapped) would otherwise always have
// one in flight. A timer, whose interval grows to 100 ms, covers the calls on
// MAP.FIXED mappings placed inside it, which are EBUSY too.
const FIRST_RETRY_MS = 1
const LONGEST_RETRY_MS = 100

/** Subscribes a listener to the settling of a mapping's async calls; returns its unsubscribe. */
type AsyncSettledSource = (listener: () => void) => () => void

/** Calls `unmap` until it is not refused with EBUSY: that is, once the mapping's async calls have ended. */
export function unmapOnceIdle(unmap: () => void, onAsyncSettled: AsyncSettledSource): Promise<void> {
  return new Promise((resolve, reject) => {
    /** Whether the unmap is over: done, or failed otherwise than EBUSY. */
    const ended = (): boolean => {
      try {
        unmap()
        resolve()
      } catch (error) {
        if ((error as { code?: unknown }).code === 'EBUSY') return false
        // unmap()'s own error (a SyscallError), passed on as it was thrown.
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(error)
      }
      return true
    }
    if (ended()) return
    let wait = FIRST_RETRY_MS
    let timer: NodeJS.Timeout | undefined
    const stopListening = onAsyncSettled(() => {
      if (!ended()) return
      clearTimeout(timer)
      stopListening()
    })
    const retry = (): void => {
      if (ended()) {
        stopListening()
        return
      }
      wait = Math.min(wait * 2, LONGEST_RETRY_MS)
      timer = setTimeout(retry, wait)
    }
    timer = setTimeout(retry, wait)
  })
}
