// What a side costs while it waits for a message that does not come: the
// peer waits about a second and reports its own CPU time over that wait.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { Channel, forkWithMemory } from '../lib/index.js'
import { PEER } from './ipc-transports.js'

export interface IdleCpu {
  transport: string
  cpuMs: number
  wallMs: number
}

export const IDLE_WAIT_MS = 1000

/** The CPU time a receiver of `transport` used while waiting IDLE_WAIT_MS for nothing. */
export async function idleCpu(transport: 'channel' | 'shm-polling'): Promise<IdleCpu> {
  const channel = transport === 'channel' ? Channel.create(4096) : undefined
  const child = channel
    ? forkWithMemory(PEER, ['idle-channel'], { memory: [channel.memory], stdio: ['ignore', 'inherit', 'inherit'] })
    : fork(PEER, ['idle-spin'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [result] = (await once(child, 'message')) as [{ cpuMs: number; wallMs: number }]
  await once(child, 'exit')
  channel?.memory.close()
  return { transport, ...result }
}
