// The zeroing suite's modes: what each allocates and writes, and the row ids the report refers to.

export interface Mode {
  id: string
  label: string
  /** Touches every 4 KiB page itself, so it must take a fault per page (else the kernel is invalid). */
  faultsEveryPage: boolean
}

// The letters are the seed blog's and baselines.md's names for the modes.
export const MODES: Mode[] = [
  { id: 'malloc-memset0', label: 'A malloc + memset(0)', faultsEveryPage: true },
  { id: 'mmap-memset1', label: 'B mmap private anon + memset(1)', faultsEveryPage: true },
  { id: 'calloc', label: 'C calloc only', faultsEveryPage: false },
  { id: 'calloc-touch', label: 'C+ calloc + 1 byte per page', faultsEveryPage: true },
  { id: 'populate-memset1', label: 'D MAP_POPULATE + memset(1)', faultsEveryPage: true },
  { id: 'thp-memset1', label: 'E MADV_HUGEPAGE + memset(1)', faultsEveryPage: false },
  { id: 'prefaulted-memset', label: 'F memset on faulted memory', faultsEveryPage: false },
  { id: 'shared-anon-memset1', label: 'G MAP_SHARED anon + memset(1)', faultsEveryPage: true },
  { id: 'shared-devzero-memset1', label: 'G /dev/zero MAP_SHARED + memset(1)', faultsEveryPage: true },
  { id: 'js-arraybuffer', label: 'JS new ArrayBuffer(n)', faultsEveryPage: false },
  { id: 'js-buffer-alloc', label: 'JS Buffer.alloc(n)', faultsEveryPage: false },
  { id: 'js-allocunsafe-fill0', label: 'JS Buffer.allocUnsafe(n).fill(0)', faultsEveryPage: true },
  { id: 'js-mmap-fill1', label: 'JS mmap + Uint8Array.fill(1)', faultsEveryPage: true },
  { id: 'js-mapanonymous-populate-fill1', label: 'JS mapAnonymous({populate}) + fill(1)', faultsEveryPage: true },
]

export const BASELINE = 'mmap-memset1'
export const SEED_MALLOC = 'seed-program-malloc'
export const SEED_MMAP = 'seed-program-mmap'
