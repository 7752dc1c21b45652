// `mman bench render RUN.json [--svg DIR] [--report DIR]`: a saved run's
// report again (markdown on stdout), and its charts and page when asked for,
// without running anything. Conclusions are recomputed from the rows.
import { heading, paragraph } from '../../../report/blocks.js'
import { machineLine } from '../../../report/machine.js'
import type { Args } from '../../args.js'
import type { Command } from '../../command.js'
import { checkOutputs, printSection, writeOutputs } from '../../outputs.js'
import { presentSection } from '../../../suites/index.js'
import type { Presentation } from '../../../report/rows.js'
import { readResults } from '../../../report/results-file.js'

const OPTIONS = {
  svg: { type: 'string', value: 'DIR', help: "write each suite's chart to DIR/bench-<suite>.svg" },
  report: { type: 'string', value: 'DIR', help: 'write DIR/report.html and DIR/results.json' },
} as const

/** A saved run's report again: markdown on stdout, and its charts and page when asked for. */
function run({ values, operands: [path] }: Args<typeof OPTIONS>): number {
  const paths = { svg: values.svg, report: values.report }
  const file = readResults(path!)
  checkOutputs(paths)
  const presentations = new Map<string, Presentation>()
  for (const section of file.suites) {
    const presentation = presentSection(section)
    if (presentation === undefined)
      process.stderr.write(`mman bench render: skipping suite '${section.suite}', which this version does not know\n`)
    else presentations.set(section.suite, presentation)
  }
  // Conclusions are computed again, by this version: the copy in the page's results.json says the same.
  const known = {
    ...file,
    suites: file.suites
      .filter((s) => presentations.has(s.suite))
      .map((s) => ({
        ...s,
        title: presentations.get(s.suite)!.title,
        conclusions: presentations.get(s.suite)!.conclusions,
      })),
  }
  const quick = file.options.quick ? ' — quick smoke run: sizes and repetitions too small for conclusions' : ''
  printSection([
    heading(1, 'mman benchmarks'),
    paragraph([
      `${machineLine(file.machine, file.node, file.mman)}; recorded ${file.createdAt} by `,
      { code: file.command },
      quick,
    ]),
  ])
  for (const presentation of presentations.values()) printSection(presentation.blocks)
  for (const line of writeOutputs(known, presentations, paths)) process.stderr.write(`${line}\n`)
  return 0
}

export const render: Command<typeof OPTIONS> = {
  line: {
    summary: "a saved run's report again, with its charts and HTML page",
    options: OPTIONS,
    operands: { names: 'RUN.json', min: 1, max: 1 },
    about:
      'Prints the report of a saved run again (conclusions computed anew from its rows),\nand writes its charts and page when asked, without running anything.',
  },
  run,
}
