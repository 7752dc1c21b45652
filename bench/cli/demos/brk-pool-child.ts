// The child of `mman demo brk-pool`: seed 000's memory pool on brk/sbrk, then
// the guard refusing a shrink once malloc has moved the break. Events are
// collected and printed at the end: printing mallocs, and malloc moving the
// break between growth and reset would (rightly) make the guard refuse. (A
// positive sbrk() increment returns the new bytes, as an ArrayBuffer.)
import { brk, sbrk } from 'mman'

interface PoolEvent {
  step: string
  break: string
  [detail: string]: unknown
}

const events: PoolEvent[] = []
const note = (step: string, detail: Record<string, unknown> = {}) =>
  events.push({ step, break: `0x${sbrk(0).toString(16)}`, ...detail })

const memorypool = sbrk(0)
note('initmemorypool: memorypool = sbrk(0)')
const a = sbrk(4096) as ArrayBuffer
note('myallocate(4096)', { bytes: a.byteLength })
const b = sbrk(65536) as ArrayBuffer
note('myallocate(65536)', { bytes: b.byteLength })
new Uint8Array(a).fill(1)
new Uint8Array(b).fill(2)
brk(memorypool)
note('resetmemorypool: brk(memorypool)', { viewsDetached: a.byteLength === 0 && b.byteLength === 0 })
const c = sbrk(8192) as ArrayBuffer
const keep: ArrayBuffer[] = []
for (let i = 0; i < 20000 && sbrk(0) === memorypool + 8192n; i++) keep.push(new ArrayBuffer(1024).slice(0))
note('myallocate(8192), then malloc grows the heap (20000 small ArrayBuffers)')
let refusal: { code: string; message: string } | undefined
try {
  brk(memorypool)
} catch (error) {
  refusal = { code: (error as { code: string }).code, message: (error as Error).message }
}
note('resetmemorypool again', { refused: refusal !== undefined, error: refusal, stillUsable: c.byteLength })
console.log(JSON.stringify({ memorypool: `0x${memorypool.toString(16)}`, events }))
