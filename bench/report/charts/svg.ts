// What every chart shares: escaping, colours, text width, the title block,
// and the standalone SVG document (it renders in a browser, and inline in the
// HTML report).
import { tickLabel } from './axis.js'

export const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#b07aa1',
  '#76b7b2',
  '#edc948',
  '#9c755f',
  '#ff9da7',
  '#bab0ac',
]

const FONT_SIZE = 12

export const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** About how wide `text` is in the charts' sans-serif at `size` px (no layout engine here; errs wide). */
export function textWidth(text: string, size = FONT_SIZE): number {
  return text.length * size * 0.58
}

/** A number as a value label: about three significant digits, grouped like the ticks. */
export function valueText(value: number): string {
  const magnitude = Math.abs(value)
  if (!Number.isFinite(value) || magnitude < 0.001) return tickLabel(value)
  const text = magnitude >= 100 ? value.toFixed(0) : String(Number(value.toPrecision(3)))
  return magnitude >= 10_000 ? text.replace(/\B(?=(\d{3})+(?!\d))/g, ' ') : text
}

export interface Frame {
  title: string
  subtitle?: string
}

/** The title block's lines, and how far down the plot may start. */
export function titleBlock(frame: Frame, x: number): { parts: string[]; bottom: number } {
  const parts = [`<text x="${x}" y="22" font-size="15" font-weight="bold">${escapeXml(frame.title)}</text>`]
  if (frame.subtitle !== undefined) parts.push(`<text x="${x}" y="41" fill="#555">${escapeXml(frame.subtitle)}</text>`)
  return { parts, bottom: frame.subtitle === undefined ? 34 : 52 }
}

export function svgDocument(width: number, height: number, parts: string[], title: string): string {
  return (
    [
      `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.ceil(width)}" height="${Math.ceil(height)}" viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(height)}" ` +
        `font-family="Helvetica, Arial, sans-serif" font-size="${FONT_SIZE}" role="img" aria-label="${escapeXml(title)}">`,
      `<rect width="100%" height="100%" fill="white"/>`,
      ...parts,
      '</svg>',
    ].join('\n') + '\n'
  )
}
