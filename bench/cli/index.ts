#!/usr/bin/env node
// The `mman` command: finds the command its arguments name, and turns what
// went wrong into one message and an exit status: 2 for a command line it
// cannot run (with that command's usage), 1 for a failure while running.
import { mmanVersion } from '../package.js'
import { UsageError, type Args } from './args.js'
import { commandAt, CommandFailure, dispatch, type Command } from './command.js'
import { bench } from './commands/bench/index.js'
import { cat } from './commands/cat.js'
import { demo } from './commands/demo.js'
import { info } from './commands/info.js'
import { endQuietlyWhenReaderLeaves } from './stdout.js'
import { usage } from './usage.js'

const OPTIONS = { version: { type: 'boolean', short: 'v', help: "mman's version" } } as const

const help: Command = {
  line: {
    summary: "this text, or a command's own",
    options: {},
    operands: { names: '[command [subcommand]]', min: 0, max: 2 },
  },
  run({ operands }) {
    const command = commandAt(mman, operands)
    if (command === undefined)
      throw new UsageError(`no command 'mman ${operands.join(' ')}' (commands: ${Object.keys(COMMANDS).join(', ')})`)
    process.stdout.write(usage(command, ['mman', ...operands]))
    return 0
  },
}

const COMMANDS: Record<string, Command> = { bench, demo, info, cat, help }

const mman: Command<typeof OPTIONS> = {
  line: {
    summary: 'the mman command',
    options: OPTIONS,
    operands: { names: '<command> [arguments]', min: 0, max: Infinity },
    synopsis: ['<command> [arguments]', '--version'],
    notes: 'mman help COMMAND (or mman COMMAND --help) describes its arguments: mman help bench, mman help demo fork.',
  },
  run({ values, operands: [name] }: Args<typeof OPTIONS>) {
    if (values.version === true) {
      if (name !== undefined) throw new UsageError(`--version takes no arguments, not '${name}'`)
      process.stdout.write(`${mmanVersion}\n`)
      return 0
    }
    // A command's name would have been dispatched to it.
    if (name !== undefined) throw new UsageError(`unknown command '${name}'`)
    process.stdout.write(usage(mman, ['mman']))
    return 0
  },
  subcommands: { title: 'Commands', forms: false, commands: COMMANDS },
}

endQuietlyWhenReaderLeaves()

try {
  process.exitCode = await dispatch(mman, ['mman'], process.argv.slice(2))
} catch (failure) {
  const { command, error, usage: commandUsage } = failure as CommandFailure
  if (error instanceof UsageError) {
    process.stderr.write(`${command}: ${error.message}\n\n${commandUsage}`)
    process.exitCode = 2
  } else {
    // A failure while running (a trial that died, a file that cannot be written): its message, not a stack.
    const { message, code } = error as { message?: string; code?: string }
    process.stderr.write(
      `${command}: ${message ?? String(error)}${code !== undefined && !String(message).includes(code) ? ` (${code})` : ''}\n`,
    )
    process.exitCode = 1
  }
}
