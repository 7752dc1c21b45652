// vm.max_map_count. A process that reaches it can map nothing more, and then
// V8 and malloc fail their own allocations and end the process: measured,
// mapping 4 KiB shared regions until ENOMEM, then a few more calls, died in 8
// of 8 runs on Node 20, each inside V8's compiler ('Zone Allocation failed',
// std::bad_alloc thrown from Interpreter::NewCompilationJob, a SIGSEGV in a
// memcpy to a failed allocation). So mman refuses with ENOMEM, before the
// kernel would, whatever could bring the process within HEADROOM VMAs of the
// limit: those are left to V8 and malloc. Counting the VMAs reads
// /proc/self/maps, so it is done only when an upper bound of the count
// (the last count, plus what mman's calls may have added since) nears the limit.
import { readFileSync } from 'node:fs'
import { errno, syscallError } from '../errors.js'
import { native } from '../native.js'

/** VMAs left to V8 and malloc. */
export const VMA_HEADROOM = 1024

let counted = 0
// Unknown until the first count.
let added = Number.POSITIVE_INFINITY

function mapCountLimit(): number | undefined {
  try {
    const limit = Number(readFileSync('/proc/sys/vm/max_map_count', 'latin1'))
    return Number.isSafeInteger(limit) && limit > 0 ? limit : undefined
  } catch {
    return undefined
  }
}

let limit = mapCountLimit()

/**
 * Before a call that may add up to `count` VMAs (a mapping: 1; a MAP_FIXED
 * placement, or mprotect/madvise/mlock of part of a mapping, which splits
 * it: 2). Throws ENOMEM when the process would come within the headroom.
 */
export function spendVmas(count: number, syscall: string): void {
  added += count
  if (limit === undefined || counted + added + VMA_HEADROOM <= limit) return
  limit = mapCountLimit() ?? limit
  const now = native.vmaCount()
  if (now < 0) return // the kernel will say
  counted = now
  added = count
  if (counted + count + VMA_HEADROOM > limit) {
    added = 0
    throw syscallError(
      errno('ENOMEM'),
      syscall,
      `refused: the process has ${counted} memory mappings (VMAs) and vm.max_map_count is ${limit}; mman leaves the ` +
        `last ${VMA_HEADROOM} to V8 and malloc, which end the process when they cannot map. Unmap something first`,
    )
  }
}

/** After a call that may have split a VMA without being refused (munmap of part of a merged VMA: 1). */
export function noteVmas(count: number): void {
  added += count
}
