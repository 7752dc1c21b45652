// A command's usage, made from its table (args.ts): its forms, what it does,
// its subcommands, its options (with --help), and any notes.
import { HELP_OPTION, type CommandLine, type Option } from './args.js'
import type { Command } from './command.js'

/** "--reps N", "-h, --help" */
function flag(name: string, option: Option): string {
  return `${option.short === undefined ? '' : `-${option.short}, `}--${name}${option.value === undefined ? '' : ` ${option.value}`}`
}

/** Two columns: the first padded to the widest, the second's further lines indented under its first. */
function columns(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([left]) => left.length))
  return rows
    .map(([left, right]) => `  ${left.padEnd(width)}  ${right.replaceAll('\n', `\n${' '.repeat(width + 4)}`)}`)
    .join('\n')
}

/** A command's forms, after its name (`path`): the ones it states, or its operands and options. */
export function synopsis(line: CommandLine, path: string[]): string[] {
  if (line.synopsis !== undefined) return line.synopsis.map((form) => [...path, form].filter(Boolean).join(' '))
  const options = Object.entries(line.options)
  const inline = options.length > 3 ? ['[options]'] : options.map(([name, option]) => `[${flag(name, option)}]`)
  return [[...path, line.operands.names, ...inline].filter(Boolean).join(' ')]
}

/** The list of `command`'s subcommands: each one's form after `prefix`, and its summary; their own forms too, where they have forms. */
function subcommandList(command: Command, prefix: string[]): [string, string][] {
  return Object.entries(command.subcommands?.commands ?? {}).flatMap(([name, sub]): [string, string][] => [
    [synopsis(sub.line, [...prefix, name])[0]!, sub.line.summary],
    ...(sub.subcommands?.forms ? subcommandList(sub, [...prefix, name]) : []),
  ])
}

export function usage(command: Command, path: string[]): string {
  const { line, subcommands } = command
  const forms = [...synopsis(line, path)]
  if (subcommands?.forms)
    for (const [name, sub] of Object.entries(subcommands.commands)) forms.push(synopsis(sub.line, [...path, name])[0]!)
  const parts = [forms.map((form, i) => `${i === 0 ? 'Usage: ' : '       '}${form}`).join('\n')]
  if (line.about !== undefined) parts.push(line.about)
  if (subcommands !== undefined) parts.push(`${subcommands.title}:\n${columns(subcommandList(command, []))}`)
  const options = [...Object.entries(line.options), ['help', HELP_OPTION] as const]
  parts.push(`Options:\n${columns(options.map(([name, option]) => [flag(name, option), option.help]))}`)
  if (line.notes !== undefined) parts.push(line.notes)
  return `${parts.join('\n\n')}\n`
}
