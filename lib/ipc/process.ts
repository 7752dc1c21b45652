// Handing shared memory to Node child processes: the memfd rides along as an
// inherited fd (only fds survive exec; mappings do not), and the child maps it.
import { fork, type ChildProcess, type ForkOptions } from 'node:child_process'
import { invalidArgValue } from '../errors.js'
import { SharedMemory } from './shared-memory.js'

const ENV = 'MMAN_SHARED_FDS'
// stdio slots 0-2 are the standard streams and 3 is the IPC channel.
const FIRST_SLOT = 4

/** child_process.fork()'s options, plus the shared memory to pass. */
export interface ForkWithMemoryOptions extends Omit<ForkOptions, 'stdio'> {
  /** Regions to hand to the child, which gets them with inheritedMemory(i). */
  memory?: SharedMemory[]
  /** The child's standard streams (default: inherit all three). */
  stdio?: [unknown, unknown, unknown]
}

/**
 * child_process.fork() that also passes shared memory regions to the child.
 * @param modulePath The module the child runs.
 * @param args Its arguments.
 * @param options fork()'s options, with `memory` (the regions to pass) and `stdio` (three streams; the IPC channel is added).
 */
export function forkWithMemory(modulePath: string | URL, args: string[] = [], options: ForkWithMemoryOptions = {}): ChildProcess {
  const { memory = [], stdio = ['inherit', 'inherit', 'inherit'], ...rest } = options
  const slots = memory.map((_, i) => FIRST_SLOT + i)
  return fork(modulePath, args, {
    ...rest,
    stdio: [...stdio, 'ipc', ...memory.map((region) => region.fd)] as ForkOptions['stdio'],
    env: { ...(rest.env ?? process.env), [ENV]: slots.join(',') },
  })
}

/**
 * In a child started by forkWithMemory(): maps the `index`-th region the parent passed.
 * @param index Which of the regions, in the order of the parent's `memory` (default 0).
 */
export function inheritedMemory(index = 0): SharedMemory {
  const fds = (process.env[ENV] ?? '').split(',').filter(Boolean).map(Number)
  const fd = fds[index]
  if (fd === undefined) {
    throw invalidArgValue('index', index, `is not a region this process inherited (it has ${fds.length}; start it with forkWithMemory)`)
  }
  return SharedMemory.attach(fd)
}
