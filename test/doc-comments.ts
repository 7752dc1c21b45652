// The doc comments of lib/ as the API reference shows them: their block tags
// (@example, @throws, ...) with the text of each, read from the sources.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { examplesOf, type Example } from './examples.js'
import { repoRoot } from './helpers.js'

export interface BlockTag {
  /** Without its @: 'example', 'throws', ... */
  name: string
  /** The tag's text: what follows it on its line, then its other lines (the comment's `*` taken off). */
  text: string
  /** The line of the tag in its file. */
  line: number
}

export interface DocComment {
  /** The line of the comment's `/**` in its file. */
  line: number
  /** The first line of code after the comment: the declaration it documents. */
  declaration: string
  tags: BlockTag[]
}

/** The block tags of one doc comment (`/** ... *\/`, as written); `firstLine` is the line it starts on. */
export function blockTags(comment: string, firstLine = 1): BlockTag[] {
  const lines = comment
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map((line) => line.replace(/^\s*(?:\* ?)?/, ''))
  const tags: BlockTag[] = []
  let inCode = false
  lines.forEach((line, i) => {
    const tag = inCode ? null : /^@(\w+)\s?(.*)$/.exec(line)
    if (line.startsWith('```')) inCode = !inCode
    if (tag) tags.push({ name: tag[1]!, text: tag[2]!, line: firstLine + i })
    else if (tags.length > 0) tags.at(-1)!.text += `\n${line}`
  })
  return tags.map((tag) => ({ ...tag, text: tag.text.trimEnd() }))
}

/** The doc comments of a TypeScript source. */
export function docComments(source: string): DocComment[] {
  return [...source.matchAll(/\/\*\*[\s\S]*?\*\//g)].map((match) => {
    const line = source.slice(0, match.index).split('\n').length
    const after =
      source
        .slice(match.index + match[0].length)
        .split('\n')
        .find((text) => text.trim() !== '') ?? ''
    return { line, declaration: after.trim(), tags: blockTags(match[0], line) }
  })
}

/** lib/'s TypeScript files, relative to the repository root. */
export function libFiles(dir = join(repoRoot, 'lib')): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory() ? libFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
    )
    .map((path) => relative(repoRoot, path))
    .sort()
}

export interface ApiExample extends Example {
  /** Where it is: `lib/mapping.ts:120`, the line of its ```js fence. */
  at: string
  /** What it documents: the declaration after its comment. */
  declaration: string
  /** The title written after @example, if any. */
  title: string
  /** The Node line it needs, from a title that says `Node ≥ 24` (or `Node ≥ 22.23`): [major, minor]. */
  needsNode: [number, number] | undefined
  /** ```js blocks the tag holds: exactly one is the rule. */
  blocks: number
}

/** Every @example of lib/, with the output block after its code. */
export function apiExamples(): ApiExample[] {
  return libFiles().flatMap((file) =>
    docComments(readFileSync(join(repoRoot, file), 'utf8')).flatMap((comment) =>
      comment.tags
        .filter((tag) => tag.name === 'example')
        .map((tag) => {
          const [title = '', ...body] = tag.text.split('\n')
          const examples = examplesOf(`${body.join('\n')}\n`)
          const example = examples[0] ?? { line: 0, source: '', output: undefined }
          const needs = /Node ≥ (\d+)(?:\.(\d+))?/.exec(title)
          return {
            ...example,
            at: `${file}:${tag.line + example.line}`,
            declaration: comment.declaration,
            title: title.trim(),
            needsNode: needs ? ([Number(needs[1]), Number(needs[2] ?? 0)] as [number, number]) : undefined,
            blocks: examples.length,
          }
        }),
    ),
  )
}
