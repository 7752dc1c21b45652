// Every @example in lib/'s doc comments (the API reference) runs as written and
// prints what the output block after its code shows (the notation of README's
// examples: test/examples.ts). Each runs as a module in a fresh node, in an
// empty directory of its own, so that it may write the files it maps; one whose
// title says `Node ≥ 24` (or `Node ≥ 22.23`) is skipped on older lines only.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { apiExamples, blockTags } from './doc-comments.js'
import { exampleRunner, matchedOutput } from './examples.js'

const examples = apiExamples()
const { run, cleanup } = exampleRunner('api-examples')
afterAll(cleanup)

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
const runsHere = (needs: [number, number] | undefined) =>
  needs === undefined || major > needs[0] || (major === needs[0] && minor >= needs[1])

describe('the examples of the API reference', () => {
  it('are read as TypeDoc reads a doc comment: an @ inside a code block starts no tag', () => {
    const comment =
      '/**\n * Maps.\n * @param x The x.\n * @example Title\n * ```js\n * @decorated()\n * ```\n * @throws\n * - `E`\n */'
    expect(blockTags(comment, 10)).toEqual([
      { name: 'param', text: 'x The x.', line: 12 },
      { name: 'example', text: 'Title\n```js\n@decorated()\n```', line: 13 },
      { name: 'throws', text: '\n- `E`', line: 17 },
    ])
  })

  it('are each one ```js block, followed by the output it prints', () => {
    expect(examples.length).toBeGreaterThanOrEqual(60)
    expect(
      examples.filter((example) => example.blocks !== 1 || example.output === undefined).map((example) => example.at),
    ).toEqual([])
  })

  it('import the package by its name, as users do', () => {
    expect(examples.filter((example) => !/from 'mman'/.test(example.source)).map((example) => example.at)).toEqual([])
  })
})

describe.each(examples.map((example) => [`${example.at} (${example.declaration})`, example] as const))(
  '%s',
  (_name, example) => {
    it.skipIf(!runsHere(example.needsNode))('prints what the docs show', () => {
      const cwd = mkdtempSync(join(tmpdir(), 'mman-example-'))
      try {
        const child = run(example.source, cwd)
        expect(child.stderr).toBe('')
        expect(child.status).toBe(0)
        expect(matchedOutput(example.output ?? '', child.stdout)).toBe((example.output ?? '').trimEnd())
      } finally {
        rmSync(cwd, { recursive: true, force: true })
      }
    })
  },
)
