// `mman bench compare A.json B.json [--json]`: two saved runs side by side
// (the comparison itself is the report's: bench/report/compare.ts).
import { compareResults, comparisonBlocks } from '../../../report/compare.js'
import { markdown } from '../../../report/markdown.js'
import { readResults } from '../../../report/results-file.js'
import type { Command } from '../../command.js'

const OPTIONS = { json: { type: 'boolean', help: 'the comparison as JSON instead of markdown' } } as const

export const compare: Command<typeof OPTIONS> = {
  line: {
    summary: "per row, B's time over A's: two machines, kernels or versions",
    options: OPTIONS,
    operands: { names: 'A.json B.json', min: 2, max: 2 },
    about:
      'Reads two files written by mman bench --json (or --report DIR: DIR/results.json)\n' +
      "and shows, for every row both measured, B's median time over A's and whether B\n" +
      'is faster, slower or within noise of A. Both must be full runs or both --quick.',
  },
  run({ values, operands: [pathA, pathB] }) {
    const comparison = compareResults(readResults(pathA!), readResults(pathB!), pathA!, pathB!)
    process.stdout.write(
      values.json === true ? `${JSON.stringify(comparison, null, 2)}\n` : markdown(comparisonBlocks(comparison)),
    )
    return 0
  },
}
