// The tools addon (mman_tools.node, built from bench/native/): the benchmarks'
// timing kernels, the seed demos' fork(), and libc's strerror. The library
// never loads it; bench/ and the mman command do, through lib/addon.ts (the one
// internal module they may import). Its calls answer a negative errno on
// failure, made into an Error here.
import { join } from 'node:path'
import { getSystemErrorName } from 'node:util'
import { loadAddon } from '../lib/addon.js'
import { packageRoot } from './package.js'

interface ZeroingKernelResult {
  ns: number
  minorFaults: number
  anonHugeKiB: number
  mallocUsedMmap?: boolean
}

interface ToolsAddon {
  zeroingTrial(mode: string, bytes: number): ZeroingKernelResult | number
  mmapMunmapLoop(iterations: number): number
  threadMinorFaults(): number
  /** The C floor of the ipc suite (bench/native/ipc_floor.cc): 0 or a negative errno. */
  ipcFloorRoundTrips(buffer: ArrayBuffer, turn: number, rounds: number, timeoutMs: number): number
  ipcFloorServe(buffer: ArrayBuffer, turn: number, rounds: number, timeoutMs: number): number
  forkDemo(addresses: bigint[], sleepMs: number, outFd: number): number
  forkProbe(address: bigint, pages: number): [mapped: number, childErrno: number] | number
  waitChild(pid: number): [state: 0 | 1 | 2, code: number] | number
  strerror(errno: number): string
}

export const tools = loadAddon(join(packageRoot, 'bench', 'native')) as ToolsAddon

/** The result, unless it is a negative errno: then an Error like Node's (code, errno, syscall). */
export function checked<T>(result: T | number, syscall: string): T {
  if (typeof result !== 'number' || result >= 0) return result as T
  const code = getSystemErrorName(result)
  throw Object.assign(new Error(`${code}: ${tools.strerror(-result)}, ${syscall}`), { code, errno: result, syscall })
}
