// `mman cat` against the seed's C program itself, compiled here: same bytes,
// same messages, same exit status.
import { execFileSync, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { repoRoot, tempDir } from './helpers.js'

const { dir, cleanup } = tempDir()
afterAll(cleanup)

const reference = join(dir, 'mmap_example2')
execFileSync('cc', ['-O2', '-o', reference, join(repoRoot, 'test/fixtures/mmap_example2.c')])

const file = join(dir, 'text.txt')
writeFileSync(file, Buffer.concat([Buffer.from('line one\nline two\n'), Buffer.alloc(5000, 'x'), Buffer.from('\nthe end\n')]))
const size = 18 + 5000 + 9

const run = (command: string, args: string[]) => {
  const result = spawnSync(command, args, { encoding: 'buffer' })
  return { status: result.status, stdout: result.stdout.toString('latin1'), stderr: result.stderr.toString() }
}
const mman = (args: string[]) => run(process.execPath, [join(repoRoot, 'dist/lib/cli/index.js'), 'cat', ...args])

describe('mman cat (seed: mmap example II)', () => {
  const cases: string[][] = [
    [file, '0'],
    [file, '5'],
    [file, '5', '4'],
    [file, '4095', '3'],
    [file, '4096'],
    [file, '4100', '100000'],
    [file, String(size - 1)],
    [file, String(size)],
    [file, '999999'],
    [file, '12abc', '2xyz'],
    [file, 'abc'],
    [join(dir, 'missing'), '0'],
    [dir, '0'],
    [file, '3', '0'],
  ]
  it.each(cases)('matches the C program for %s %s %s', (...args) => {
    expect(mman(args)).toEqual(run(reference, args))
  })

  it('refuses a negative offset before mmap (the C program gets EOVERFLOW from the kernel)', () => {
    expect(run(reference, [file, '-5', '3'])).toMatchObject({ status: 1, stdout: '', stderr: expect.stringMatching(/^mmap: /) })
    expect(mman([file, '-5', '3'])).toEqual({ status: 1, stdout: '', stderr: 'mmap: Invalid argument\n' })
  })

  it('prints the usage line and fails for a wrong argument count', () => {
    const result = mman([file])
    expect(result).toEqual({ status: 1, stdout: '', stderr: 'mman cat file offset [length]\n' })
    expect(run(reference, [file]).status).toBe(1)
  })
})
