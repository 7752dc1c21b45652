// Blocks (blocks.ts) as markdown: what `mman bench` prints and docs/benchmarks.md
// quotes. One blank line between blocks; charts have no markdown form.
import type { Block, Span, Text } from './blocks.js'

function span(part: Span): string {
  if (typeof part === 'string') return part
  return 'code' in part ? `\`${part.code}\`` : `**${part.strong}**`
}

const text = (value: Text) => (typeof value === 'string' ? value : value.map(span).join(''))

/** A table cell: a pipe inside it would end the cell. */
const cell = (value: Text) => text(value).replaceAll('|', '\\|')

function block(b: Block): string | undefined {
  switch (b.kind) {
    case 'heading':
      return `${'#'.repeat(b.level)} ${text(b.text)}`
    case 'paragraph':
      return text(b.text)
    case 'list':
      return b.items.map((item) => `- ${text(item)}`).join('\n')
    case 'table':
      return [
        `| ${b.header.map(cell).join(' | ')} |`,
        `|${b.align.map((align) => (align === 'right' ? '---:' : '---')).join('|')}|`,
        ...b.rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
      ].join('\n')
    case 'chart':
      return undefined
  }
}

/** The blocks as one markdown document, ending in a newline. */
export function markdown(blocks: Block[]): string {
  return `${blocks.flatMap((b) => block(b) ?? []).join('\n\n')}\n`
}
