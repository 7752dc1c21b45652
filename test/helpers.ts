import { spawnSync, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { release, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { expect } from 'vitest'
import { MAP, PROT, forkWithMemory, map, pageSize, type Mapping, type SharedMemory } from '../lib/index.js'

export const repoRoot = fileURLToPath(new URL('..', import.meta.url))

/** The binary node-gyp-build picks in an addon directory (the local build, or this machine's prebuild): what loads here. */
export const addonBinary = (dir: string): string =>
  (createRequire(import.meta.url)('node-gyp-build') as { resolve(dir: string): string }).resolve(dir)

export interface ChildResult {
  status: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * Runs an ES module in a fresh node process (it imports the built package as
 * 'mman'): for what must crash, and for what touches process-wide state.
 */
export function runChild(source: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): ChildResult {
  const result = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', source, ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr }
}

/**
 * runChild() for code that grows the program break and gives it back. Two
 * things outside the code's control make a process unfit, and a fresh process
 * is the remedy, so such a run is repeated (at most 5 times):
 * - in about 1 Node process in 100 (measured without mman: 3 of 300), V8 has a
 *   mapping right above the heap and the break cannot grow at all: sbrk()
 *   rightly fails with ENOMEM;
 * - the main thread's own malloc (V8's and Node's books for a new view, say)
 *   found the top of its heap used up and moved the break above mman's bytes,
 *   so a shrink is rightly refused as EBUSY, "no longer where mman put it"
 *   (the README says so; seen once in a CI run of the seed's pool on Node 22,
 *   0 times in 200 runs of it afterwards).
 */
export function runChildGrowingHeap(source: string): ChildResult {
  const unfit = (result: ChildResult) => /ENOMEM|no longer where mman put it/.test(result.stdout + result.stderr)
  let result = runChild(source)
  for (let i = 0; i < 4 && unfit(result); i++) result = runChild(source)
  return result
}

/** The /proc/self/maps line of the VMA containing `address`, if any. */
export function vmaContaining(address: bigint): string | undefined {
  return readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .find((line) => {
      const [range] = line.split(' ')
      if (!range) return false
      const [start, end] = range.split('-').map((hex) => BigInt(`0x${hex}`))
      return start !== undefined && end !== undefined && address >= start && address < end
    })
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'mman-test-'))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Collects garbage until `done()` holds, letting Node run deferred finalizers in between. */
export async function collectUntil(done: () => boolean, rounds = 20): Promise<boolean> {
  for (let i = 0; i < rounds; i++) {
    ;(globalThis as { gc?: () => void }).gc?.()
    await new Promise((resolve) => setImmediate(resolve))
    if (done()) return true
  }
  return false
}

/** Runs fn and returns what it threw (fails the test if it did not throw). */
export function thrown(fn: () => unknown): Error & { code?: string; errno?: number; syscall?: string } {
  try {
    fn()
  } catch (error) {
    return error as Error & { code?: string }
  }
  expect.unreachable('expected the call to throw')
}

/** Asserts fn throws a Node-style syscall error: code, negative errno, syscall, "CODE: message, syscall". */
export function expectSyscallError(fn: () => unknown, code: string, syscall: string): void {
  const error = thrown(fn)
  expect(error).toBeInstanceOf(Error)
  expect(error.code).toBe(code)
  expect(error.syscall).toBe(syscall)
  expect(error.errno).toBeLessThan(0)
  expect(error.message).toMatch(new RegExp(`^${code}: .+, ${syscall}`))
}

/**
 * Set by `npm run test:asan`. Under a sanitizer, malloc is the sanitizer's own
 * and never moves the program break, so tests whose premise is "malloc grows
 * the heap above us" cannot hold there.
 */
export const sanitized = process.env.MMAN_SANITIZER !== undefined

const scriptDir = mkdtempSync(join(tmpdir(), 'mman-children-'))
let scripts = 0

/**
 * Starts a Node child (forkWithMemory, so it inherits `memory`) running
 * `source`, which gets mman's exports as `m`; stdout and stderr are piped.
 */
export function mmanChild(source: string, memory: SharedMemory[] = [], args: string[] = []): ChildProcess {
  const path = join(scriptDir, `child-${scripts++}.mjs`)
  writeFileSync(path, `import * as m from '${pathToFileURL(join(repoRoot, 'dist/lib/index.js')).href}'\n${source}`)
  return forkWithMemory(path, args, { memory, stdio: ['ignore', 'pipe', 'pipe'] })
}

/** Waits for a child to end, with what it printed. */
export function finished(
  proc: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  proc.stdout?.on('data', (d) => (stdout += d))
  proc.stderr?.on('data', (d) => (stderr += d))
  return new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })))
}

/** Whether futexWaitAsync should go through io_uring here: Linux 6.7 or later, io_uring not disabled. */
export function ioUringFutexExpected(): boolean {
  const [major = 0, minor = 0] = release().split('.').map(Number)
  let disabled = '0'
  try {
    disabled = readFileSync('/proc/sys/kernel/io_uring_disabled', 'utf8').trim()
  } catch {
    // No such setting before Linux 6.6: io_uring is not restricted.
  }
  return (major > 6 || (major === 6 && minor >= 7)) && disabled === '0'
}

/**
 * A private read-write mapping of `pages` pages with a PROT_NONE page on each
 * side, so that no neighbour merges into its VMA; unmap `guard` to free both.
 */
export function fencedMapping(pages: number): { guard: Mapping; mapping: Mapping } {
  const guard = map((pages + 2) * pageSize, PROT.NONE, MAP.PRIVATE | MAP.ANONYMOUS | MAP.NORESERVE, -1)
  const flags = MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED
  const mapping = map(pages * pageSize, PROT.READ | PROT.WRITE, flags, -1, 0, guard.address + BigInt(pageSize))
  return { guard, mapping }
}
