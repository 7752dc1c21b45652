// `mman bench render RUN.json [--svg DIR] [--report DIR]`: a saved run's
// report again (markdown on stdout), and its charts and page when asked for,
// without running anything. Conclusions are recomputed from the rows.
import { machineLine } from '../../../report/machine.js'
import { parseArgs, UsageError } from '../../args.js'
import { checkOutputs, writeOutputs } from '../../outputs.js'
import { presentSection } from '../../../suites/index.js'
import type { Presentation } from '../../../report/rows.js'
import { readResults } from '../../../report/results-file.js'

/** A saved run's report again: markdown on stdout, and its charts and page when asked for. */
export function renderCommand(argv: string[]): number {
  const foreign = argv.find((arg) => arg.startsWith('-') && arg !== '--svg' && arg !== '--report')
  if (foreign !== undefined) throw new UsageError(`render takes RUN.json [--svg DIR] [--report DIR], not ${foreign}`)
  const parsed = parseArgs(argv)
  if (parsed.words.length !== 1) throw new UsageError(`render takes one results file, not ${parsed.words.length}`)
  const paths = { svg: parsed.options.svg, report: parsed.options.report }
  const file = readResults(parsed.words[0]!)
  checkOutputs(paths)
  const presentations = new Map<string, Presentation>()
  for (const section of file.suites) {
    const presentation = presentSection(section)
    if (presentation === undefined) process.stderr.write(`mman bench render: skipping suite '${section.suite}', which this version does not know\n`)
    else presentations.set(section.suite, presentation)
  }
  // Conclusions are computed again, by this version: the copy in the page's results.json says the same.
  const known = {
    ...file,
    suites: file.suites.filter((s) => presentations.has(s.suite)).map((s) => ({ ...s, title: presentations.get(s.suite)!.title, conclusions: presentations.get(s.suite)!.conclusions })),
  }
  const quick = file.options.quick ? ' — quick smoke run: sizes and repetitions too small for conclusions' : ''
  process.stdout.write(`# mman benchmarks\n\n${machineLine(file.machine, file.node, file.mman)}; recorded ${file.createdAt} by \`${file.command}\`${quick}\n\n`)
  for (const presentation of presentations.values()) process.stdout.write(`${presentation.markdown}\n`)
  for (const line of writeOutputs(known, presentations, paths)) process.stderr.write(`${line}\n`)
  return 0
}
