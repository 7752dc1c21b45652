// `mman cat` against the seed's C program itself, compiled here: the same bytes
// and exit status, and its message after "mman cat: FILE: ", wherever the C
// program is right; and each place it is not (docs/guide.md lists them).
import { execFileSync, spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { closeSync, openSync, readFileSync, truncateSync, writeFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { repoRoot, tempDir } from './helpers.js'

const { dir, cleanup } = tempDir()
afterAll(cleanup)

const reference = join(dir, 'mmap_example2')
execFileSync('cc', ['-O2', '-o', reference, join(repoRoot, 'test/fixtures/mmap_example2.c')])

const cli = join(repoRoot, 'dist/bench/cli/index.js')
const file = join(dir, 'text.txt')
writeFileSync(
  file,
  Buffer.concat([Buffer.from('line one\nline two\n'), Buffer.alloc(5000, 'x'), Buffer.from('\nthe end\n')]),
)
const size = 18 + 5000 + 9

const run = (command: string, args: string[], options: SpawnSyncOptions = {}) => {
  const result = spawnSync(command, args, { timeout: 60_000, ...options, encoding: 'buffer' })
  return { status: result.status, stdout: result.stdout.toString('latin1'), stderr: result.stderr.toString() }
}
const mman = (args: string[]) => run(process.execPath, [cli, 'cat', ...args])
/** A shell command line that runs `mman cat` with these arguments. */
const mmanLine = (args: string[]) => [process.execPath, cli, 'cat', ...args].map((word) => `'${word}'`).join(' ')

describe('mman cat (seed: mmap example II), where the C program is right', () => {
  /** Each case as [its name in the test title, its arguments]. */
  const named = (cases: string[][]) => cases.map((args) => [args.join(' ').replace(dir, '…'), args] as const)

  it.each(
    named([
      [file, '0'],
      [file, '5'],
      [file, '5', '4'],
      [file, '4095', '3'],
      [file, '4096'],
      [file, '4100', '100000'],
      [file, String(size - 1)],
      [file, '3', '0'],
      [file, '007', '2'],
    ]),
  )('prints what it prints, and exits 0: %s', (_name, args) => {
    const c = run(reference, args)
    expect(c.status).toBe(0)
    expect(mman(args)).toEqual(c)
  })

  it.each(
    named([
      [file, String(size)],
      [file, '999999'],
      [join(dir, 'missing'), '0'],
      [dir, '0'],
      ['/dev/null', '0'],
    ]),
  )('fails as it fails, with its message after "mman cat: FILE: ": %s', (_name, args) => {
    const c = run(reference, args)
    expect(c.status).toBe(1)
    expect(mman(args)).toEqual({ ...c, stderr: `mman cat: ${args[0]}: ${c.stderr}` })
  })
})

describe('mman cat, where the C program is wrong', () => {
  /** A usage error: exit 2, the complaint, then the usage. */
  const usageError = (result: ReturnType<typeof mman>, complaint: string) => {
    expect(result.status).toBe(2)
    expect(result.stdout).toBe('')
    const [first, usage] = result.stderr.split('\n\n')
    expect(first).toBe(`mman cat: ${complaint}`)
    expect(usage).toBe('Usage: mman cat FILE OFFSET [LENGTH]')
  }
  const notByteCount = (name: string, text: string) => `${name} '${text}' is not a byte count (a whole number from 0)`

  it('refuses an OFFSET or LENGTH that is not a decimal byte count (atoi() read "abc" as 0, "12abc" as 12)', () => {
    expect(run(reference, [file, 'abc', '4']).stdout).toBe('line')
    expect(run(reference, [file, '12abc', '2xyz']).stdout).toBe('e ')
    for (const text of ['abc', '12abc', '1.5', '0x10', '', ' 5', '+5', '1e3']) {
      usageError(mman([file, text]), notByteCount('OFFSET', text))
      usageError(mman([file, '0', text]), notByteCount('LENGTH', text))
    }
  })

  it('refuses a negative OFFSET or LENGTH as a usage error (the C program handed it to mmap)', () => {
    expect(run(reference, [file, '-5', '3'])).toMatchObject({
      status: 1,
      stdout: '',
      stderr: 'mmap: Value too large for defined data type\n',
    })
    expect(run(reference, [file, '1', '-1'])).toMatchObject({
      status: 1,
      stdout: '',
      stderr: 'mmap: Invalid argument\n',
    })
    usageError(mman([file, '-5', '3']), notByteCount('OFFSET', '-5'))
    usageError(mman([file, '1', '-1']), notByteCount('LENGTH', '-1'))
  })

  it('refuses a wrong argument count, or an option, with the usage and exit 2 (the C program exits 1)', () => {
    expect(run(reference, [file])).toMatchObject({ status: 1, stderr: `${reference} file offset [length]\n` })
    usageError(mman([file]), 'takes FILE OFFSET [LENGTH], not 1 argument')
    usageError(mman([]), 'takes FILE OFFSET [LENGTH], not 0 arguments')
    usageError(mman([file, '1', '2', '3']), 'takes FILE OFFSET [LENGTH], not 4 arguments')
    usageError(mman(['--nope', file, '1']), 'unknown option --nope')
    usageError(mman(['-5', file]), 'unknown option -5')
  })

  it('prints its usage for --help, and reads a file named like an option after --', () => {
    expect(mman(['--help'])).toMatchObject({
      status: 0,
      stdout: expect.stringMatching(/^Usage: mman cat FILE OFFSET \[LENGTH\]\n/),
      stderr: '',
    })
    const dashed = join(dir, '-x')
    writeFileSync(dashed, 'dash')
    expect(run(process.execPath, [cli, 'cat', '--', '-x', '1'], { cwd: dir })).toEqual({
      status: 0,
      stdout: 'ash',
      stderr: '',
    })
  })

  it('prints nothing for a LENGTH of 0 at any offset (the C program asked mmap for 0 bytes at a page boundary: EINVAL)', () => {
    expect(run(reference, [file, '4096', '0'])).toMatchObject({ status: 1, stderr: 'mmap: Invalid argument\n' })
    expect(mman([file, '4096', '0'])).toEqual({ status: 0, stdout: '', stderr: '' })
    expect(mman([file, '0', '0'])).toEqual({ status: 0, stdout: '', stderr: '' })
  })

  it("refuses a FIFO at once with mmap's ENODEV (the C program waits in open() for a writer, forever)", () => {
    const fifo = join(dir, 'fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const c = spawnSync(reference, [fifo, '0'], { timeout: 1000 })
    expect(c.signal).toBe('SIGTERM')
    const result = spawnSync(process.execPath, [cli, 'cat', fifo, '0'], { timeout: 30_000, encoding: 'utf8' })
    expect({ status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr }).toEqual({
      status: 1,
      signal: null,
      stdout: '',
      stderr: `mman cat: ${fifo}: mmap: No such device\n`,
    })
  })

  it('ends quietly with status 0 when its reader stops reading (the C program dies of SIGPIPE: 141 in the shell)', () => {
    const more = join(dir, 'more-than-a-pipe-holds')
    writeFileSync(more, Buffer.alloc(4 << 20, 'x'))
    const writerStatus = (command: string) =>
      run('bash', ['-c', `${command} | head -c 1 > /dev/null; echo "\${PIPESTATUS[0]}"`])
    expect(writerStatus(`'${reference}' '${more}' 0`)).toEqual({ status: 0, stdout: '141\n', stderr: '' })
    expect(writerStatus(mmanLine([more, '0']))).toEqual({ status: 0, stdout: '0\n', stderr: '' })
  })

  it('keeps writing after a short write, and names a write that fails (the C program said "partial write")', () => {
    // A file size limit of 4 KiB (bash's ulimit -f counts KiB): write() stores what fits and
    // returns that count, the next write fails with EFBIG. Node ignores SIGXFSZ; the C program
    // is killed by it unless it is ignored too.
    const out = join(dir, 'limited.out')
    const c = run('bash', ['-c', `ulimit -f 4; trap '' XFSZ; exec '${reference}' '${file}' 0 > '${out}'`])
    expect(c).toMatchObject({ status: 1, stderr: 'partial write' })
    const result = run('bash', ['-c', `ulimit -f 4; exec ${mmanLine([file, '0'])} > '${out}'`])
    expect(result).toEqual({ status: 1, stdout: '', stderr: 'mman cat: stdout: write: File too large\n' })
    expect(readFileSync(out, 'latin1')).toBe(readFileSync(file, 'latin1').slice(0, 4096))
  })
})

describe('mman cat past 2 GiB and 4 GiB (the C program read offsets and lengths as int)', () => {
  // A sparse file of 6 GiB + 8 KiB with a marker at 2 GiB - 3, at 4 GiB and at its end.
  const sparse = join(dir, 'sparse')
  const GiB = 2 ** 30
  const sparseSize = 6 * GiB + 8192
  const markers = new Map([
    [2 * GiB - 3, 'two'],
    [4 * GiB, 'four'],
    [sparseSize - 3, 'end'],
  ])
  writeFileSync(sparse, '')
  truncateSync(sparse, sparseSize)
  const fd = openSync(sparse, 'r+')
  for (const [position, text] of markers) writeSync(fd, text, position)
  closeSync(fd)

  it('prints from an offset past 2^31 and 2^32 (the C program printed from offset 0, or failed)', () => {
    expect(run(reference, [sparse, String(4 * GiB), '4']).stdout).toBe('\0\0\0\0')
    expect(run(reference, [sparse, String(2 * GiB), '4']).status).toBe(1)
    expect(mman([sparse, String(4 * GiB), '4'])).toEqual({ status: 0, stdout: 'four', stderr: '' })
    expect(mman([sparse, String(sparseSize - 3)])).toEqual({ status: 0, stdout: 'end', stderr: '' })
    expect(mman([sparse, String(sparseSize - 3), String(2 ** 64)])).toEqual({ status: 0, stdout: 'end', stderr: '' })
    expect(mman([sparse, String(sparseSize)]).stderr).toBe(`mman cat: ${sparse}: offset is past end of file\n`)
  })

  it('prints a LENGTH past 2^31 whole, through a pipe (the C program: ENOMEM, or "partial write" after 2 GiB - 4 KiB)', async () => {
    const offset = 2 * GiB - 3
    const length = 4 * GiB + 10 - offset // from 2^31 - 3 to past 2^32: 2^31 + 13 bytes
    // atoi() made the length negative, and size_t made that huge; without a length, write() moved less than asked.
    expect(run(reference, [sparse, String(offset), String(length)])).toMatchObject({
      status: 1,
      stderr: 'mmap: Cannot allocate memory\n',
    })
    const toEnd = spawnSync(reference, [sparse, '0'], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' })
    expect({ status: toEnd.status, stderr: toEnd.stderr }).toEqual({ status: 1, stderr: 'partial write' })
    const child = spawn(process.execPath, [cli, 'cat', sparse, String(offset), String(length)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let count = 0
    const seen = new Map<number, string>()
    child.stdout.on('data', (chunk: Buffer) => {
      // The bytes of each marker this chunk holds (a marker may straddle two chunks).
      for (const [position, text] of markers) {
        const from = Math.max(position, offset + count)
        const to = Math.min(position + text.length, offset + count + chunk.length)
        if (from < to)
          seen.set(
            position,
            (seen.get(position) ?? '') + chunk.toString('latin1', from - offset - count, to - offset - count),
          )
      }
      count += chunk.length
    })
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const status = await new Promise((resolve) => child.on('close', resolve))
    expect({ status, stderr, count }).toEqual({ status: 0, stderr: '', count: length })
    expect(seen).toEqual(
      new Map([
        [2 * GiB - 3, 'two'],
        [4 * GiB, 'four'],
      ]),
    )
  }, 180_000)
})

describe('mman cat writes all of its output, whatever stdout is', () => {
  const big = join(dir, 'big')
  const content = randomBytes(10_000_000)
  writeFileSync(big, content)
  const digest = (bytes: Buffer) => ({ bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') })
  const whole = digest(content)
  const shell = (line: string) => {
    const result = spawnSync('sh', ['-c', line], { timeout: 60_000, maxBuffer: 64 << 20 })
    expect(result.stderr.toString()).toBe('')
    expect(result.status).toBe(0)
    return digest(result.stdout)
  }

  it('a pipe whose reader starts late', () => {
    expect(shell(`${mmanLine([big, '0'])} | (sleep 0.5; cat)`)).toEqual(whole)
    expect(shell(`${mmanLine([big, '12345', '9000000'])} | (sleep 0.5; cat)`)).toEqual(
      digest(content.subarray(12345, 12345 + 9_000_000)),
    )
  })

  it('a FIFO whose reader starts late', () => {
    const fifo = join(dir, 'out-fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    expect(shell(`${mmanLine([big, '0'])} > '${fifo}' & sleep 0.5; cat '${fifo}'; wait $!`)).toEqual(whole)
  })

  it("a socket whose reader starts late (a parent's stdio pipe is a socketpair)", async () => {
    const child = spawn(process.execPath, [cli, 'cat', big, '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
    await new Promise((resolve) => setTimeout(resolve, 500))
    const chunks: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const status = await new Promise((resolve) => child.on('close', resolve))
    expect({ status, stderr, ...digest(Buffer.concat(chunks)) }).toEqual({ status: 0, stderr: '', ...whole })
  })

  it('a file, and /dev/null', () => {
    const out = join(dir, 'copy')
    expect(shell(`${mmanLine([big, '0'])} > '${out}'`)).toEqual(digest(Buffer.alloc(0)))
    expect(digest(readFileSync(out))).toEqual(whole)
    expect(shell(`${mmanLine([big, '0'])} > /dev/null`)).toEqual(digest(Buffer.alloc(0)))
  })

  const hasScript = spawnSync('script', ['--version']).status === 0
  it.skipIf(!hasScript)('a terminal (a pseudo-terminal from script(1))', () => {
    // Bytes a terminal passes through unchanged ('x', no newline).
    const xs = join(dir, 'xs')
    writeFileSync(xs, Buffer.alloc(1_000_000, 'x'))
    const result = spawnSync('script', ['-q', '-e', '-c', mmanLine([xs, '0']), '/dev/null'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    })
    expect(result.status).toBe(0)
    expect(digest(result.stdout)).toEqual(digest(readFileSync(xs)))
  })
})

describe("the guide's mman cat transcript", () => {
  it('prints what the guide shows, command by command', () => {
    const guide = readFileSync(join(repoRoot, 'docs/guide.md'), 'utf8')
    const block = [...guide.matchAll(/```sh\n([\s\S]*?)```/g)]
      .map((match) => match[1]!)
      .find((text) => text.includes('$ npx mman cat'))
    // The guide's files are in /tmp; the test's, in its own directory.
    const here = (text: string) => text.replaceAll('/tmp/', `${dir}/`)
    const steps = block!
      .split(/^\$ /m)
      .slice(1)
      .map((step) => {
        const [command, ...printed] = step.trimEnd().split('\n')
        return {
          command: here(command!).replace(/^npx mman /, `'${process.execPath}' '${cli}' `),
          printed: printed.map((line) => `${here(line)}\n`).join(''),
        }
      })
    expect(steps.filter((step) => step.command.includes(' cat ')).length).toBeGreaterThanOrEqual(3)
    for (const { command, printed } of steps) {
      const result = spawnSync('sh', ['-c', command], { encoding: 'utf8', timeout: 60_000 })
      expect(result.stdout + result.stderr, command).toBe(printed)
    }
  })
})
