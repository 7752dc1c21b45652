// `mman bench seed [MB]`: the seed blog's experiment in its own output
// format, run by mman's native kernels.
import { checked, tools } from '../../../tools.js'
import { UsageError } from '../../args.js'

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
