// `mman demo [name] [--json]`: the seeds' lessons, made observable.
import { UsageError } from '../args.js'
import { brkPool } from './brk-pool.js'
import { cow } from './cow.js'
import { demandPaging } from './demand-paging.js'
import { forkDemo } from './fork.js'
import { guardPage } from './guard-page.js'
import { hugepages } from './hugepages.js'
import { ipcDemo } from './ipc.js'
import { jit } from './jit.js'
import type { Demo } from './types.js'
import { vmaFlags } from './vma-flags.js'
import { vmaSplit } from './vma-split.js'

export const DEMOS: Record<string, Demo> = {
  'vma-split': vmaSplit,
  'vma-flags': vmaFlags,
  'demand-paging': demandPaging,
  cow,
  'brk-pool': brkPool,
  hugepages,
  jit,
  'guard-page': guardPage,
  fork: forkDemo,
  ipc: ipcDemo,
}

const invocation = (name: string) => [name, DEMOS[name]!.arguments?.usage].filter(Boolean).join(' ')

export function demoUsage(): string {
  const width = Math.max(...Object.keys(DEMOS).map((name) => invocation(name).length))
  return `Usage: mman demo [name] [arguments] [--json]

Without a name, lists the demos (--json: as JSON). Every demo takes --json,
which prints what it measured as one JSON object instead of text.

${Object.keys(DEMOS)
  .map((name) => `  ${invocation(name).padEnd(width)}  ${DEMOS[name]!.summary}`)
  .join('\n')}
`
}

export async function demo(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(demoUsage())
    return 0
  }
  const json = argv.includes('--json')
  const [name, ...rest] = argv.filter((arg) => arg !== '--json')
  if (name === undefined) {
    if (json) {
      const list = Object.entries(DEMOS).map(([demoName, d]) => ({ name: demoName, arguments: d.arguments?.usage ?? '', summary: d.summary }))
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`)
    } else {
      process.stdout.write(demoUsage())
    }
    return 0
  }
  const chosen = Object.hasOwn(DEMOS, name) ? DEMOS[name]! : undefined
  if (chosen === undefined) throw new UsageError(`unknown demo '${name}'`, demoUsage())
  const complaint = chosen.arguments === undefined ? (rest.length > 0 ? `takes no arguments, not '${rest.join(' ')}'` : undefined) : chosen.arguments.check(rest)
  if (complaint !== undefined) throw new UsageError(`${name} ${complaint}`, demoUsage())
  const output = await chosen.run(json ? [...rest, '--json'] : rest)
  if (json) process.stdout.write(`${JSON.stringify(output.data, null, 2)}\n`)
  else if (output.text.length > 0) process.stdout.write(`${output.text.join('\n')}\n`)
  return 0
}
