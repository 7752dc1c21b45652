import type { Args, Operands, Options } from '../args.js'

/** What a demo shows: lines for people, data for `--json` and the tests. */
export interface DemoOutput {
  text: string[]
  data: Record<string, unknown>
}

export interface Demo<O extends Options = Options> {
  summary: string
  /** Its options, besides --json, which every demo takes. */
  options?: O
  /** Its operands (absent: none). */
  operands?: Operands
  run(args: Args<O>, json: boolean): DemoOutput | Promise<DemoOutput>
  /** Prints its text itself as it happens (timing is the point); `text` is then empty. */
  live?: boolean
}

export const hex = (address: bigint) => `0x${address.toString(16)}`
