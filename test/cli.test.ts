// The `mman` command's surface: version, listings, refusals, --json, a reader that leaves early.
import { spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { SUITES } from '../bench/suites/index.js'
import { readArgs } from '../bench/cli/args.js'
import { bench } from '../bench/cli/commands/bench/index.js'
import { parseResults } from '../bench/report/results-file.js'
import { DEMOS } from '../bench/cli/demos/index.js'
import { fixtureFile } from './bench-fixtures.js'
import { repoRoot, tempDir } from './helpers.js'

function mman(...args: string[]) {
  return mmanIn(repoRoot, ...args)
}

const cli = join(repoRoot, 'dist/bench/cli/index.js')

function mmanIn(cwd: string, ...args: string[]) {
  const child = spawnSync(process.execPath, [cli, ...args], { cwd, encoding: 'utf8', timeout: 60_000 })
  return { status: child.status, stdout: child.stdout, stderr: child.stderr }
}

/** A usage complaint: exit 2, the message and a usage text on stderr, nothing on stdout, no stack. */
function expectRefused(result: ReturnType<typeof mman>, message: RegExp) {
  expect(result.status).toBe(2)
  expect(result.stdout).toBe('')
  expect(result.stderr).toMatch(message)
  expect(result.stderr).toMatch(/\nUsage: mman/)
  expect(result.stderr).not.toMatch(/\n\s+at /)
}

/** A failure that is not about the command line: exit 1, one message, no usage, no stack. */
function expectFailed(result: ReturnType<typeof mman>, message: RegExp) {
  expect(result.status).toBe(1)
  expect(result.stdout).toBe('')
  expect(result.stderr).toMatch(message)
  expect(result.stderr.trim().split('\n')).toHaveLength(1)
}

describe('mman', () => {
  it('--version prints the package version', () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
    expect(mman('--version')).toEqual({ status: 0, stdout: `${version}\n`, stderr: '' })
    expect(mman('-v').stdout).toBe(`${version}\n`)
  })

  it('lists every suite and every demo in its usage, and exits 0', () => {
    for (const args of [[], ['help'], ['--help']]) {
      const result = mman(...args)
      expect(result.status).toBe(0)
      for (const name of [...Object.keys(SUITES), ...Object.keys(DEMOS)]) expect(result.stdout).toContain(name)
    }
  })

  it("prints each command's own usage", () => {
    expect(mman('help', 'bench').stdout).toMatch(/^Usage: mman bench/)
    expect(mman('bench', '--help').stdout).toMatch(/^Usage: mman bench/)
    expect(mman('help', 'demo').stdout).toMatch(/^Usage: mman demo/)
    expect(mman('info', '--help').stdout).toMatch(/^Usage: mman info/)
    expect(mman('help', 'cat').stdout).toMatch(/^Usage: mman cat FILE OFFSET \[LENGTH\]\n/)
    for (const sub of ['seed', 'compare', 'render']) {
      const own = new RegExp(`^Usage: mman bench ${sub} `)
      expect(mman('help', 'bench', sub).stdout).toMatch(own)
      expect(mman('bench', sub, '--help').stdout).toMatch(own)
    }
    expect(mman('help', 'demo', 'fork').stdout).toMatch(/^Usage: mman demo fork \[--private\]\n[\s\S]*\n {2}--json /)
  })

  it('refuses unknown commands and arguments with the usage', () => {
    expectRefused(mman('nope'), /^mman: unknown command 'nope'/)
    expectRefused(mman('help', 'nope'), /^mman help: no command 'mman nope' \(commands: bench, demo, info, cat, help\)/)
    expectRefused(mman('--version', 'x'), /--version takes no arguments/)
    expectRefused(mman('info', 'extra'), /^mman info: takes no arguments, not 'extra'/)
    expectRefused(mman('info', '--nope'), /^mman info: unknown option --nope/)
    expectRefused(mman('bench', 'nope'), /^mman bench: unknown suite 'nope'/)
    expectRefused(mman('bench', '--nope'), /^mman bench: unknown option --nope/)
    expectRefused(mman('bench', '--reps'), /^mman bench: --reps needs a value/)
    expectRefused(mman('bench', '--reps', '0'), /^mman bench: --reps takes a positive integer, not '0'/)
    expectRefused(mman('bench', '--reps', '-5'), /^mman bench: --reps takes a positive integer, not '-5'/)
    expectRefused(
      mman('bench', '--sizes', '1,x'),
      /^mman bench: --sizes takes a comma-separated list of positive numbers, not '1,x'/,
    )
    expectRefused(mman('bench', '--json='), /^mman bench: --json needs a value/)
    expectRefused(mman('bench', '--quick=yes'), /^mman bench: --quick takes no value/)
    expectRefused(mman('bench', '-5'), /^mman bench: unknown option -5/)
    expectRefused(
      mman('bench', 'seed', '5', '6'),
      /^mman bench seed: takes \[MB\], not 2 arguments\n\nUsage: mman bench seed /,
    )
    expectRefused(mman('bench', 'seed', '--quick'), /^mman bench seed: unknown option --quick/)
    expectRefused(mman('bench', 'seed', '3000'), /^mman bench seed: takes a size in MB from 1 to 2047/)
    expectRefused(mman('cat', 'package.json'), /^mman cat: takes FILE OFFSET \[LENGTH\], not 1 argument/)
    expectRefused(mman('cat', 'package.json', 'abc'), /^mman cat: OFFSET 'abc' is not a byte count/)
  })
})

