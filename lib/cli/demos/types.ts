/** What a demo shows: lines for people, data for `--json` and the tests. */
export interface DemoOutput {
  text: string[]
  data: Record<string, unknown>
}

export interface Demo {
  summary: string
  run(argv: string[]): DemoOutput | Promise<DemoOutput>
  /** Prints its text itself as it happens (timing is the point); `text` is then empty. */
  live?: boolean
}

export const hex = (address: bigint) => `0x${address.toString(16)}`
