// What a child forked now would find mapped. The parent's own VMAs show
// MADV_DONTFORK only as a flag (VmFlags "dc"); its effect, the range missing
// from the child, can only be seen from a child: the tools addon forks one
// that only calls mincore(), write() and _exit().
import { pageSize } from 'mman'
import { checked, tools } from '../../tools.js'

/** How much of a range a forked child found mapped. */
export interface ForkedChildView {
  /** Pages the range covers (widened to whole pages). */
  pages: number
  /** How many of them were mapped in the child. */
  mapped: number
}

// The child counts unmapped pages one mincore() each: this bounds its work.
const MAX_PROBE_PAGES = 2 ** 20

/** Forks a child that counts which pages of [address, address + length) are mapped in it, and waits for its answer. */
export function mappedAfterFork(address: bigint, length: number): ForkedChildView {
  const page = BigInt(pageSize)
  const first = address - (address % page)
  const pages = Number((address + BigInt(length) - first + page - 1n) / page)
  if (address < 0n || length < 1 || pages > MAX_PROBE_PAGES)
    throw new RangeError(`cannot probe ${length} bytes at ${address}`)
  const [mapped, childErrno] = checked(tools.forkProbe(first, pages), 'fork')
  checked(childErrno, 'mincore')
  return { pages, mapped }
}