describe('mman demo', () => {
  it('lists the demos with their arguments and exits 0, as text or JSON', () => {
    const text = mman('demo')
    expect(text.status).toBe(0)
    for (const name of Object.keys(DEMOS)) expect(text.stdout).toMatch(new RegExp(`\\n  ${name}\\b`))
    expect(text.stdout).toMatch(/fork \[--private\]/)
    const list = JSON.parse(mman('demo', '--json').stdout) as { name: string; arguments: string; summary: string }[]
    expect(list.map((d) => d.name)).toEqual(Object.keys(DEMOS))
    expect(list.find((d) => d.name === 'jit')?.arguments).toBe('[A B]')
  })

  it('refuses unknown demos and arguments a demo does not take', () => {
    expectRefused(mman('demo', 'nope'), /^mman demo: unknown demo 'nope'/)
    expectRefused(
      mman('demo', 'vma-split', 'extra'),
      /^mman demo vma-split: takes no arguments, not 'extra'\n\nUsage: mman demo vma-split\n/,
    )
    expectRefused(mman('demo', 'fork', '--shared'), /^mman demo fork: unknown option --shared/)
    expectRefused(mman('demo', 'jit', '1', 'x'), /^mman demo jit: 'x' is not an integer/)
    expectRefused(mman('demo', 'jit', '1', '2', '3'), /^mman demo jit: takes \[A B\], not 3 arguments/)
    expectRefused(mman('demo', 'jit', '4294967296'), /not an integer from -2147483648 to 2147483647/)
    expectRefused(mman('demo', 'vma-split', '-5'), /^mman demo vma-split: unknown option -5/)
  })
})

describe('mman info', () => {
  it('--json prints what the text shows, as JSON', () => {
    const result = mman('info', '--json')
    expect(result.status).toBe(0)
    const data = JSON.parse(result.stdout)
    expect(data).toMatchObject({
      node: process.version,
      arch: process.arch,
      pageSize: expect.any(Number),
      PROT: { READ: 1 },
    })
    const text = mman('info').stdout
    expect(text).toContain(`page size         ${data.pageSize} bytes`)
    expect(text).toContain(`max_map_count     ${data.maxMapCount}`)
  })
})

// A directory for what the commands read and write, with two saved runs for compare and render.
const { dir, cleanup } = tempDir()
afterAll(cleanup)
const a = join(dir, 'a.json')
const b = join(dir, 'b.json')
writeFileSync(a, JSON.stringify(fixtureFile()))
writeFileSync(b, JSON.stringify(fixtureFile({ zeroingScale: 0.5, node: 'v24.1.0' })))

