// The JavaScript examples in README.md and docs/guide.md run as written, and
// print what the docs show. Each ```js block is followed by its output: the
// fenced block right after it (nothing but blank lines between). In that
// output, `…` stands for what differs from run to run (an address, a pid, a
// time) and matches any text within its line; everything else must match
// exactly, line for line.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { repoRoot } from './helpers.js'

interface Example {
  line: number
  source: string
  output: string | undefined
}

const FENCE = /^```(\w*)\n([\s\S]*?)^```\n/gm

/** The ```js blocks of a markdown file, each with the output block that follows it. */
function examplesOf(markdown: string): Example[] {
  const blocks = [...markdown.matchAll(FENCE)].map((match) => ({
    language: match[1]!,
    body: match[2]!,
    start: match.index,
    end: match.index + match[0].length,
  }))
  return blocks.flatMap((block, i) => {
    if (block.language !== 'js') return []
    const next = blocks[i + 1]
    const attached = next !== undefined && (next.language === '' || next.language === 'text') && markdown.slice(block.end, next.start).trim() === ''
    const line = markdown.slice(0, block.start).split('\n').length
    return [{ line, source: block.body, output: attached ? next.body : undefined }]
  })
}

/** `actual` with each line that matches its expected line (`…` matching anything) replaced by that line, so a diff shows only real differences. */
function matchedOutput(expected: string, actual: string): string {
  const wanted = expected.trimEnd().split('\n')
  return actual
    .trimEnd()
    .split('\n')
    .map((line, i) => {
      const pattern = wanted[i]
      if (pattern === undefined) return line
      const regex = new RegExp(`^${pattern.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*?')}$`)
      return regex.test(line.trimEnd()) ? pattern : line
    })
    .join('\n')
}

// Examples run as files inside the package (so that `import 'mman'` finds it by
// self-reference, and cluster and piscina can load the file again); .vitest-* is git-ignored.
const dir = join(repoRoot, `.vitest-doc-examples-${process.pid}`)
mkdirSync(dir, { recursive: true })
afterAll(() => rmSync(dir, { recursive: true, force: true }))

let files = 0
/**
 * Runs an example in a fresh node from the repository root. In about 1 Node
 * process in 100, sbrk() growth rightly fails with ENOMEM (V8 has a mapping
 * right above the heap): such a run is repeated in a fresh process.
 */
function run(source: string) {
  const path = join(dir, `example-${files++}.mjs`)
  writeFileSync(path, source)
  for (let attempt = 0; ; attempt++) {
    const result = spawnSync(process.execPath, [path], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 })
    if (attempt === 4 || !/ENOMEM/.test(result.stdout + result.stderr)) return result
  }
}

describe('the output notation', () => {
  it('takes the block right after an example as its output, and … as any text within a line', () => {
    const markdown = '```js\nconsole.log(1)\n```\n\n```\n1 at 0x…\n```\n\n```js\nx\n```\nprose\n```\nnot output\n```\n'
    expect(examplesOf(markdown)).toEqual([
      { line: 1, source: 'console.log(1)\n', output: '1 at 0x…\n' },
      { line: 9, source: 'x\n', output: undefined },
    ])
    expect(matchedOutput('1 at 0x…\nend', '1 at 0x7f00\nend')).toBe('1 at 0x…\nend')
    expect(matchedOutput('1 at 0x…\nend', '1 at 0x7f00\nEND')).toBe('1 at 0x…\nEND')
    expect(matchedOutput('a … b', 'a x\nb')).toBe('a x\nb')
  })
})

describe.each(['README.md', 'docs/guide.md'])('examples in %s', (file) => {
  const examples = examplesOf(readFileSync(join(repoRoot, file), 'utf8'))

  it('has examples, each followed by the output it prints', () => {
    expect(examples.length).toBeGreaterThanOrEqual(4)
    expect(examples.filter((example) => example.output === undefined).map((example) => `line ${example.line}`)).toEqual([])
  })

  it.each(examples.map((example) => [example.line, example] as const))('the example at line %i prints what the docs show', (_line, example) => {
    const child = run(example.source)
    expect(child.stderr).toBe('')
    expect(child.status).toBe(0)
    expect(matchedOutput(example.output ?? '', child.stdout)).toBe((example.output ?? '').trimEnd())
  })
})
