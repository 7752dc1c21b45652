/** What a demo shows: lines for people, data for `--json` and the tests. */
export interface DemoOutput {
  text: string[]
  data: Record<string, unknown>
}

/** The arguments a demo takes after its name (besides --json, which every demo takes). */
export interface DemoArguments {
  /** As the usage shows them, e.g. `[--private]`. */
  usage: string
  /** A complaint about `argv`, or undefined when the demo can run with it. */
  check(argv: string[]): string | undefined
}

export interface Demo {
  summary: string
  /** Absent: the demo takes no arguments. */
  arguments?: DemoArguments
  run(argv: string[]): DemoOutput | Promise<DemoOutput>
  /** Prints its text itself as it happens (timing is the point); `text` is then empty. */
  live?: boolean
}

export const hex = (address: bigint) => `0x${address.toString(16)}`
