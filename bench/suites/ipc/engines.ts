// The Channel on each of mman's wait engines: the rows whose both ends await
// through io_uring (the default, where the kernel has futex operations) or
// through mman's waiter thread (MMAN_NO_IO_URING=1). The engine is a matter
// of the environment a process starts with, so each such measurement runs
// its parent end in a process of its own (driver.ts), started with that
// environment, which its peer inherits.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { MeasureOptions, Measured } from './measure.js'
import { exited, messagesUntilDisconnect } from './transports.js'

const DRIVER = fileURLToPath(new URL('./driver.js', import.meta.url))

/** The transports measured in a process of their own, and the environment each starts with. */
const ENGINE_ENV: Record<string, { MMAN_NO_IO_URING?: string }> = {
  'channel-async': {},
  'channel-async-thread': { MMAN_NO_IO_URING: '1' },
}

export const onEngine = (name: string) => Object.hasOwn(ENGINE_ENV, name)

/** measure() of `name`, run in a fresh process started with its environment. */
export async function measureOnEngine(name: string, size: number, options: MeasureOptions): Promise<Measured> {
  const { MMAN_NO_IO_URING: _, ...env } = process.env
  const child = fork(DRIVER, [name, String(size), JSON.stringify(options)], {
    env: { ...env, ...ENGINE_ENV[name] },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const [measured] = (await messagesUntilDisconnect(child)) as Measured[]
  await exited(child)
  if (child.exitCode !== 0 || measured === undefined)
    throw new Error(`measuring ${name}: its process exited with ${child.signalCode ?? `status ${child.exitCode}`}`)
  return measured
}
