// The "VmFlags:" line of /proc/<pid>/smaps: a VMA's vm_flags as two-letter
// codes. No UAPI header defines these mnemonics (they live in the kernel's
// fs/proc/task_mmu.c), so this table is the one place they are written down;
// it follows Documentation/filesystems/proc.rst and proc_pid_smaps(5).
import { invalidArgType } from './errors.js'

/**
 * What each VmFlags code means, as the kernel documents it. Codes marked
 * "(before Linux x)" are no longer printed by current kernels but still appear
 * on older ones. Kernels add codes over time; a code missing here is not an
 * error (see {@link vmFlags}).
 */
export const VM_FLAG_NAMES: Readonly<Record<string, string>> = Object.freeze({
  rd: 'readable',
  wr: 'writable',
  ex: 'executable',
  sh: 'shared',
  mr: 'may read',
  mw: 'may write',
  me: 'may execute',
  ms: 'may share',
  gd: 'stack segment grows down',
  pf: 'pure PFN range',
  dw: 'disabled write to the mapped file (before Linux 5.15)',
  lo: 'pages are locked in memory',
  io: 'memory mapped I/O area',
  sr: 'sequential read advise provided',
  rr: 'random read advise provided',
  dc: 'do not copy area on fork',
  de: 'do not expand area on remapping',
  ac: 'area is accountable',
  nr: 'swap space is not reserved for the area',
  ht: 'area uses huge tlb pages',
  sf: 'synchronous page fault',
  nl: 'non-linear mapping (before Linux 4.0)',
  ar: 'architecture specific flag',
  wf: 'wipe on fork',
  dd: 'do not include area into core dump',
  sd: 'soft dirty flag',
  mm: 'mixed map area',
  hg: 'huge page advise flag',
  nh: 'no huge page advise flag',
  mg: 'mergeable advise flag',
  bt: 'arm64 BTI guarded page',
  mt: 'arm64 MTE allocation tags are enabled',
  um: 'userfaultfd missing tracking',
  uw: 'userfaultfd wr-protect tracking',
  ui: 'userfaultfd minor fault',
  ur: 'userfaultfd read-write-protect tracking',
  ss: 'shadow/guarded control stack page',
  sl: 'sealed',
  lf: 'lock on fault pages',
  dp: 'always lazily freeable mapping',
  gu: 'maybe contains guard regions',
})

/** The VmFlags of a VMA (or what a set of VMAs has in common). */
export interface VmFlags {
  /** The codes as the kernel printed them, in its order; codes this table does not know included. */
  codes: string[]
  /** The meaning of each code, in the same order; a code without one in {@link VM_FLAG_NAMES} stands for itself. */
  names: string[]
}

/**
 * Names the codes of a VmFlags line: `vmFlags(['rd', 'dc'])` → names `['readable', 'do not copy area on fork']`.
 * @param codes Two-letter codes as smaps prints them.
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `codes` is not an array of strings.
 * @example
 * ```js
 * import { vmFlags } from 'mman'
 *
 * console.log(vmFlags(['rd', 'dc', 'zz']).names) // a code the table does not know stands for itself
 * ```
 *
 * ```text
 * [ 'readable', 'do not copy area on fork', 'zz' ]
 * ```
 */
export function vmFlags(codes: readonly string[]): VmFlags {
  if (!Array.isArray(codes)) throw invalidArgType('codes', 'an array of strings', codes)
  const copy: string[] = []
  for (const code of codes as unknown[]) {
    if (typeof code !== 'string') throw invalidArgType('codes', 'an array of strings', code)
    copy.push(code)
  }
  return { codes: copy, names: copy.map((code) => (Object.hasOwn(VM_FLAG_NAMES, code) ? VM_FLAG_NAMES[code]! : code)) }
}

/**
 * The flags of a "VmFlags: rd wr mr ..." line; undefined for any other line.
 * @param line One line of /proc/<pid>/smaps.
 */
export function parseVmFlagsLine(line: string): VmFlags | undefined {
  const match = /^VmFlags:(.*)$/.exec(line)
  if (match === null) return undefined
  return vmFlags(match[1]!.split(/\s+/).filter((code) => code.length > 0))
}

/**
 * What several VMAs' flags say together: `everywhere` holds the codes every
 * one of them has, `somewhere` those only some have (after mprotect() split a
 * mapping, `wr` is somewhere, not everywhere). Codes keep the kernel's order.
 * @param each The flags of each VMA.
 */
export function combineVmFlags(each: readonly VmFlags[]): { everywhere: VmFlags; somewhere: VmFlags } {
  const seen: string[] = []
  for (const flags of each) for (const code of flags.codes) if (!seen.includes(code)) seen.push(code)
  const inAll = (code: string) => each.every((flags) => flags.codes.includes(code))
  return { everywhere: vmFlags(seen.filter(inAll)), somewhere: vmFlags(seen.filter((code) => !inAll(code))) }
}