describe('mman bench outputs, compare and render', () => {
  it('checks output paths before running anything', () => {
    const started = Date.now()
    expectRefused(
      mman('bench', '--json', '/nonexistent/x.json'),
      /^mman bench: --json \/nonexistent\/x\.json: directory \/nonexistent does not exist/,
    )
    expect(Date.now() - started).toBeLessThan(10_000)
    expectRefused(mman('bench', 'zeroing', '--json', dir), /--json .*: that is a directory; --json takes a file name/)
    expectRefused(
      mman('bench', '--svg', join(dir, 'z.svg')),
      /--svg takes a directory \(files are written as .*z\/bench-<suite>\.svg\), not a file name/,
    )
    expectRefused(mman('bench', '--report', a), /--report .*a\.json: exists and is not a directory/)
    expectRefused(
      mman('bench', '--report', join(dir, 'page.html')),
      /--report takes a directory \(files are written as .*page\/report\.html\), not a file name/,
    )
  })

  it('renders a saved run: the report on stdout, one chart per suite by the naming rule, the page, each file named', () => {
    const charts = join(dir, 'charts')
    const report = join(dir, 'report')
    const result = mman('bench', 'render', a, '--svg', charts, '--report', report)
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(
      /^# mman benchmarks\n\n2 × Test CPU, 8\.0 GiB, Linux 6\.18\.0-test \(x64\), THP madvise, glibc 2\.36, Node v20\.20\.2, mman 0\.1\.0; recorded 2026-01-02T03:04:05\.000Z/,
    )
    for (const suite of Object.keys(SUITES)) {
      expect(result.stderr).toContain(`wrote ${join(charts, `bench-${suite}.svg`)} (${suite} chart)`)
      expect(readFileSync(join(charts, `bench-${suite}.svg`), 'utf8')).toMatch(/^<svg /)
    }
    expect(result.stderr).toContain(`wrote ${join(report, 'report.html')} (`)
    expect(readFileSync(join(report, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/)
    expect(parseResults(readFileSync(join(report, 'results.json'), 'utf8'), 'results.json').suites).toHaveLength(5)
  })

  it('compares two runs row by row, as markdown or JSON', () => {
    const result = mman('bench', 'compare', a, b)
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(/^# mman bench compare\n/)
    expect(result.stdout).toContain(
      '| B mmap private anon + memset(1), 100 MiB | 60.0 ms [57.0 ms–63.0 ms] | 30.0 ms [28.5 ms–31.5 ms] | 0.500× | 2.00× faster |',
    )
    const json = JSON.parse(mman('bench', 'compare', a, b, '--json').stdout)
    expect(json.counts.faster).toBeGreaterThan(0)
  })

  it('refuses files it cannot compare or render, with a message and exit 1', () => {
    const corrupt = join(dir, 'corrupt.json')
    writeFileSync(corrupt, '{"format": "mman-bench-results", ')
    const legacy = join(dir, 'legacy.json')
    writeFileSync(
      legacy,
      JSON.stringify([{ suite: 'zeroing', mode: 'calloc', reps: 1, minMs: 1, medianMs: 1, maxMs: 1 }]),
    )
    const quick = join(dir, 'quick.json')
    writeFileSync(quick, JSON.stringify(fixtureFile({ quick: true })))
    expectFailed(mman('bench', 'compare', a, corrupt), /^mman bench compare: .*corrupt\.json is not JSON/)
    expectFailed(mman('bench', 'compare', legacy, a), /legacy\.json is a bare list of rows/)
    expectFailed(mman('bench', 'compare', a, join(dir, 'missing.json')), /missing\.json does not exist/)
    expectFailed(mman('bench', 'compare', quick, a), /quick\.json is a --quick smoke run and .*a\.json a full run/)
    expectFailed(mman('bench', 'render', corrupt), /corrupt\.json is not JSON/)
    expectRefused(mman('bench', 'compare', a), /^mman bench compare: takes A\.json B\.json, not 1 argument/)
    expectRefused(mman('bench', 'compare', a, b, '--quick'), /^mman bench compare: unknown option --quick/)
    expectRefused(mman('bench', 'render', a, '--quick'), /^mman bench render: unknown option --quick/)
    expectRefused(mman('bench', 'render', a, b), /^mman bench render: takes RUN\.json, not 2 arguments/)
  })
})

describe('a reader that stops reading ends the command quietly, with status 0', () => {
  const big = join(dir, 'big')
  writeFileSync(big, Buffer.alloc(4 << 20, 'line\n'))

  /**
   * Runs mman with a stdout whose reader closes it, as `| head -1` does: at once (before the
   * command writes anything), or after the first line. Resolves once the command, and every
   * process it started that holds its stderr (a demo's children), has ended.
   */
  async function readerLeaves(args: string[], when: 'at once' | 'after a line') {
    const child = spawn(process.execPath, [cli, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    const killer = setTimeout(() => child.kill('SIGKILL'), 50_000)
    let received = ''
    if (when === 'at once') child.stdout.destroy()
    else {
      child.stdout.setEncoding('latin1')
      child.stdout.on('data', (chunk: string) => {
        received += chunk
        if (received.includes('\n')) child.stdout.destroy()
      })
    }
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const [[status, signal]] = await Promise.all([once(child, 'exit'), once(child.stderr, 'close')])
    clearTimeout(killer)
    return { status, signal, stderr, firstLine: received.split('\n')[0] }
  }

  const commands = [
    [],
    ['--version'],
    ['help', 'cat'],
    ['info'],
    ['info', '--json'],
    ['demo'],
    ['demo', '--json'],
    ...Object.keys(DEMOS).map((name) => ['demo', name]),
    ['demo', 'fork', '--private'],
    ['demo', 'ipc', '--json'],
    ['cat', big, '0'],
    ['bench', 'render', a],
    ['bench', 'compare', a, b],
    ['bench', 'seed', '1'],
    ['bench', 'zeroing', '--quick', '--reps', '1', '--sizes', '1'],
  ]
  it.each(commands.map((args) => [args.join(' ').replaceAll(dir, '…'), args] as const))(
    'mman %s',
    async (_name, args) => {
      const [atOnce, afterLine] = await Promise.all([readerLeaves(args, 'at once'), readerLeaves(args, 'after a line')])
      expect(atOnce).toEqual({ status: 0, signal: null, stderr: '', firstLine: '' })
      expect(afterLine).toEqual({ status: 0, signal: null, stderr: '', firstLine: expect.stringMatching(/./) })
    },
  )

  it('in a shell pipeline into head, with pipefail on', () => {
    for (const [args, lines] of [
      ['demo ipc', 2],
      ['demo fork', 1],
      [`cat '${big}' 0`, 1],
    ] as const) {
      const line = `set -o pipefail; '${process.execPath}' '${cli}' ${args} | head -${lines}`
      const result = spawnSync('bash', ['-c', line], { encoding: 'utf8', timeout: 60_000 })
      expect(
        { status: result.status, stderr: result.stderr, lines: result.stdout.split('\n').length - 1 },
        args,
      ).toEqual({ status: 0, stderr: '', lines })
    }
  })
})

describe("README's mman examples", () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8')
  const sections = readme.slice(readme.indexOf('## The main job: benchmarks'), readme.indexOf('## Documentation'))
  const commands = [...sections.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((block) => block[1]!.split('\n'))
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line.startsWith('npx mman'))
    .map((line) => line.split(/\s+/).slice(2))
  const synopsis = (args: string[]) => args.some((arg) => /^\[|^[A-Z]{2,}/.test(arg))
  const benchRun = (args: string[]) => args[0] === 'bench' && !['compare', 'render', 'seed'].includes(args[1] ?? '')

  it('name only suites and options that exist, for the benchmark runs', () => {
    const runs = commands.filter((args) => benchRun(args) && !synopsis(args))
    expect(runs.length).toBeGreaterThanOrEqual(2)
    for (const args of runs) {
      const { operands } = readArgs(bench.line, args.slice(1))
      expect(operands.filter((word) => !Object.hasOwn(SUITES, word))).toEqual([])
    }
  })

  it('run as written, the others (with a saved run at hand for compare and render)', () => {
    const { dir, cleanup } = tempDir()
    try {
      mkdirSync(join(dir, 'out'))
      writeFileSync(join(dir, 'out', 'results.json'), JSON.stringify(fixtureFile()))
      for (const name of ['theirs.json', 'A.json', 'B.json'])
        writeFileSync(join(dir, name), JSON.stringify(fixtureFile({ zeroingScale: 0.8 })))
      const runnable = commands.filter((args) => !benchRun(args) && !synopsis(args))
      expect(runnable.length).toBeGreaterThanOrEqual(7)
      for (const args of runnable) {
        const result = mmanIn(dir, ...args)
        expect(result.status, `mman ${args.join(' ')}: ${result.stderr}`).toBe(0)
      }
    } finally {
      cleanup()
    }
  })
})
