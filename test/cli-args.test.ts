// The command line of every mman command: one table read by parseArgs, and
// the usage made from it (the commands themselves: cli.test.ts).
import { describe, expect, it } from 'vitest'
import { readArgs, UsageError, type CommandLine } from '../bench/cli/args.js'
import { usage } from '../bench/cli/usage.js'

const line = {
  summary: 'adds numbers',
  options: {
    quick: { type: 'boolean', help: 'be quick' },
    out: { type: 'string', value: 'FILE', help: 'write to FILE\nor nowhere' },
  },
  operands: { names: 'NAME [A B]', min: 1, max: 3, numbers: [1, 2] },
} as const satisfies CommandLine

const refused = (argv: string[]) => {
  try {
    readArgs(line, argv)
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError)
    return (error as Error).message
  }
  throw new Error(`accepted ${argv.join(' ')}`)
}

describe('readArgs', () => {
  it('reads options anywhere, values inline or after, and operands in order', () => {
    expect(readArgs(line, ['x', '--quick', '--out', 'o.json', '1'])).toEqual({
      values: { quick: true, out: 'o.json' },
      operands: ['x', '1'],
      argv: ['x', '--quick', '--out', 'o.json', '1'],
    })
    expect(readArgs(line, ['--out=o.json', 'x']).values).toEqual({ out: 'o.json' })
  })

  it('refuses unknown options, missing or unwanted values, and operands too few or too many', () => {
    expect(refused(['x', '--nope'])).toBe('unknown option --nope')
    expect(refused(['x', '-q'])).toBe('unknown option -q')
    expect(refused(['x', '--out'])).toBe('--out needs a value')
    expect(refused(['x', '--out', '--quick'])).toBe('--out needs a value')
    expect(refused(['x', '--out='])).toBe('--out needs a value')
    expect(refused(['x', '--quick=1'])).toBe('--quick takes no value')
    expect(refused([])).toBe('takes NAME [A B], not 0 arguments')
    expect(refused(['x', '1', '2', '3'])).toBe('takes NAME [A B], not 4 arguments')
    expect(refused(['x', '--help', '--nope'])).toBe('unknown option --nope')
    const none = { ...line, operands: { names: '', min: 0, max: 0 } }
    expect(() => readArgs(none, ['a', 'b'])).toThrow("takes no arguments, not 'a b'")
  })

  it('takes a negative number as a number only where the command takes one, and anything after -- as an operand', () => {
    expect(readArgs(line, ['x', '-5', '-2.5']).operands).toEqual(['x', '-5', '-2.5'])
    expect(refused(['-5', 'x'])).toBe('unknown option -5')
    expect(readArgs(line, ['--out', '-1', 'x']).values.out).toBe('-1')
    expect(readArgs(line, ['--', '--quick', '-5']).operands).toEqual(['--quick', '-5'])
  })

  it('skips the operand count for --help', () => {
    expect(readArgs(line, ['-h']).values.help).toBe(true)
  })
})

describe('usage', () => {
  it('is made from the table: the forms, then each option with its value and help, --help last', () => {
    expect(usage({ line, run: () => 0 }, ['mman', 'add'])).toBe(
      'Usage: mman add NAME [A B] [--quick] [--out FILE]\n\n' +
        'Options:\n' +
        '  --quick     be quick\n' +
        '  --out FILE  write to FILE\n' +
        '              or nowhere\n' +
        '  -h, --help  this text\n',
    )
  })
})
