// `mman cat FILE OFFSET [LENGTH]`: the seed's "mmap example II" (the mmap(2)
// man page program). Prints FILE from byte OFFSET, LENGTH bytes or to its end,
// through a private read-only mapping made from the page boundary below OFFSET.
// Its bytes, messages and exit statuses are the C program's wherever that
// program is right; docs/guide.md lists where it is not, and what this does.
import { closeSync, constants as fsConstants, openSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { MAP, PROT, fstat, map, pageSize } from 'mman'
import { UsageError, type Args } from '../args.js'
import type { Command } from '../command.js'
import { tools } from '../../tools.js'
import { writeAll } from '../stdout.js'

const { O_RDONLY, O_NONBLOCK, S_IFMT, S_IFIFO, S_IFSOCK } = fsConstants

/** The longest view handed to one write: within every Node line's view limit (4 GiB on Node 20). */
const WINDOW = 2 ** 30

interface Request {
  file: string
  offset: bigint
  /** Absent: to the end of the file. */
  length?: bigint
}

function byteCount(name: string, text: string): bigint {
  if (!/^\d+$/.test(text)) throw new UsageError(`${name} '${text}' is not a byte count (a whole number from 0)`)
  return BigInt(text)
}

function request([file, offset, length]: string[]): Request {
  return {
    file: file!,
    offset: byteCount('OFFSET', offset!),
    length: length === undefined ? undefined : byteCount('LENGTH', length),
  }
}

/** A failure as the C program words it (perror: the call, then strerror), after the file it concerns. */
function failed(file: string, call: string, error: unknown): Error {
  const errno = (error as { errno?: unknown }).errno
  return new Error(
    `${file}: ${call}: ${typeof errno === 'number' ? tools.strerror(-errno) : String((error as Error).message)}`,
  )
}

async function print(fd: number, { file, offset, length: requested }: Request): Promise<void> {
  let stat: ReturnType<typeof fstat>
  try {
    stat = fstat(fd)
  } catch (error) {
    throw failed(file, 'fstat', error)
  }
  // A FIFO or socket has no pages: mmap(2) answers ENODEV for it, as here (the C program never gets there: its open() of a FIFO waits for a writer).
  const type = Number(stat.mode) & S_IFMT
  if (type === S_IFIFO || type === S_IFSOCK) throw failed(file, 'mmap', { errno: -osConstants.errno.ENODEV })
  if (offset >= stat.size) throw new Error(`${file}: offset is past end of file`)
  const end = requested === undefined || offset + requested > stat.size ? stat.size : offset + requested
  const length = Number(end - offset)
  if (length === 0) return
  // mmap() needs a page-aligned file offset: map from the page boundary below OFFSET.
  const pageOffset = offset - (offset % BigInt(pageSize))
  const start = Number(offset - pageOffset)
  let mapping: ReturnType<typeof map>
  try {
    mapping = map(start + length, PROT.READ, MAP.PRIVATE, fd, pageOffset)
  } catch (error) {
    throw failed(file, 'mmap', error)
  }
  try {
    for (let at = 0; at < length; at += WINDOW) {
      const view = mapping.bytes(start + at, Math.min(WINDOW, length - at))
      try {
        await writeAll(view)
      } catch (error) {
        throw failed('stdout', 'write', error)
      }
    }
  } finally {
    mapping.unmap()
  }
}

/** Runs `mman cat`; resolves to the exit status, throws a UsageError or the failure to print. */
async function run({ operands }: Args): Promise<number> {
  const wanted = request(operands)
  let fd: number
  try {
    // O_NONBLOCK: open() of a FIFO would otherwise wait, forever, for a writer.
    fd = openSync(wanted.file, O_RDONLY | O_NONBLOCK)
  } catch (error) {
    throw failed(wanted.file, 'open', error)
  }
  try {
    await print(fd, wanted)
  } finally {
    closeSync(fd)
  }
  return 0
}

export const cat: Command = {
  line: {
    summary: 'print FILE from OFFSET through a private read-only mapping\n(the mmap(2) man page example)',
    options: {},
    operands: { names: 'FILE OFFSET [LENGTH]', min: 2, max: 3, numbers: [1, 2] },
    about:
      'Prints FILE from byte OFFSET, LENGTH bytes or to its end, through a private\n' +
      'read-only mapping from the page boundary below OFFSET (the mmap(2) man page\n' +
      'example). OFFSET and LENGTH are decimal byte counts, at any size; a LENGTH\n' +
      'past the end of the file stops there. A failure prints "mman cat: FILE: " and\n' +
      'the C program\'s message (e.g. "open: No such file or directory"), and exits 1.',
  },
  run,
}
