// A command of the mman command: its command line (args.ts), what it runs,
// and its subcommands (`mman bench compare`, `mman demo fork`). Dispatch
// finds the command an argv names, reads its arguments, and runs it, or
// prints its usage for --help.
import { readArgs, UsageError, type Args, type CommandLine, type Options } from './args.js'
import { usage } from './usage.js'

export interface Command<O extends Options = Options> {
  line: CommandLine<O>
  run(args: Args<O>): number | Promise<number>
  subcommands?: Subcommands
}

interface Subcommands {
  /** The heading of their list in the command's usage: "Other forms", "Demos". */
  title: string
  /** Whether their forms join the command's own at the top of its usage (they are forms of it, as `bench compare` is). */
  forms: boolean
  commands: Record<string, Command>
}

/** An error from a command, with the command it came from ("mman bench compare") and, for a UsageError, its usage. */
export class CommandFailure extends Error {
  constructor(
    readonly command: string,
    readonly error: unknown,
    readonly usage?: string,
  ) {
    super((error as Error).message)
  }
}

/** The subcommand an argv names: its first argument that is not an option (and not after --). */
function subcommandOf(command: Command, argv: string[]): { name: string; at: number } | undefined {
  const at = argv.findIndex((arg) => arg === '--' || !arg.startsWith('-'))
  const name = argv[at]
  const commands = command.subcommands?.commands
  return at >= 0 && name !== '--' && commands !== undefined && Object.hasOwn(commands, name!)
    ? { name: name!, at }
    : undefined
}

/** The command `path` names below `root` (['bench', 'compare']), or undefined. */
export function commandAt(root: Command, path: string[]): Command | undefined {
  let command: Command | undefined = root
  for (const name of path) {
    const commands: Record<string, Command> | undefined = command?.subcommands?.commands
    command = commands !== undefined && Object.hasOwn(commands, name) ? commands[name] : undefined
  }
  return command
}

/** Runs the command that argv names below `command` (whose own name is `path`); throws a CommandFailure. */
export async function dispatch(command: Command, path: string[], argv: string[]): Promise<number> {
  const sub = subcommandOf(command, argv)
  if (sub !== undefined)
    return dispatch(
      command.subcommands!.commands[sub.name]!,
      [...path, sub.name],
      [...argv.slice(0, sub.at), ...argv.slice(sub.at + 1)],
    )
  try {
    const args = readArgs(command.line, argv)
    if (args.values.help === true) {
      process.stdout.write(usage(command, path))
      return 0
    }
    return await command.run(args)
  } catch (error) {
    if (error instanceof CommandFailure) throw error
    throw new CommandFailure(path.join(' '), error, error instanceof UsageError ? usage(command, path) : undefined)
  }
}
