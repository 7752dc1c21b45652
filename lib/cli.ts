#!/usr/bin/env node
// The `mman` command.
import { cat } from './commands/cat.js'
import { info } from './commands/info.js'

const usage = `Usage: mman <command> [arguments]

Commands:
  info                        page size, huge page modes and limits of this machine
  cat FILE OFFSET [LENGTH]    print FILE from OFFSET through a private read-only mapping
                              (the mmap(2) man page example, same output and errors)
  help                        this text
`

const commands: Record<string, (argv: string[]) => number> = {
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
  process.exitCode = command(rest)
}
