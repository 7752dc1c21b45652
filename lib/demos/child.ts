// Demos whose subject must not run in the demo's own process (it crashes, or
// moves process-wide state) run a small ES module in a child node process.
import { spawnSync } from 'node:child_process'
import { packageRoot } from '../native.js'

export interface ChildRun {
  status: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs `source` (which may import 'mman') in a fresh node process. */
export function runModule(source: string): ChildRun {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', source], {
    cwd: packageRoot(),
    encoding: 'utf8',
    timeout: 30_000,
  })
  return { status: child.status, signal: child.signal, stdout: child.stdout, stderr: child.stderr }
}
