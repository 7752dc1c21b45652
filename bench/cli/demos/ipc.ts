// The fork example between Node processes. A child started by
// child_process runs a new program (exec), which replaces its address space:
// a MAP_SHARED anonymous or /dev/zero mapping made before does not survive
// it. File descriptors do, so the parent shares a sealed memfd as an
// inherited fd and the child maps it again.
import { setTimeout as sleep } from 'node:timers/promises'
import type { Demo, DemoOutput } from './types.js'
import { SharedMemory, forkWithMemory } from 'mman'

const EXPLANATION = [
  "Why not the seed's anonymous or /dev/zero MAP_SHARED page? fork() copies the address space, so a",
  'forked C child shares those pages; child_process starts node with exec(), which replaces the address',
  'space, and the mapping is gone. A file descriptor survives exec, so the child gets the memfd (fd 4)',
  'and maps it itself. The memfd is sealed against shrinking: the child cannot truncate it under the',
  "parent's mapping (which would raise SIGBUS).",
]

function writeString(memory: SharedMemory, text: string): void {
  new Uint8Array(memory.buffer).set(Buffer.from(`${text}\0`))
}

async function run(_args: unknown, json: boolean): Promise<DemoOutput> {
  const lines: string[] = []
  const say = (line: string) => {
    lines.push(line)
    if (!json) process.stdout.write(`${line}\n`)
  }
  using memory = SharedMemory.create(4096, 'mman-demo-ipc')
  writeString(memory, 'string 1')
  say(`PID ${process.pid}:\tmemfd ${'string 1'}`)
  const child = forkWithMemory(new URL('./ipc-child.js', import.meta.url), [], {
    memory: [memory],
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  child.stdout!.setEncoding('utf8')
  child.stdout!.on('data', (chunk: string) => chunk.trimEnd().split('\n').forEach(say))
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  await sleep(2000)
  writeString(memory, 'string 2')
  say(`PID ${process.pid}:\tmemfd ${'string 2'}`)
  const code = await exited
  if (!json) process.stdout.write(`\n${EXPLANATION.join('\n')}\n`)
  return { text: [], data: { parentPid: process.pid, childPid: child.pid, childExit: code, lines } }
}

export const ipcDemo: Demo = {
  summary: 'the fork example between Node processes, through a sealed memfd (and why)',
  run,
  live: true,
}
