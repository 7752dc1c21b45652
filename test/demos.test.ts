// Each `mman demo` runs and shows its point (checked through --json).
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { repoRoot, sanitized } from './helpers.js'

function demo(name: string, ...args: string[]) {
  const child = spawnSync(
    process.execPath,
    [join(repoRoot, 'dist/bench/cli/index.js'), 'demo', name, '--json', ...args],
    { encoding: 'utf8' },
  )
  expect(child.stderr).toBe('')
  expect(child.status).toBe(0)
  return JSON.parse(child.stdout)
}

describe('mman demo', () => {
  it('vma-split: 1 VMA becomes 3 (middle) or 2 (first, last page), then merges back to 1', () => {
    expect(demo('vma-split').steps.map((s: { vmas: number }) => s.vmas)).toEqual([1, 3, 1, 2, 1, 2, 1])
  })

  it('demand-paging: residency and RSS grow only as pages are touched', () => {
    const data = demo('demand-paging')
    for (const samples of Object.values<{ residentPages: number; rssKiB: number; minorFaults: number }[]>(data)) {
      expect(samples[0]!.residentPages).toBe(0)
      expect(samples[0]!.rssKiB).toBe(0)
      expect(samples[1]!.residentPages).toBeGreaterThanOrEqual(256)
      expect(samples[2]!.residentPages).toBeGreaterThanOrEqual(4096)
      expect(samples[3]!.residentPages).toBe(16384)
      for (let i = 1; i < samples.length; i++) {
        expect(samples[i]!.residentPages).toBeGreaterThan(samples[i - 1]!.residentPages)
        expect(samples[i]!.minorFaults).toBeGreaterThan(samples[i - 1]!.minorFaults)
      }
    }
  })

  it('cow: the mapping sees its writes, the file does not, smaps counts the copies', () => {
    const data = demo('cow')
    expect(data.mappingSees).toBe('PRIVATE COPY!')
    expect(data.fileHas).toBe('original text')
    expect(data.privateDirtyBefore).toBe(0)
    expect(data.privateDirtyAfter).toBe(2 * 4096)
  })

  it.skipIf(sanitized)(
    "brk-pool: the seed's pool moves the break up and back, and the guard refuses the unsafe shrink",
    () => {
      const data = demo('brk-pool')
      const [init, first, second, reset, , again] = data.events
      expect(init.break).toBe(data.memorypool)
      expect(BigInt(first.break) - BigInt(init.break)).toBe(4096n)
      expect(BigInt(second.break) - BigInt(first.break)).toBe(65536n)
      expect(reset.break).toBe(data.memorypool)
      expect(reset.viewsDetached).toBe(true)
      expect(again).toMatchObject({ refused: true, error: { code: 'EBUSY' }, stillUsable: 8192 })
    },
  )

  it('hugepages: huge pages when THP allows, a clear answer when not', () => {
    const data = demo('hugepages')
    if (data.available) {
      expect(data.withoutAdvice.anonHugeKiB).toBe(0)
      expect(data.withAdvice.minorFaults).toBeLessThan(data.withoutAdvice.minorFaults)
    } else {
      expect(data.thp).toMatch(/never|unavailable/)
    }
  })

  it('jit: machine code in a page made executable returns a + b; W+X is refused', () => {
    const data = demo('jit', '19', '23')
    if (process.arch !== 'x64') return expect(data.ran).toBe(false)
    expect(data).toMatchObject({ ran: true, result: 42, writeExecRefused: 'ERR_INVALID_ARG_VALUE' })
    // A negative number is an operand where the demo takes numbers, not an option.
    expect(demo('jit', '-5', '3')).toMatchObject({ ran: true, a: -5, b: 3, result: -2 })
  })

  it('guard-page: the child touching PROT_NONE dies with SIGSEGV', () => {
    const data = demo('guard-page')
    expect(data.signal).toBe('SIGSEGV')
    expect(data.childSaid[0]).toMatch(/touching the PROT_NONE page/)
  })

  it("fork: the seed's four lines, in its format and order; the child sees the parent's second write", () => {
    const { parentPid, childPid, childExit, lines } = demo('fork')
    expect(childExit).toBe(0)
    expect(lines).toEqual([
      `PID ${parentPid}:\tanonymous string 1, zero-backed string 1`,
      `PID ${childPid}:\tanonymous string 1, zero-backed string 1`,
      `PID ${parentPid}:\tanonymous string 2, zero-backed string 2`,
      `PID ${childPid}:\tanonymous string 2, zero-backed string 2`,
    ])
  })

  it("fork --private: copy-on-write keeps the child's private pages at string 1", () => {
    const { parentPid, childPid, lines } = demo('fork', '--private')
    expect(lines).toEqual([
      `PID ${parentPid}:\tanonymous string 1, zero-backed string 1`,
      `PID ${parentPid}:\tprivate anonymous string 1, private zero-backed string 1`,
      `PID ${childPid}:\tanonymous string 1, zero-backed string 1`,
      `PID ${childPid}:\tprivate anonymous string 1, private zero-backed string 1`,
      `PID ${parentPid}:\tanonymous string 2, zero-backed string 2`,
      `PID ${parentPid}:\tprivate anonymous string 2, private zero-backed string 2`,
      `PID ${childPid}:\tanonymous string 2, zero-backed string 2`,
      `PID ${childPid}:\tprivate anonymous string 1, private zero-backed string 1`,
    ])
  })

  it("ipc: a Node child maps the inherited memfd and sees the parent's write", () => {
    const { parentPid, childPid, childExit, lines } = demo('ipc')
    expect(childExit).toBe(0)
    expect(lines).toEqual([
      `PID ${parentPid}:\tmemfd string 1`,
      `PID ${childPid}:\tmemfd string 1`,
      `PID ${parentPid}:\tmemfd string 2`,
      `PID ${childPid}:\tmemfd string 2`,
    ])
  })
})
