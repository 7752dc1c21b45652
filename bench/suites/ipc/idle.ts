// What a side costs while it waits for a message that does not come: the
// peer waits and reports its own CPU time over that wait.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { Channel, forkWithMemory } from 'mman'
import { exited, PEER } from './transports.js'

export interface IdleCpu {
  transport: string
  cpuMs: number
  wallMs: number
}

/** The CPU time a receiver of `transport` used while waiting `waitMs` for nothing. */
export async function idleCpu(transport: 'channel' | 'shm-polling', waitMs: number): Promise<IdleCpu> {
  const channel = transport === 'channel' ? Channel.create(4096) : undefined
  const args = [channel ? 'idle-channel' : 'idle-spin', String(waitMs)]
  const child = channel
    ? forkWithMemory(PEER, args, { memory: [channel.memory], stdio: ['ignore', 'inherit', 'inherit'] })
    : fork(PEER, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [result] = (await once(child, 'message')) as [{ cpuMs: number; wallMs: number }]
  await exited(child)
  channel?.memory.close()
  return { transport, ...result }
}
