#!/usr/bin/env node
// The `mman` command.
import { bench, benchUsage } from './commands/bench/run.js'
import { SUITES } from '../suites/index.js'
import { mmanVersion } from '../package.js'
import { UsageError } from './args.js'
import { cat, catUsage } from './commands/cat.js'
import { info, infoUsage } from './commands/info.js'
import { demo, demoUsage, DEMOS } from './demos/index.js'
import { endQuietlyWhenReaderLeaves } from './stdout.js'

const usage = () => `Usage: mman <command> [arguments]
       mman --version

Commands:
  bench [suite ...] [options]   run benchmark suites: ${Object.keys(SUITES).join(', ')} (default: all)
  bench seed [MB] [--explain]   the seed blog's program output, measured by mman's kernels
  bench compare A.json B.json   per row, B's time over A's: two machines, kernels or versions
  bench render RUN.json         a saved run's report again, with its charts and HTML page
  demo [name] [--json]          the seeds' lessons as runnable demos (no name: list them):
                                ${Object.keys(DEMOS).join(', ')}
  info [--json]                 page size, huge page modes and limits of this machine
  cat FILE OFFSET [LENGTH]      print FILE from OFFSET through a private read-only mapping
                                (the mmap(2) man page example)
  help [command]                this text, or a command's own

mman help bench, mman help demo, mman help info and mman help cat describe their arguments.
`

const COMMAND_USAGE: Record<string, () => string> = {
  bench: () => benchUsage,
  demo: demoUsage,
  info: () => infoUsage,
  cat: () => catUsage,
}

function help(argv: string[]): number {
  if (argv.length === 0) {
    process.stdout.write(usage())
    return 0
  }
  const [name, ...extra] = argv
  const text = COMMAND_USAGE[name!]
  if (text === undefined || extra.length > 0) throw new UsageError(`help takes one command name (${Object.keys(COMMAND_USAGE).join(', ')}), not '${argv.join(' ')}'`, usage())
  process.stdout.write(text())
  return 0
}

const COMMANDS: Record<string, (argv: string[]) => number | Promise<number>> = {
  bench,
  demo,
  info,
  cat,
  help,
}

async function main(argv: string[]): Promise<number> {
  const [name = 'help', ...rest] = argv
  if (name === '--version' || name === '-v') {
    if (rest.length > 0) throw new UsageError(`--version takes no arguments, not '${rest.join(' ')}'`, usage())
    process.stdout.write(`${mmanVersion}\n`)
    return 0
  }
  const command = name === '--help' || name === '-h' ? help : Object.hasOwn(COMMANDS, name) ? COMMANDS[name]! : undefined
  if (command === undefined) throw new UsageError(`unknown command '${name}'`, usage())
  return command(rest)
}

endQuietlyWhenReaderLeaves()

try {
  process.exitCode = await main(process.argv.slice(2))
} catch (error) {
  const command = process.argv[2] !== undefined && Object.hasOwn(COMMANDS, process.argv[2]) ? `mman ${process.argv[2]}` : 'mman'
  if (error instanceof UsageError) {
    process.stderr.write(`${command}: ${error.message}\n${error.usage === undefined ? '' : `\n${error.usage}`}`)
    process.exitCode = 2
  } else {
    // A failure while running (a trial that died, a file that cannot be written): its message, not a stack.
    const { message, code } = error as { message?: string; code?: string }
    process.stderr.write(`${command}: ${message ?? String(error)}${code !== undefined && !String(message).includes(code) ? ` (${code})` : ''}\n`)
    process.exitCode = 1
  }
}
