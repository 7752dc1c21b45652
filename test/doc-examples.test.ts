// The JavaScript examples in README.md and docs/guide.md run as written, and
// print what the docs show (the notation: test/examples.ts).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { exampleRunner, examplesOf, matchedOutput } from './examples.js'
import { repoRoot } from './helpers.js'

const { run, cleanup } = exampleRunner('doc-examples')
afterAll(cleanup)

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
    expect(examples.filter((example) => example.output === undefined).map((example) => `line ${example.line}`)).toEqual(
      [],
    )
  })

  it.each(examples.map((example) => [example.line, example] as const))(
    'the example at line %i prints what the docs show',
    (_line, example) => {
      const child = run(example.source)
      expect(child.stderr).toBe('')
      expect(child.status).toBe(0)
      expect(matchedOutput(example.output ?? '', child.stdout)).toBe((example.output ?? '').trimEnd())
    },
  )
})
