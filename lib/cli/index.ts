#!/usr/bin/env node
// The `mman` command.
import { bench, benchUsage } from '../../bench/index.js'
import { cat } from './commands/cat.js'
import { demo } from './demos/index.js'
import { info } from './commands/info.js'

const usage = `Usage: mman <command> [arguments]

Commands:
  bench [suite] [options]     benchmark suites: zeroing, file, overhead, seed (mman bench --help)
  demo <name> [--json]        the seeds' lessons as runnable demos (mman demo lists them)
  info                        page size, huge page modes and limits of this machine
  cat FILE OFFSET [LENGTH]    print FILE from OFFSET through a private read-only mapping
                              (the mmap(2) man page example, same output and errors)
  help                        this text
`

const commands: Record<string, (argv: string[]) => number | Promise<number>> = {
  bench: (argv) => (argv.includes('--help') ? (process.stdout.write(benchUsage), 0) : bench(argv)),
  demo: (argv) => demo(argv),
  info: () => info(),
  cat: (argv) => cat(argv),
  help: () => {
    process.stdout.write(usage)
    return 0
  },
}

const [name = 'help', ...rest] = process.argv.slice(2)
const command = commands[name === '--help' || name === '-h' ? 'help' : name]
if (command === undefined) {
  process.stderr.write(`mman: unknown command '${name}'\n\n${usage}`)
  process.exitCode = 2
} else {
  process.exitCode = await command(rest)
}
