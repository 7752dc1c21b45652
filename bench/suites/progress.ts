// A progress bar on stderr, only when stderr is a terminal.

export class Progress {
  #done = 0
  readonly #enabled = process.stderr.isTTY === true

  constructor(
    private readonly total: number,
    private readonly title: string,
  ) {}

  step(label: string): void {
    this.#done++
    if (!this.#enabled) return
    const width = 30
    const filled = Math.round((this.#done / this.total) * width)
    const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`
    process.stderr.write(`\r\x1b[2K${this.title} [${bar}] ${this.#done}/${this.total} ${label}`)
  }

  finish(): void {
    if (this.#enabled) process.stderr.write('\r\x1b[2K')
  }
}
