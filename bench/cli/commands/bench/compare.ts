// `mman bench compare A.json B.json [--json]`: two saved runs side by side
// (the comparison itself is the report's: bench/report/compare.ts).
import { compareResults, comparisonMarkdown } from '../../../report/compare.js'
import { readResults } from '../../../report/results-file.js'
import { UsageError } from '../../args.js'

export const compareUsage = `Usage: mman bench compare A.json B.json [--json]

Reads two files written by mman bench --json (or --report DIR: DIR/results.json)
and shows, for every row both measured, B's median time over A's and whether B
is faster, slower or within noise of A. Both must be full runs or both --quick.
  --json   the comparison as JSON instead of markdown
`

export function compareCommand(argv: string[]): number {
  const json = argv.includes('--json')
  const unknown = argv.find((arg) => arg.startsWith('-') && arg !== '--json')
  if (unknown !== undefined) throw new UsageError(`compare: unknown option ${unknown}`, compareUsage)
  const paths = argv.filter((arg) => arg !== '--json')
  if (paths.length !== 2) throw new UsageError(`compare takes two results files, not ${paths.length}`, compareUsage)
  const [pathA, pathB] = paths as [string, string]
  const comparison = compareResults(readResults(pathA), readResults(pathB), pathA, pathB)
  process.stdout.write(json ? `${JSON.stringify(comparison, null, 2)}\n` : comparisonMarkdown(comparison))
  return 0
}
