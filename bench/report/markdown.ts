// The markdown the suites print, as HTML for the report page. Only what the
// suites write: ## and ### headings, paragraphs, "- " lists, pipe tables
// (a ---: column is right-aligned), **bold** and `code`.

export const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
}

const cells = (line: string) => line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((cell) => cell.trim())

function tableHtml(lines: string[]): string {
  const [header, separator, ...body] = lines
  const right = cells(separator!).map((cell) => cell.endsWith(':'))
  const cell = (tag: string, text: string, i: number) => `<${tag}${right[i] ? ' class="num"' : ''}>${inline(text)}</${tag}>`
  return [
    '<table>',
    `<thead><tr>${cells(header!).map((text, i) => cell('th', text, i)).join('')}</tr></thead>`,
    `<tbody>${body.map((line) => `<tr>${cells(line).map((text, i) => cell('td', text, i)).join('')}</tr>`).join('\n')}</tbody>`,
    '</table>',
  ].join('\n')
}

export function markdownToHtml(markdown: string): string {
  const out: string[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; ) {
    const line = lines[i]!
    if (line.trim() === '') {
      i++
    } else if (/^#{1,4} /.test(line)) {
      const level = line.indexOf(' ')
      out.push(`<h${level}>${inline(line.slice(level + 1))}</h${level}>`)
      i++
    } else if (line.startsWith('|')) {
      const block: string[] = []
      while (i < lines.length && lines[i]!.startsWith('|')) block.push(lines[i++]!)
      out.push(tableHtml(block))
    } else if (line.startsWith('- ')) {
      const items: string[] = []
      while (i < lines.length && lines[i]!.startsWith('- ')) items.push(`<li>${inline(lines[i++]!.slice(2))}</li>`)
      out.push(`<ul>\n${items.join('\n')}\n</ul>`)
    } else {
      const paragraph: string[] = []
      while (i < lines.length && lines[i]!.trim() !== '' && !/^(#{1,4} |\||- )/.test(lines[i]!)) paragraph.push(lines[i++]!)
      out.push(`<p>${inline(paragraph.join(' '))}</p>`)
    }
  }
  return out.join('\n')
}
