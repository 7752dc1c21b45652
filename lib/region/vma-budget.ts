// vm.max_map_count. A process that reaches it can map nothing more, and then
// V8 and malloc fail their own allocations and end the process: measured,
// mapping 4 KiB shared regions until ENOMEM, then a few more calls, died in 8
// of 8 runs on Node 20, each inside V8's compiler ('Zone Allocation failed',
// std::bad_alloc thrown from Interpreter::NewCompilationJob, a SIGSEGV in a
// memcpy to a failed allocation). So mman refuses with ENOMEM, before the
// kernel would, whatever could bring the process within VMA_HEADROOM VMAs of
// the limit: those are left to V8 and malloc. Counting the VMAs reads
// /proc/self/maps, so it is done only when an upper bound of the count
// (the last count, plus what mman's calls may have added since) nears the limit.
import { readFileSync } from 'node:fs'
import { errno, syscallError } from '../errors.js'
import { native } from '../native.js'

/** VMAs left to V8 and malloc. */
const VMA_HEADROOM = 1024
// Near the limit, a refusal is answered from the bound alone until mman has
// unmapped enough to make room, or this many VMAs' worth of calls were made:
// at 64k VMAs a count reads some 6 MB of /proc/self/maps, which the kernel
// writes out line by line.
const RECOUNT_AFTER = 256

let counted = 0
// VMAs mman's calls may have added since the count: unknown until the first count.
let added = Number.POSITIVE_INFINITY
let unmapped = 0

function mapCountLimit(): number | undefined {
  try {
    const limit = Number(readFileSync('/proc/sys/vm/max_map_count', 'latin1'))
    return Number.isSafeInteger(limit) && limit > 0 ? limit : undefined
  } catch {
    return undefined
  }
}

let limit = mapCountLimit()

function recount(): boolean {
  const now = native.vmaCount()
  if (now < 0) return false
  limit = mapCountLimit() ?? limit
  counted = now
  added = 0
  unmapped = 0
  return true
}

/**
 * Before a call that may add up to `count` VMAs (a mapping: 1; a MAP_FIXED
 * placement, or mprotect/madvise/mlock of part of a mapping, which splits
 * it: 2). Throws ENOMEM when the process could come within the headroom.
 */
export function spendVmas(count: number, syscall: string): void {
  if (limit === undefined) return
  const over = counted + added + count + VMA_HEADROOM - limit
  if (over > 0) {
    const stale = unmapped >= over || added >= RECOUNT_AFTER || !Number.isFinite(added)
    // Cannot count: the kernel will say.
    if (stale && !recount()) return
    if (counted + added + count + VMA_HEADROOM > limit) {
      throw syscallError(
        errno('ENOMEM'),
        syscall,
        `refused: the process has about ${counted + added} memory mappings (VMAs) and vm.max_map_count is ${limit}; ` +
          `mman leaves the last ${VMA_HEADROOM} to V8 and malloc, which end the process when they cannot map. Unmap something first`,
      )
    }
  }
  added += count
}

/** After munmap: it may have split a merged VMA (one more), or, usually, freed one. */
export function noteUnmap(): void {
  added += 1
  unmapped += 1
}
