// What the API reference says about each call is held to the code. Every
// function, class, method and accessor a user of the package calls has an
// @example (test/api-examples.test.ts runs them all). And every code a
// @throws names is one the call can throw, as far as reading the code tells:
// an ERR_* code must be written in code the call reaches (following calls,
// not just imports, through lib/), with the error class that code is made
// with; a syscall's errno must be one its man page lists (or one a reason is
// recorded for in test/fixtures/syscall-errors.json) or one mman makes itself
// in reached code, for a syscall the call makes. This is a guard against codes
// nobody can get; that the call really gets them is for the behaviour tests.
import { readFileSync } from 'node:fs'
import { constants } from 'node:os'
import { join } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import type { BlockTag } from './doc-comments.js'
import { repoRoot } from './helpers.js'
import { libSources, nameOf, publicCalls, reachedFrom, tagsOf, where, type Reached } from './lib-declarations.js'

/** The error class each ERR_* code of lib/ is made with: coded(new TypeError(...), 'ERR_X'), new ChannelError('ERR_X', ...), or a class whose code is 'ERR_X'. */
function classesOfCodes(): Map<string, Set<string>> {
  const classes = new Map<string, Set<string>>()
  const add = (code: string, name: string) => classes.set(code, (classes.get(code) ?? new Set()).add(name))
  for (const file of libSources) {
    const text = file.text
    for (const [, name, code] of text.matchAll(/coded\(\s*new (\w+)\([\s\S]*?'(ERR_\w+)',?\s*\)/g)) add(code!, name!)
    for (const [, name, code] of text.matchAll(/new (\w+)\(\s*'(ERR_\w+)'/g)) add(code!, name!)
    for (const [, name, code] of text.matchAll(/class (\w+) extends Error \{[\s\S]*?\bcode = '(ERR_\w+)'/g))
      add(code!, name!)
  }
  return classes
}

const table = JSON.parse(readFileSync(join(repoRoot, 'test/fixtures/syscall-errors.json'), 'utf8')) as {
  manPages: Record<string, string[]>
  beyondTheManPages: Record<string, Record<string, string>>
}
const errnoOf = (code: string) => (constants.errno as Record<string, number | undefined>)[code]
// The errnos a call may fail with, by number: libuv's ENOTSUP is the man pages' EOPNOTSUPP.
const kernelErrnos = (syscall: string): Set<number> =>
  new Set(
    [...(table.manPages[syscall] ?? []), ...Object.keys(table.beyondTheManPages[syscall] ?? {})]
      .map(errnoOf)
      .filter((n) => n !== undefined),
  )

// The calls Node's own functions make, as their errors name them.
const NODE_CALLS: Record<string, string[]> = {
  open: ['openSync', 'readFileSync'],
  ftruncate: ['ftruncateSync'],
  unlink: ['unlinkSync'],
  close: ['closeSync'],
}
const makesSyscall = (reached: Reached, syscall: string) =>
  reached.strings.has(syscall) || (NODE_CALLS[syscall] ?? []).some((name) => reached.outside.has(name))

interface ThrowsItem {
  errorClass: string
  codes: string[]
  syscall: string | undefined
}

const ITEM = /^- (?:`(\w+)`|\{@link (\w+)\}) ((?:`[A-Z][A-Z0-9_]*`(?:, )?)+)(?: \(`(\w+)`\))?: \S/

/**
 * The items of a @throws: `- ErrorClass CODE[, CODE] [(syscall)]: when`, each
 * with the lines indented under it. Items that do not read so are returned as strings.
 */
function throwsItems(text: string): Array<ThrowsItem | string> {
  return text
    .replace(/\n {2}/g, ' ')
    .split('\n')
    .filter((line) => line.startsWith('- '))
    .map((line) => {
      const match = ITEM.exec(line)
      if (match === null) return line
      return {
        errorClass: (match[1] ?? match[2])!,
        codes: [...match[3]!.matchAll(/`(\w+)`/g)].map((code) => code[1]!),
        syscall: match[4],
      }
    })
}

/** Every declaration of lib/ with a doc comment that has a @throws. */
function documentedThrows(): Array<{ node: ts.Node; tag: BlockTag }> {
  const found: Array<{ node: ts.Node; tag: BlockTag }> = []
  const visit = (node: ts.Node): void => {
    for (const tag of tagsOf(node).filter((each) => each.name === 'throws')) found.push({ node, tag })
    ts.forEachChild(node, visit)
  }
  for (const file of libSources) ts.forEachChild(file, visit)
  return found
}

describe('the API reference', () => {
  it('shows an example of every function, class, method and accessor a user calls', () => {
    const calls = [...publicCalls()]
    expect(calls.length).toBeGreaterThanOrEqual(90)
    expect(
      calls.filter(([node]) => !tagsOf(node).some((tag) => tag.name === 'example')).map(([node]) => where(node)),
    ).toEqual([])
  })

  it('reads a @throws item as error class, codes and syscall', () => {
    expect(
      throwsItems(
        'The promise rejects with:\n- `TypeError` `ERR_X`: when\n  more\n- {@link SyscallError} `EIO`, `ENOSPC` (`msync`): when\n- TypeError ERR_X: bad',
      ),
    ).toEqual([
      { errorClass: 'TypeError', codes: ['ERR_X'], syscall: undefined },
      { errorClass: 'SyscallError', codes: ['EIO', 'ENOSPC'], syscall: 'msync' },
      '- TypeError ERR_X: bad',
    ])
  })

  const documented = documentedThrows()
  const classes = classesOfCodes()

  it.each(documented.map(({ node, tag }) => [where(node), node, tag] as const))(
    '%s: each code its @throws names can be thrown',
    (_name, node, tag) => {
      const reached = reachedFrom(node)
      const items = throwsItems(tag.text)
      expect(items.length).toBeGreaterThan(0)
      const wrong: string[] = []
      for (const item of items) {
        if (typeof item === 'string') {
          wrong.push(`not "- ErrorClass CODE (syscall): when": ${item}`)
          continue
        }
        for (const code of item.codes) {
          if (code.startsWith('ERR_')) {
            if (!classes.get(code)?.has(item.errorClass))
              wrong.push(
                `${code} is made with ${[...(classes.get(code) ?? ['no class'])].join(' or ')}, not ${item.errorClass}`,
              )
            if (!reached.strings.has(code)) wrong.push(`${code} is in no code ${nameOf(node)} reaches`)
            continue
          }
          const errno = errnoOf(code)
          if (item.errorClass !== 'SyscallError') wrong.push(`${code} is a SyscallError, not ${item.errorClass}`)
          if (errno === undefined) wrong.push(`${code} is no errno of this system`)
          if (item.syscall === undefined) {
            wrong.push(`${code} names no syscall`)
            continue
          }
          if (!makesSyscall(reached, item.syscall)) wrong.push(`${nameOf(node)} makes no ${item.syscall} call`)
          if (!reached.strings.has(code) && (errno === undefined || !kernelErrnos(item.syscall).has(errno))) {
            wrong.push(
              `${code} is neither in ${item.syscall}(2)'s ERRORS (test/fixtures/syscall-errors.json) nor made by mman in code ${nameOf(node)} reaches`,
            )
          }
        }
      }
      expect(wrong).toEqual([])
    },
  )
})
