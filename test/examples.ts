// Runnable examples in the docs, and the output each must print: the markdown
// of README.md and docs/guide.md, and the @example blocks of lib/'s doc
// comments (test/doc-examples.test.ts, test/api-examples.test.ts). A ```js
// block is followed by its output: the fenced block right after it (nothing
// but blank lines between). In that output, `…` stands for what differs from
// run to run (an address, a pid, a time) and matches any text within its line;
// everything else must match exactly, line for line.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from './helpers.js'

export interface Example {
  /** The line of the ```js fence in the markdown. */
  line: number
  source: string
  output: string | undefined
}

const FENCE = /^```(\w*)\n([\s\S]*?)^```\n/gm

/** The ```js blocks of a markdown text, each with the output block that follows it. */
export function examplesOf(markdown: string): Example[] {
  const blocks = [...markdown.matchAll(FENCE)].map((match) => ({
    language: match[1]!,
    body: match[2]!,
    start: match.index,
    end: match.index + match[0].length,
  }))
  return blocks.flatMap((block, i) => {
    if (block.language !== 'js') return []
    const next = blocks[i + 1]
    const attached =
      next !== undefined &&
      (next.language === '' || next.language === 'text') &&
      markdown.slice(block.end, next.start).trim() === ''
    const line = markdown.slice(0, block.start).split('\n').length
    return [{ line, source: block.body, output: attached ? next.body : undefined }]
  })
}

/** `actual` with each line that matches its expected line (`…` matching anything) replaced by that line, so a diff shows only real differences. */
export function matchedOutput(expected: string, actual: string): string {
  const wanted = expected.trimEnd().split('\n')
  return actual
    .trimEnd()
    .split('\n')
    .map((line, i) => {
      const pattern = wanted[i]
      if (pattern === undefined) return line
      const regex = new RegExp(
        `^${pattern
          .split('…')
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*?')}$`,
      )
      return regex.test(line.trimEnd()) ? pattern : line
    })
    .join('\n')
}

/**
 * Runs examples as files inside the package (so that `import 'mman'` finds the
 * built package by self-reference, and cluster and piscina can load the file
 * again), each in a fresh node; `.vitest-*` is git-ignored. In about 1 Node
 * process in 100, sbrk() growth rightly fails with ENOMEM (V8 has a mapping
 * right above the heap): such a run is repeated in a fresh process.
 */
export function exampleRunner(name: string): {
  run(source: string, cwd?: string): SpawnSyncReturns<string>
  cleanup(): void
} {
  const dir = join(repoRoot, `.vitest-${name}-${process.pid}`)
  mkdirSync(dir, { recursive: true })
  let files = 0
  return {
    run(source, cwd = repoRoot) {
      const path = join(dir, `example-${files++}.mjs`)
      writeFileSync(path, source)
      for (let attempt = 0; ; attempt++) {
        const result = spawnSync(process.execPath, [path], { cwd, encoding: 'utf8', timeout: 120_000 })
        if (attempt === 4 || !/ENOMEM/.test(result.stdout + result.stderr)) return result
      }
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}
