// A report as structured blocks: headings, paragraphs, lists, tables and
// charts, as the suites, compare and render say them. markdown.ts writes them
// for the terminal and docs, html.ts for the report page: neither reads the other.

/** A run of text: plain, code (a command, a path) or strong (a warning). */
export type Span = string | { code: string } | { strong: string }

/** Text: plain, or spans in order. */
export type Text = string | Span[]

type Align = 'left' | 'right'

export type Block =
  | { kind: 'heading'; level: 1 | 2 | 3; text: Text }
  | { kind: 'paragraph'; text: Text }
  | { kind: 'list'; items: Text[] }
  | { kind: 'table'; header: Text[]; rows: Text[][]; align: Align[] }
  /** A chart is an SVG document: inline on the page; markdown leaves it out (`--svg DIR` writes it as a file). */
  | { kind: 'chart'; svg: string }

export const heading = (level: 1 | 2 | 3, text: Text): Block => ({ kind: 'heading', level, text })

export const paragraph = (text: Text): Block => ({ kind: 'paragraph', text })

export const list = (items: Text[]): Block => ({ kind: 'list', items })

export const chart = (svg: string): Block => ({ kind: 'chart', svg })

/** A table: the first column left-aligned, the others right-aligned (figures) unless `textColumns`. */
export function table(header: Text[], rows: (Text | number)[][], textColumns = false): Block {
  return {
    kind: 'table',
    header,
    rows: rows.map((row) => row.map((cell) => (typeof cell === 'number' ? String(cell) : cell))),
    align: header.map((_, i) => (i === 0 || textColumns ? 'left' : 'right')),
  }
}

/** The section every suite ends with: its conclusions as a list. */
export const conclusionsSection = (conclusions: string[]): Block[] => [
  heading(3, 'What the numbers say'),
  list(conclusions),
]

/** The one chart among a suite's blocks. */
export function chartOf(blocks: Block[]): string {
  const charts = blocks.flatMap((block) => (block.kind === 'chart' ? [block.svg] : []))
  if (charts.length !== 1) throw new Error(`a suite's report has one chart, not ${charts.length}`)
  return charts[0]!
}
