// Demos whose subject must not run in the demo's own process (it crashes, or
// moves process-wide state) run one of the *-child modules beside this file
// in a fresh node process.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export interface ChildRun {
  status: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs the child module `name` (e.g. 'guard-page-child') of this directory to its end. */
export function runChildModule(name: string): ChildRun {
  const child = spawnSync(process.execPath, [fileURLToPath(new URL(`./${name}.js`, import.meta.url))], {
    encoding: 'utf8',
    timeout: 30_000,
  })
  return { status: child.status, signal: child.signal, stdout: child.stdout, stderr: child.stderr }
}
