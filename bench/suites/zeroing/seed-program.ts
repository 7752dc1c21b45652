// The seed blog's C program (bench/c/), compiled here as the reference the
// zeroing suite compares with: its own output, parsed, beside mman's kernels.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { packageRoot } from '../../package.js'

export interface SeedTimes {
  mallocMs: number
  mmapMs: number
}

/** The blog's C program compiled with `cc` (no flags, as the post did), or undefined without a compiler. */
export function seedReference(): { run(sizeMiB: number): SeedTimes | undefined; dispose(): void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'mman-seed-'))
  const binary = join(dir, 'mmap_anonymous_allocation')
  try {
    execFileSync('cc', ['-o', binary, join(packageRoot, 'bench/c/mmap_anonymous_allocation.c')], { stdio: 'ignore' })
  } catch {
    rmSync(dir, { recursive: true, force: true })
    return undefined
  }
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  return {
    run(sizeMiB) {
      // The program keeps sizes in an int: 2048 MiB and up overflow.
      if (!Number.isInteger(sizeMiB) || sizeMiB >= 2048) return undefined
      const out = spawnSync(binary, [String(sizeMiB)], { encoding: 'utf8' }).stdout
      const [malloc, mmap] = [...out.matchAll(/Experiment took ([\d.]+) secs/g)].map((m) => Number(m[1]) * 1e3)
      return malloc === undefined || mmap === undefined ? undefined : { mallocMs: malloc, mmapMs: mmap }
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  }
}
