// `mman demo [name] [--json]`: lists the demos, or runs one (each demo is a
// subcommand, with its own options and operands besides --json).
import { NO_OPERANDS, UsageError, type Args, type Option } from '../args.js'
import type { Command } from '../command.js'
import { DEMOS } from '../demos/index.js'
import type { Demo } from '../demos/types.js'
import { synopsis, usage } from '../usage.js'

const JSON_OPTION: Option = { type: 'boolean', help: 'what it measured, as one JSON object instead of text' }

/** What a demo takes after its name, besides --json: "[--private]", "[A B]", "". */
function argumentsOf(demo: Demo): string {
  return synopsis(
    { summary: demo.summary, options: demo.options ?? {}, operands: demo.operands ?? NO_OPERANDS },
    [],
  )[0]!
}

function demoCommand(demo: Demo): Command {
  return {
    line: {
      summary: demo.summary,
      about: demo.summary,
      options: { ...demo.options, json: JSON_OPTION },
      operands: demo.operands ?? NO_OPERANDS,
      synopsis: [argumentsOf(demo)],
    },
    async run(args: Args) {
      const json = args.values.json === true
      const output = await demo.run(args, json)
      if (json) process.stdout.write(`${JSON.stringify(output.data, null, 2)}\n`)
      else if (output.text.length > 0) process.stdout.write(`${output.text.join('\n')}\n`)
      return 0
    },
  }
}

export const demo: Command = {
  line: {
    summary: `the seeds' lessons as runnable demos (no name: list them):\n${Object.keys(DEMOS).join(', ')}`,
    options: { json: { type: 'boolean', help: 'the list as JSON; after a name, what the demo measured' } },
    operands: { names: '[name]', min: 0, max: 1 },
    synopsis: ['[NAME [arguments]] [--json]'],
    about:
      'Without a name, lists the demos (--json: as JSON). Every demo takes --json,\nwhich prints what it measured as one JSON object instead of text.',
    notes: "mman help demo NAME describes a demo's arguments.",
  },
  run({ values, operands: [name] }) {
    // A demo's name would have been dispatched to it: this one names none.
    if (name !== undefined) throw new UsageError(`unknown demo '${name}'`)
    if (values.json === true) {
      const list = Object.entries(DEMOS).map(([demoName, d]) => ({
        name: demoName,
        arguments: argumentsOf(d),
        summary: d.summary,
      }))
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`)
    } else {
      process.stdout.write(usage(demo, ['mman', 'demo']))
    }
    return 0
  },
  subcommands: {
    title: 'Demos',
    forms: false,
    commands: Object.fromEntries(Object.entries(DEMOS).map(([name, d]) => [name, demoCommand(d)])),
  },
}
