// `mman bench --report DIR`: one self-contained HTML page (no script, no
// outside file: styles and charts inline) with the machine, every suite's
// tables, chart and conclusions. Something to attach to an issue. Each suite's
// section is its blocks (blocks.ts) written as HTML.
import type { Block, Span, Text } from './blocks.js'
import type { Presentation } from './rows.js'
import type { ResultsFile } from './results-file.js'

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

function span(part: Span): string {
  if (typeof part === 'string') return escapeHtml(part)
  return 'code' in part ? `<code>${escapeHtml(part.code)}</code>` : `<strong>${escapeHtml(part.strong)}</strong>`
}

const text = (value: Text) => (typeof value === 'string' ? escapeHtml(value) : value.map(span).join(''))

function tableHtml({ header, rows, align }: Extract<Block, { kind: 'table' }>): string {
  const cell = (tag: string, value: Text, i: number) =>
    `<${tag}${align[i] === 'right' ? ' class="num"' : ''}>${text(value)}</${tag}>`
  return [
    '<table>',
    `<thead><tr>${header.map((value, i) => cell('th', value, i)).join('')}</tr></thead>`,
    `<tbody>${rows.map((row) => `<tr>${row.map((value, i) => cell('td', value, i)).join('')}</tr>`).join('\n')}</tbody>`,
    '</table>',
  ].join('\n')
}

function blockHtml(block: Block): string {
  switch (block.kind) {
    case 'heading':
      return `<h${block.level}>${text(block.text)}</h${block.level}>`
    case 'paragraph':
      return `<p>${text(block.text)}</p>`
    case 'list':
      return `<ul>\n${block.items.map((item) => `<li>${text(item)}</li>`).join('\n')}\n</ul>`
    case 'table':
      return tableHtml(block)
    case 'chart':
      return `<figure>\n${block.svg.trim()}\n</figure>`
  }
}

/** Blocks as HTML, one element per block. */
export const blocksHtml = (blocks: Block[]) => blocks.map(blockHtml).join('\n')

const STYLE = `
body { font: 15px/1.5 Helvetica, Arial, sans-serif; color: #222; max-width: 1100px; margin: 2em auto; padding: 0 1.5em; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.35em; margin-top: 2.2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
h3 { font-size: 1.08em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.machine th { width: 11em; }
figure { margin: 1em 0; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
code { font-size: 0.92em; background: #f4f4f4; padding: 0 3px; }
nav a { margin-right: 1em; }
.warning { background: #fff4d6; border: 1px solid #e8c96a; padding: 0.5em 0.8em; }
footer { margin-top: 3em; color: #666; font-size: 13px; }
`

function machineTable(file: ResultsFile): string {
  const m = file.machine
  const gib = (m.memoryBytes / 2 ** 30).toFixed(1)
  const rows: [string, string][] = [
    ['CPU', `${m.cpus} × ${m.cpu ?? 'unknown'}`],
    ['memory', `${gib} GiB`],
    ['kernel', `Linux ${m.kernel} (${m.arch}), page size ${m.pageSize} bytes`],
    ['THP', `enabled: ${m.thp ?? 'unavailable'}, shmem: ${m.thpShmem ?? 'unavailable'}`],
    ['glibc', m.glibc ?? 'unknown'],
    ['Node', file.node],
    ['mman', file.mman],
    ['run', `${file.createdAt} — ${file.command}`],
  ]
  return `<table class="machine">\n${rows.map(([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(value)}</td></tr>`).join('\n')}\n</table>`
}

/** The page: the machine, then each suite's section. */
export function htmlReport(file: ResultsFile, presentations: Map<string, Presentation>): string {
  const sections = file.suites.map(
    (section) =>
      `<section id="${escapeHtml(section.suite)}">\n${blocksHtml(presentations.get(section.suite)!.blocks)}\n</section>`,
  )
  const title = `mman benchmarks — ${file.machine.cpu ?? 'unknown CPU'}, ${file.createdAt.slice(0, 10)}`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>mman benchmarks</h1>
${file.options.quick ? '<p class="warning">A quick smoke run: sizes and repetitions are too small for conclusions.</p>\n' : ''}${machineTable(file)}
<nav>${file.suites.map((s) => `<a href="#${escapeHtml(s.suite)}">${escapeHtml(s.suite)}</a>`).join(' ')}</nav>
${sections.join('\n')}
<footer>Every figure is the median [min–max] over the repetitions each table names; ratios marked “paired” divide values from the same repetition.
“Faster” and “slower” mean one median lies beyond the other's whole range and the other way round; anything less is “within noise”.
The rows are in results.json beside this page: <code>npx mman bench compare theirs.json results.json</code> shows the ratio for each row.</footer>
</body>
</html>
`
}
