// Handing shared memory to Node child processes: the memfd rides along as an
// inherited fd (only fds survive exec; mappings do not), and the child maps it.
import { fork, type ChildProcess, type ForkOptions } from 'node:child_process'
import { invalidArgType, invalidArgValue } from '../errors.js'
import { integer, options as optionsOf } from '../validate.js'
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
 * @param options fork()'s options, with `memory` (the regions to pass, open
 *   SharedMemory objects) and `stdio` (three streams; the IPC channel is added).
 *   Anything else is left to fork(), which validates it as usual.
 */
export function forkWithMemory(modulePath: string | URL, args: string[] = [], options?: ForkWithMemoryOptions): ChildProcess {
  if (!Array.isArray(args)) throw invalidArgType('args', 'an array of strings', args)
  const { memory = [], stdio = ['inherit', 'inherit', 'inherit'], ...rest } = optionsOf<ForkWithMemoryOptions>(options)
  if (!Array.isArray(memory)) throw invalidArgType('options.memory', 'an array of SharedMemory', memory)
  const fds = memory.map((region: unknown, i) => {
    if (!(region instanceof SharedMemory)) throw invalidArgType(`options.memory[${i}]`, 'a SharedMemory', region)
    return region.fd
  })
  if (!Array.isArray(stdio) || stdio.length !== 3) {
    throw invalidArgValue('options.stdio', stdio, 'must be an array of the three standard streams (the IPC channel and the regions follow them)')
  }
  const slots = fds.map((_, i) => FIRST_SLOT + i)
  return fork(modulePath, args, {
    ...rest,
    stdio: [...stdio, 'ipc', ...fds] as ForkOptions['stdio'],
    env: { ...(rest.env ?? process.env), [ENV]: slots.join(',') },
  })
}

/**
 * In a child started by forkWithMemory(): maps the `index`-th region the parent passed.
 * @param index Which of the regions, in the order of the parent's `memory` (default 0).
 */
export function inheritedMemory(index = 0): SharedMemory {
  const i = integer(index, 'index', 0)
  const fds = (process.env[ENV] ?? '').split(',').filter(Boolean).map(Number)
  const fd = fds[i]
  if (fd === undefined) {
    throw invalidArgValue('index', index, `is not a region this process inherited (it has ${fds.length}; start it with forkWithMemory)`)
  }
  return SharedMemory.attach(fd)
}
