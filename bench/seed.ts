// `mman bench seed [MB]`: the seed blog's experiment in its own output
// format, run by mman's native kernels; and the blog's C program itself,
// compiled here as the reference the zeroing suite compares with.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { packageRoot } from '../lib/addon.js'
import { checked, tools } from './tools.js'
import { UsageError } from './options.js'

export interface SeedTimes {
  mallocMs: number
  mmapMs: number
}

const MB = 1 << 20
const secs = (ns: number) => (ns / 1e9).toFixed(6)

/** Prints what the blog's program prints, for `megabytes` MB, measured by the addon's kernels. */
export function seedCommand(positional: string[], explain: boolean): number {
  const megabytes = positional.length === 0 ? 100 : Number(positional[0])
  if (!Number.isInteger(megabytes) || megabytes < 1 || megabytes > 2047) {
    throw new UsageError(`seed takes a size in MB from 1 to 2047 (the blog's int arithmetic), not '${positional[0]}'`)
  }
  const malloc = checked(tools.zeroingTrial('malloc-memset0', megabytes * MB), 'malloc')
  const mmap = checked(tools.zeroingTrial('mmap-memset1', megabytes * MB), 'mmap')
  process.stdout.write(
    `Doing experiment for ${megabytes} MB anonymous allocation\n\n` +
      `Malloc allocation and zeroing:\nExperiment took ${secs(malloc.ns)} secs\n` +
      '------------Break-----------\n' +
      `Mmaping and writing 1:\nExperiment took ${secs(mmap.ns)} secs\n`,
  )
  if (explain) {
    process.stdout.write(
      `\n# malloc: ${malloc.minorFaults} minor faults, block from ${malloc.mallocUsedMmap ? 'mmap (mallinfo2 counts it in hblkhd)' : 'the brk heap'}\n` +
        `# mmap:   ${mmap.minorFaults} minor faults (${(megabytes * MB) / 4096} pages of 4 KiB)\n` +
        '# Same faults both ways: glibc serves large mallocs with mmap, so the two routes cost the same.\n',
    )
  }
  return 0
}

/** The blog's C program compiled with `cc` (no flags, as the post did), or undefined without a compiler. */
export function seedReference(): { run(sizeMiB: number): SeedTimes | undefined; dispose(): void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'mman-seed-'))
  const binary = join(dir, 'mmap_anonymous_allocation')
  try {
    execFileSync('cc', ['-o', binary, join(packageRoot(), 'bench/c/mmap_anonymous_allocation.c')], { stdio: 'ignore' })
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
