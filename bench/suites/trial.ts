// Entry point of a trial child process: `node trial.js <kind> <json args>`
// runs one measurement and prints it as JSON on the last line of stdout.
import { fileURLToPath } from 'node:url'
import { spawnSync } from 'node:child_process'
import { zeroingTrial } from './zeroing/trial.js'
import { fileTrial } from './file/trial.js'
import { overheadTrial } from './overhead/trial.js'

// Every kind takes its arguments as one JSON object.
const TRIALS: Record<string, (args: never) => unknown> = {
  zeroing: (args: { mode: string; bytes: number }) => zeroingTrial(args.mode, args.bytes),
  file: (args: Parameters<typeof fileTrial>[0]) => fileTrial(args),
  overhead: (args: { method: string; iterations: number }) => overheadTrial(args.method, args.iterations),
}

async function runTrialHere<T>(kind: string, args: object): Promise<T> {
  const trial = TRIALS[kind]
  if (trial === undefined) throw new Error(`unknown trial kind ${kind}`)
  return (await trial(args as never)) as T
}

const script = fileURLToPath(import.meta.url)

/** Runs one trial in a fresh node process (the default), or here. */
export async function runTrial<T>(kind: string, args: object, inProcess: boolean): Promise<T> {
  if (inProcess) return runTrialHere<T>(kind, args)
  const child = spawnSync(process.execPath, ['--expose-gc', script, kind, JSON.stringify(args)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  })
  if (child.status !== 0) {
    throw new Error(
      `trial ${kind} ${JSON.stringify(args)} failed (${child.signal ?? child.status}): ${child.stderr.trim()}`,
    )
  }
  const lines = child.stdout.trim().split('\n')
  return JSON.parse(lines[lines.length - 1]!) as T
}

if (process.argv[1] === script) {
  const [kind = '', json = '{}'] = process.argv.slice(2)
  const result = await runTrialHere(kind, JSON.parse(json) as object)
  process.stdout.write(`${JSON.stringify(result)}\n`)
}
