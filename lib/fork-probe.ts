// What a child forked now would find mapped. The parent's own VMAs show
// MADV_DONTFORK only as a flag (VmFlags "dc"); its effect, the range missing
// from the child, can only be seen from a child.
import { pageSize } from './constants.js'
import { check, outOfRange } from './errors.js'
import { native } from './native.js'
import { address as validAddress, integer } from './validate.js'

/** How much of a range a forked child found mapped. */
export interface ForkedChildView {
  /** Pages the range covers (widened to whole pages). */
  pages: number
  /** How many of them were mapped in the child. */
  mapped: number
}

// The child counts unmapped pages one mincore() each: this bounds its work.
const MAX_PROBE_PAGES = 2 ** 20

/**
 * Forks a child that asks mincore(2) which pages of [address, address +
 * length) are mapped in its own address space, and waits for its answer. A
 * range advised MADV_DONTFORK (VmFlags `dc`) is missing from the child; any
 * other mapping is inherited. The fork is native and the child runs no
 * JavaScript, only mincore, write and _exit; nothing at `address` is read.
 * The range is widened to whole pages, at most 2^20 of them.
 *
 * @example
 * ```ts
 * mapping.advise(MADV.DONTFORK)
 * mappedAfterFork(mapping.address, mapping.length) // { pages: 4, mapped: 0 }
 * ```
 */
export function mappedAfterFork(address: bigint | number, length: number): ForkedChildView {
  const start = validAddress(address, 'address')
  const bytes = integer(length, 'length', 1)
  const page = BigInt(pageSize)
  const first = start - (start % page)
  const end = start + BigInt(bytes)
  if (end > 1n << 64n) throw outOfRange('length', `<= ${(1n << 64n) - start} (the end of the address space)`, length)
  const pages = Number((end - first + page - 1n) / page)
  if (pages > MAX_PROBE_PAGES) throw outOfRange('length', `at most ${MAX_PROBE_PAGES} pages (${MAX_PROBE_PAGES * pageSize} bytes)`, length)
  const [mapped, childErrno] = check(native.forkProbe(first, pages), 'fork', (code) =>
    code === 'EPIPE' ? 'the child died before it reported' : undefined,
  )
  check(childErrno, 'mincore')
  return { pages, mapped }
}
