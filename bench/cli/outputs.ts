// Where a run's report goes: markdown on stdout, section by section, and the
// files asked for, checked before anything runs (a full run takes minutes; a
// typo in a path must not cost them). One naming rule:
//   --json FILE     FILE, exactly as given
//   --svg DIR       DIR/bench-<suite>.svg, one per suite
//   --report DIR    DIR/report.html (self-contained) and DIR/results.json beside it
import { accessSync, constants, mkdirSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { chartOf, type Block } from '../report/blocks.js'
import { htmlReport } from '../report/html.js'
import { markdown } from '../report/markdown.js'
import { UsageError } from './args.js'
import type { Presentation } from '../report/rows.js'
import type { ResultsFile } from '../report/results-file.js'

export interface OutputPaths {
  json?: string
  svg?: string
  report?: string
}

const svgFileName = (suite: string) => `bench-${suite}.svg`
const REPORT_PAGE = 'report.html'
const REPORT_RESULTS = 'results.json'

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK)
    return true
  } catch {
    return false
  }
}

function kind(path: string): 'file' | 'directory' | 'other' | 'missing' {
  try {
    const stat = statSync(path)
    return stat.isDirectory() ? 'directory' : stat.isFile() ? 'file' : 'other'
  } catch {
    return 'missing'
  }
}

function checkFile(flag: string, path: string): void {
  const target = resolve(path)
  const parent = dirname(target)
  const what = kind(target)
  if (what === 'directory') throw new UsageError(`${flag} ${path}: that is a directory; ${flag} takes a file name`)
  if (kind(parent) !== 'directory') throw new UsageError(`${flag} ${path}: directory ${parent} does not exist`)
  if (what === 'missing' ? !writable(parent) : !writable(target)) throw new UsageError(`${flag} ${path}: not writable`)
}

/** Creates the directory (and its parents) now, so that a path that cannot be one fails before the run. */
function prepareDirectory(flag: string, path: string, wrongExtension: RegExp, fileName: string): void {
  if (wrongExtension.test(path)) {
    throw new UsageError(
      `${flag} takes a directory (files are written as ${join(path.replace(wrongExtension, ''), fileName)}), not a file name: ${path}`,
    )
  }
  const what = kind(path)
  if (what !== 'directory' && what !== 'missing') throw new UsageError(`${flag} ${path}: exists and is not a directory`)
  try {
    mkdirSync(path, { recursive: true })
  } catch (error) {
    throw new UsageError(
      `${flag} ${path}: cannot create it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    )
  }
  if (!writable(path)) throw new UsageError(`${flag} ${path}: not writable`)
}

/** Throws a UsageError naming the first output that could not be written. */
export function checkOutputs(paths: OutputPaths): void {
  if (paths.json !== undefined) checkFile('--json', paths.json)
  if (paths.svg !== undefined) prepareDirectory('--svg', paths.svg, /\.svg$/i, svgFileName('<suite>'))
  if (paths.report !== undefined) prepareDirectory('--report', paths.report, /\.html?$/i, REPORT_PAGE)
}

interface OutputFile {
  path: string
  contents: string
  /** What it is, for the line that says where it went. */
  description: string
}

/** The files a run (or a saved run rendered again) writes, by the naming rule above. */
function outputFiles(file: ResultsFile, presentations: Map<string, Presentation>, paths: OutputPaths): OutputFile[] {
  const json = `${JSON.stringify(file, null, 2)}\n`
  const rowCount = file.suites.reduce((n, s) => n + s.rows.length, 0)
  const results = `results format ${file.version}: ${file.suites.length} suite${file.suites.length === 1 ? '' : 's'}, ${rowCount} rows; mman bench compare reads it`
  const files: OutputFile[] = []
  if (paths.json !== undefined) files.push({ path: paths.json, contents: json, description: results })
  if (paths.svg !== undefined) {
    for (const [suite, presentation] of presentations)
      files.push({
        path: join(paths.svg, svgFileName(suite)),
        contents: chartOf(presentation.blocks),
        description: `${suite} chart`,
      })
  }
  if (paths.report !== undefined) {
    files.push({
      path: join(paths.report, REPORT_PAGE),
      contents: htmlReport(file, presentations),
      description: 'the report page, self-contained: open it in a browser or attach it',
    })
    files.push({ path: join(paths.report, REPORT_RESULTS), contents: json, description: results })
  }
  return files
}

/** Writes the run's files (the results first, so a later failure loses the least); returns the lines that say where each went. */
export function writeOutputs(
  file: ResultsFile,
  presentations: Map<string, Presentation>,
  paths: OutputPaths,
): string[] {
  return outputFiles(file, presentations, paths).map((output) => {
    writeFileSync(output.path, output.contents)
    return `wrote ${output.path} (${output.description})`
  })
}

/** Prints one section of the report on stdout as markdown, a blank line after it (a run prints each suite as it ends). */
export function printSection(blocks: Block[]): void {
  process.stdout.write(`${markdown(blocks)}\n`)
}
