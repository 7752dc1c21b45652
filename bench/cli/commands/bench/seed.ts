// `mman bench seed [MB]`: the seed blog's experiment in its own output
// format, run by mman's native kernels.
import { checked, tools } from '../../../tools.js'
import { UsageError, type Args } from '../../args.js'
import type { Command } from '../../command.js'

const MB = 1 << 20
const secs = (ns: number) => (ns / 1e9).toFixed(6)

const OPTIONS = { explain: { type: 'boolean', help: 'add the fault counts, and what they explain' } } as const

/** Prints what the blog's program prints, for `megabytes` MB, measured by the addon's kernels. */
function run({ values, operands: [size] }: Args<typeof OPTIONS>): number {
  const megabytes = size === undefined ? 100 : Number(size)
  if (!Number.isInteger(megabytes) || megabytes < 1 || megabytes > 2047) {
    throw new UsageError(`takes a size in MB from 1 to 2047 (the blog's int arithmetic), not '${size}'`)
  }
  const malloc = checked(tools.zeroingTrial('malloc-memset0', megabytes * MB), 'malloc')
  const mmap = checked(tools.zeroingTrial('mmap-memset1', megabytes * MB), 'mmap')
  process.stdout.write(
    `Doing experiment for ${megabytes} MB anonymous allocation\n\n` +
      `Malloc allocation and zeroing:\nExperiment took ${secs(malloc.ns)} secs\n` +
      '------------Break-----------\n' +
      `Mmaping and writing 1:\nExperiment took ${secs(mmap.ns)} secs\n`,
  )
  if (values.explain === true) {
    process.stdout.write(
      `\n# malloc: ${malloc.minorFaults} minor faults, block from ${malloc.mallocUsedMmap ? 'mmap (mallinfo2 counts it in hblkhd)' : 'the brk heap'}\n` +
        `# mmap:   ${mmap.minorFaults} minor faults (${(megabytes * MB) / 4096} pages of 4 KiB)\n` +
        '# Same faults both ways: glibc serves large mallocs with mmap, so the two routes cost the same.\n',
    )
  }
  return 0
}

export const seed: Command<typeof OPTIONS> = {
  line: {
    summary: "the seed blog's program output, measured by mman's kernels",
    options: OPTIONS,
    operands: { names: '[MB]', min: 0, max: 1 },
    about:
      "Prints what the seed blog's C program prints for MB megabytes (default 100),\nmeasured by mman's native kernels.",
  },
  run,
}
