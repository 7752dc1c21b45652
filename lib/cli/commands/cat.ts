// The seed's "mmap example II" (the mmap(2) man page program): print a file
// from OFFSET, LENGTH bytes or to its end, through a read-only private mapping.
// Same output, messages and exit statuses as the C program.
import { closeSync, openSync, writeSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { MAP, PROT, fstat, map, pageSize } from '../../index.js'
import { tools } from '../../../bench/tools.js'

/** C's atoi(): leading blanks, an optional sign, digits; anything else ends it (0 if none). */
export function atoi(text: string): number {
  const match = /^[\t\n\v\f\r ]*([+-]?\d+)/.exec(text)
  return match ? Number.parseInt(match[1]!, 10) | 0 : 0
}

class Exit extends Error {
  constructor(readonly status: number) {
    super(`exit ${status}`)
  }
}

function handleError(message: string, error: unknown): never {
  const errno = (error as { errno?: number }).errno
  process.stderr.write(`${message}: ${tools.strerror(errno === undefined ? 0 : -errno)}\n`)
  throw new Exit(1)
}

function run(argv: string[], program: string): void {
  if (argv.length < 2 || argv.length > 3) {
    process.stderr.write(`${program} file offset [length]\n`)
    throw new Exit(1)
  }
  let fd: number
  try {
    fd = openSync(argv[0]!, 'r')
  } catch (error) {
    handleError('open', error)
  }
  try {
    let size: number
    try {
      size = Number(fstat(fd).size)
    } catch (error) {
      handleError('fstat', error)
    }
    const offset = atoi(argv[1]!)
    // mmap() needs a page-aligned offset: map from the page boundary below it.
    const pageOffset = offset & ~(pageSize - 1)
    if (offset >= size) {
      process.stderr.write('offset is past end of file\n')
      throw new Exit(1)
    }
    let length = size - offset
    if (argv.length === 3) {
      length = atoi(argv[2]!)
      if (offset + length > size) length = size - offset
    }
    let bytes: Uint8Array
    try {
      const mapping = map(length + offset - pageOffset, PROT.READ, MAP.PRIVATE, fd, pageOffset)
      bytes = mapping.bytes(offset - pageOffset, length)
    } catch (error) {
      handleError('mmap', (error as { errno?: number }).errno === undefined ? { errno: -osConstants.errno.EINVAL } : error)
    }
    let written = 0
    try {
      while (written < bytes.length) written += writeSync(1, bytes, written)
    } catch (error) {
      handleError('write', error)
    }
  } finally {
    closeSync(fd)
  }
}

/** Runs `cat`; returns the exit status. */
export function cat(argv: string[], program = 'mman cat'): number {
  try {
    run(argv, program)
    return 0
  } catch (error) {
    if (error instanceof Exit) return error.status
    throw error
  }
}
