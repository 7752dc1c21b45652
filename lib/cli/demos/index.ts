// `mman demo <name> [--json]`: the seeds' lessons, made observable.
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

export function demoUsage(): string {
  const width = Math.max(...Object.keys(DEMOS).map((name) => name.length))
  return `Usage: mman demo <name> [--json]

${Object.entries(DEMOS)
  .map(([name, demo]) => `  ${name.padEnd(width)}  ${demo.summary}`)
  .join('\n')}
`
}

export async function demo(argv: string[]): Promise<number> {
  const json = argv.includes('--json')
  const [name, ...rest] = argv.filter((arg) => arg !== '--json')
  if (name === undefined || name === '--help') {
    process.stdout.write(demoUsage())
    return name === undefined ? 2 : 0
  }
  const chosen = DEMOS[name]
  if (chosen === undefined) {
    process.stderr.write(`mman demo: unknown demo '${name}'\n\n${demoUsage()}`)
    return 2
  }
  const output = await chosen.run(json ? [...rest, '--json'] : rest)
  if (json) process.stdout.write(`${JSON.stringify(output.data, null, 2)}\n`)
  else if (output.text.length > 0) process.stdout.write(`${output.text.join('\n')}\n`)
  return 0
}
