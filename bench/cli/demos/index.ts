// The demos of `mman demo`: the seeds' lessons, made observable.
import { brkPool } from './brk-pool.js'
import { cow } from './cow.js'
import { demandPaging } from './demand-paging.js'
import { forkDemo } from './fork.js'
import { guardPage } from './guard-page.js'
import { hugepages } from './hugepages.js'
import { ipcDemo } from './ipc.js'
import { jit } from './jit.js'
import type { Demo } from './types.js'
import { vmaFlags } from './vma-flags.js'
import { vmaSplit } from './vma-split.js'

export const DEMOS: Record<string, Demo> = {
  'vma-split': vmaSplit,
  'vma-flags': vmaFlags,
  'demand-paging': demandPaging,
  cow,
  'brk-pool': brkPool,
  hugepages,
  jit,
  'guard-page': guardPage,
  fork: forkDemo,
  ipc: ipcDemo,
}
