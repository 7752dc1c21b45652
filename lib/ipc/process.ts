// Handing shared memory to Node child processes: the memfd rides along as an
// inherited fd (only fds survive exec; mappings do not), and the child maps it.
import { fork, type ChildProcess, type ForkOptions } from 'node:child_process'
import { invalidArgType, invalidArgValue } from '../errors.js'
import { integer, options as optionsOf } from '../validate.js'
import { SharedMemory } from './shared-memory.js'

const ENV = 'MMAN_SHARED_FDS'
// After a slot: the parent mapped that region unsealed (see SharedMemory.sealed).
const UNSEALED = 'u'
// stdio slots 0-2 are the standard streams and 3 is the IPC channel.
const FIRST_SLOT = 4

/** child_process.fork()'s options, plus the shared memory to pass. */
export interface ForkWithMemoryOptions extends Omit<ForkOptions, 'stdio'> {
  /** Regions to hand to the child, which gets them with inheritedMemory(i). */
  memory?: SharedMemory[]
  /**
   * The child's standard streams, as fork() takes them: 'pipe', 'inherit',
   * 'ignore' or 'overlapped' for all three, or an array of three (a fourth,
   * if given, must be 'ipc'). The IPC channel and the regions follow them.
   * Default: inherit all three, or pipe them when `silent` is true.
   */
  stdio?:
    'pipe' | 'inherit' | 'ignore' | 'overlapped' | [unknown, unknown, unknown] | [unknown, unknown, unknown, 'ipc']
}

const STDIO_PRESETS: readonly string[] = ['pipe', 'inherit', 'ignore', 'overlapped']

/**
 * child_process.fork() that also passes shared memory regions to the child.
 * @param modulePath The module the child runs.
 * @param args Its arguments.
 * @param options fork()'s options, with `memory` (the regions to pass, open
 *   SharedMemory objects) and `stdio` (fork()'s forms; the IPC channel and the regions are added).
 *   Anything else is left to fork(), which validates it as usual.
 * @throws Besides what fork() throws for its own arguments and options (a child that cannot start emits
 * 'error', as fork()'s does):
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `args` is not an array, `options` is not an object, or `memory` is not an
 *   array of SharedMemory.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: `stdio` is not 'pipe', 'inherit', 'ignore', 'overlapped' or an array of the
 *   three standard streams (and 'ipc').
 * - `Error` `ERR_INVALID_STATE`: a region of `memory` was closed.
 * @example
 * ```js
 * import { SharedMemory, forkWithMemory, inheritedMemory } from 'mman'
 *
 * if (process.argv[2] === 'child') {
 *   new Uint8Array(inheritedMemory(0).buffer)[0] = 42
 * } else {
 *   const memory = SharedMemory.create(4096)
 *   const child = forkWithMemory(new URL(import.meta.url), ['child'], { memory: [memory] })
 *   child.on('exit', (code) => console.log('exit', code, 'wrote', new Uint8Array(memory.buffer)[0]))
 * }
 * ```
 *
 * ```text
 * exit 0 wrote 42
 * ```
 */
export function forkWithMemory(
  modulePath: string | URL,
  args: string[] = [],
  options?: ForkWithMemoryOptions,
): ChildProcess {
  if (!Array.isArray(args)) throw invalidArgType('args', 'an array of strings', args)
  const { memory = [], stdio, ...rest } = optionsOf<ForkWithMemoryOptions>(options)
  const passing = passMemory(memory, 'options.memory', stdio, rest.silent, 'options.stdio')
  return fork(modulePath, args, {
    ...rest,
    stdio: passing.stdio as ForkOptions['stdio'],
    env: { ...(rest.env ?? process.env), ...passing.env },
  })
}

/** How a Node child gets `memory`: fork()'s stdio with the regions' fds after the IPC channel, and the variable naming their slots. */
export interface MemoryPassing {
  stdio: unknown[]
  env: Record<string, string>
}

/**
 * The stdio and environment that pass `memory` (open SharedMemory objects) to
 * a Node child, whose standard streams are `stdio` as fork() takes it.
 */
