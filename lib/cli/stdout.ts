// Where the mman command's output goes, for the whole command: every command,
// every demo, and the demos' child programs that print.
//
// A reader that goes away (`mman demo ipc | head -2`) ends the command
// quietly, with the status it had so far (0 unless something already failed).
// A C tool would die of SIGPIPE there (the shell shows 141); Node ignores
// SIGPIPE, so the closed pipe arrives as an EPIPE error instead, and exiting 0
// keeps `set -o pipefail` scripts that stop reading early from failing.
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
