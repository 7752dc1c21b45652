// `mman cat FILE OFFSET [LENGTH]`: the seed's "mmap example II" (the mmap(2)
// man page program). Prints FILE from byte OFFSET, LENGTH bytes or to its end,
// through a private read-only mapping made from the page boundary below OFFSET.
// Its bytes, messages and exit statuses are the C program's wherever that
// program is right; docs/guide.md lists where it is not, and what this does.
import { closeSync, constants as fsConstants, openSync } from 'node:fs'
import { constants as osConstants } from 'node:os'
import { parseArgs } from 'node:util'
import { MAP, PROT, fstat, map, pageSize } from 'mman'
import { UsageError } from '../args.js'
import { tools } from '../../tools.js'
import { writeAll } from '../stdout.js'

export const catUsage = `Usage: mman cat FILE OFFSET [LENGTH]

Prints FILE from byte OFFSET, LENGTH bytes or to its end, through a private
read-only mapping from the page boundary below OFFSET (the mmap(2) man page
example). OFFSET and LENGTH are decimal byte counts, at any size; a LENGTH
past the end of the file stops there. A failure prints "mman cat: FILE: " and
the C program's message (e.g. "open: No such file or directory"), and exits 1.
`

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
  if (!/^\d+$/.test(text)) throw new UsageError(`${name} '${text}' is not a byte count (a whole number from 0)`, catUsage)
  return BigInt(text)
}

/** The request, or undefined for --help. */
function parse(argv: string[]): Request | undefined {
  // Not strict, so that a negative number (which parseArgs reads as an option) gets its own complaint.
  const { values, positionals, tokens } = parseArgs({
    args: argv,
    options: { help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: false,
    tokens: true,
  })
  const unknown = tokens.find((token) => token.kind === 'option' && token.name !== 'help')
  if (unknown !== undefined) {
    const arg = argv[unknown.index]!
    const place = tokens.filter((token) => token.kind === 'positional' && token.index < unknown.index).length
    const number = ['OFFSET', 'LENGTH'][place - 1]
    if (number === undefined || !/^-\d/.test(arg)) throw new UsageError(`unknown option ${arg}`, catUsage)
    byteCount(number, arg)
  }
  if (values.help === true) return undefined
  const [file, offset, length] = positionals
  if (offset === undefined || positionals.length > 3) {
    throw new UsageError(`takes FILE OFFSET [LENGTH], not ${positionals.length} argument${positionals.length === 1 ? '' : 's'}`, catUsage)
  }
  return { file: file!, offset: byteCount('OFFSET', offset), length: length === undefined ? undefined : byteCount('LENGTH', length) }
}

/** A failure as the C program words it (perror: the call, then strerror), after the file it concerns. */
function failed(file: string, call: string, error: unknown): Error {
  const errno = (error as { errno?: unknown }).errno
  return new Error(`${file}: ${call}: ${typeof errno === 'number' ? tools.strerror(-errno) : String((error as Error).message)}`)
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
export async function cat(argv: string[]): Promise<number> {
  const request = parse(argv)
  if (request === undefined) {
    process.stdout.write(catUsage)
    return 0
  }
  let fd: number
  try {
    // O_NONBLOCK: open() of a FIFO would otherwise wait, forever, for a writer.
    fd = openSync(request.file, O_RDONLY | O_NONBLOCK)
  } catch (error) {
    throw failed(request.file, 'open', error)
  }
  try {
    await print(fd, request)
  } finally {
    closeSync(fd)
  }
  return 0
}