export function passMemory(
  memory: unknown,
  memoryName: string,
  stdio: unknown,
  silent: unknown,
  stdioName: string,
): MemoryPassing {
  if (!Array.isArray(memory)) throw invalidArgType(memoryName, 'an array of SharedMemory', memory)
  const regions = memory.map((region: unknown, i) => {
    if (!(region instanceof SharedMemory)) throw invalidArgType(`${memoryName}[${i}]`, 'a SharedMemory', region)
    return region
  })
  const streams = standardStreams(stdio, silent, stdioName)
  // An unsealed region (a named one, say) is marked, so that the child maps it as this process did.
  const slots = regions.map((region, i) => `${FIRST_SLOT + i}${region.sealed ? '' : UNSEALED}`)
  return { stdio: [...streams, 'ipc', ...regions.map((region) => region.fd)], env: { [ENV]: slots.join(',') } }
}

/** The three standard streams from fork()'s forms of `stdio` (and `silent`, which a given `stdio` overrides, as in fork()). */
function standardStreams(stdio: unknown, silent: unknown, name: string): unknown[] {
  if (stdio === undefined) return Array(3).fill(silent === true ? 'pipe' : 'inherit')
  if (STDIO_PRESETS.includes(stdio as string)) return [stdio, stdio, stdio]
  if (Array.isArray(stdio) && (stdio.length === 3 || (stdio.length === 4 && stdio[3] === 'ipc')))
    return stdio.slice(0, 3)
  throw invalidArgValue(
    name,
    stdio,
    `must be ${STDIO_PRESETS.map((s) => `'${s}'`).join(', ')} or an array of the three standard streams (and 'ipc'); the IPC channel and the regions follow them`,
  )
}

/**
 * In a child started by forkWithMemory() (or a cluster worker started by
 * clusterForkWithMemory()): maps the `index`-th region the parent passed.
 * It maps it with SharedMemory.attach(), so a region the parent made with
 * createNamed() (not sealed) is refused: open that one by name instead.
 * @param index Which of the regions, in the order of the parent's `memory` (default 0).
 * @throws
 * - `TypeError` `ERR_INVALID_ARG_TYPE`: `index` is not a number or bigint.
 * - `RangeError` `ERR_OUT_OF_RANGE`: `index` is negative or fractional.
 * - `TypeError` `ERR_INVALID_ARG_VALUE`: this process inherited no region at `index` (it was not started by
 *   forkWithMemory() or clusterForkWithMemory(), or with fewer regions). A region the parent mapped unsealed
 *   (a named one: see SharedMemory.sealed) is mapped unsealed here too.
 * - {@link SyscallError} `EBADF` (`fstat`): the inherited fd was closed in this process.
 * - {@link SyscallError} `ENOMEM` (`mmap`): no room in the address space, or the process has vm.max_map_count
 *   mappings.
 * - {@link SyscallError} `EMFILE`, `ENFILE` (`mmap`): no file descriptor is free for the duplicate the mapping keeps.
 * @example
 * ```js
 * import { SharedMemory, forkWithMemory, inheritedMemory } from 'mman'
 *
 * if (process.argv[2] === 'child') {
 *   const [input, output] = [inheritedMemory(0), inheritedMemory(1)]
 *   output.int32()[0] = input.int32()[0] * 2
 * } else {
 *   const input = SharedMemory.create(4096)
 *   const output = SharedMemory.create(4096)
 *   input.int32()[0] = 21
 *   const child = forkWithMemory(new URL(import.meta.url), ['child'], { memory: [input, output] })
 *   child.on('exit', () => console.log(output.int32()[0]))
 * }
 * ```
 *
 * ```text
 * 42
 * ```
 */
export function inheritedMemory(index = 0): SharedMemory {
  const i = integer(index, 'index', 0)
  const slots = (process.env[ENV] ?? '').split(',').filter(Boolean)
  const slot = slots[i]
  if (slot === undefined) {
    throw invalidArgValue(
      'index',
      index,
      `is not a region this process inherited (it has ${slots.length}; start it with forkWithMemory)`,
    )
  }
  return SharedMemory.attach(Number.parseInt(slot, 10), { allowUnsealed: slot.endsWith(UNSEALED) })
}
