// Where the mman command's output goes, for the whole command: every command,
// every demo, and the demos' child programs that print.
//
// A reader that goes away (`mman demo ipc | head -2`) ends the command
// quietly, with the status it had so far (0 unless something already failed).
// A C tool would die of SIGPIPE there (the shell shows 141); Node ignores
// SIGPIPE, so the closed pipe arrives as an EPIPE error instead, and exiting 0
// keeps `set -o pipefail` scripts that stop reading early from failing.
import { writeSync } from 'node:fs'
import { Socket } from 'node:net'

/** The pipe's (or socket's) reader is gone. */
const readerGone = (error: unknown) => (error as { code?: string } | null)?.code === 'EPIPE'

const endQuietly = (): never => process.exit(process.exitCode ?? 0)

/** Call once, first: from then on a stdout whose reader has gone ends the process quietly. */
export function endQuietlyWhenReaderLeaves(): void {
  process.stdout.on('error', (error) => {
    if (!readerGone(error)) throw error
    endQuietly()
  })
}

/** fs.writeSync() takes at most 2^31 - 1 bytes at once. */
const MAX_WRITE = 2 ** 30

/**
 * Writes all of `bytes` to stdout, however stdout is connected; resolves once
 * they are written (so the memory under them may be unmapped).
 *
 * A pipe, FIFO, socket or terminal goes through process.stdout, Node's own
 * stream for it: Node makes a pipe non-blocking, so a full pipe answers
 * EAGAIN, and the stream waits (epoll) until the reader makes room; a terminal
 * it makes blocking. A file or a device such as /dev/null Node writes with one
 * write() per chunk and drops what a short write left (a full disk, a file size
 * limit): here such writes continue until every byte is written or one fails.
 */
export async function writeAll(bytes: Uint8Array): Promise<void> {
  try {
    for (let at = 0; at < bytes.length;) {
      const chunk = bytes.subarray(at, at + MAX_WRITE)
      if (process.stdout instanceof Socket) {
        await new Promise<void>((resolve, reject) =>
          process.stdout.write(chunk, (error) => (error ? reject(error) : resolve())),
        )
        at += chunk.length
      } else {
        at += writeSync(1, chunk)
      }
    }
  } catch (error) {
    if (readerGone(error)) endQuietly()
    throw error
  }
}
