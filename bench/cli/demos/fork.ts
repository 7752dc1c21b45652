// Seed 000's "mmap example I": a shared anonymous page and a shared /dev/zero
// page survive fork(); the parent writes "string 1", both print, the parent
// writes "string 2" after 2 s, the child prints again after 3 s and sees it.
// The fork is native (the tools addon) and the child runs no JavaScript: only
// write, nanosleep and _exit, which are safe in the child of a threaded process.
// --private adds MAP_PRIVATE counterparts: copy-on-write keeps the child's view.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Demo, DemoOutput } from './types.js'
import { MAP, PROT, addressOf, mmap, munmap } from 'mman'
import { checked, tools } from '../../tools.js'

const RW = PROT.READ | PROT.WRITE

function page(share: number, fd: number): ArrayBuffer {
  return mmap(null, 4096, RW, share | (fd < 0 ? MAP.ANONYMOUS : 0), fd, 0)
}

function strcpy(buffer: ArrayBuffer, text: string): void {
  const bytes = new Uint8Array(buffer)
  bytes.set(Buffer.from(`${text}\0`))
}

function cString(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer)
  const end = bytes.indexOf(0)
  return Buffer.from(bytes.subarray(0, end < 0 ? bytes.length : end)).toString()
}

async function run(withPrivate: boolean, json: boolean): Promise<DemoOutput> {
  const zeroFd = openSync('/dev/zero', 'r+')
  const pages = [page(MAP.SHARED, -1), page(MAP.SHARED, zeroFd)]
  if (withPrivate) pages.push(page(MAP.PRIVATE, -1), page(MAP.PRIVATE, zeroFd))
  closeSync(zeroFd)
  // Text output goes live to stdout; for --json both processes append to one file, in time order.
  const dir = json ? mkdtempSync(join(tmpdir(), 'mman-fork-')) : undefined
  const out = dir ? openSync(join(dir, 'out.txt'), 'a+') : 1
  const write = dir ? (line: string) => writeSync(out, line) : (line: string) => process.stdout.write(line)
  const labels = ['anonymous', 'zero-backed', 'private anonymous', 'private zero-backed']
  const print = () => {
    for (let i = 0; i < pages.length; i += 2) {
      write(`PID ${process.pid}:\t${labels[i]} ${cString(pages[i]!)}, ${labels[i + 1]} ${cString(pages[i + 1]!)}\n`)
    }
  }
  try {
    for (const p of pages) strcpy(p, 'string 1')
    print()
    const child = checked(tools.forkDemo(pages.map(addressOf), 3000, out), 'fork')
    await sleep(2000)
    for (const p of pages) strcpy(p, 'string 2')
    print()
    let state: [number, number]
    while ((state = checked(tools.waitChild(child), 'waitpid'))[0] === 0) await sleep(20)
    const lines = dir ? readFileSync(join(dir, 'out.txt'), 'utf8').trimEnd().split('\n') : []
    return {
      text: [],
      data: { parentPid: process.pid, childPid: child, childExit: state[1], lines },
    }
  } finally {
    for (const p of pages) munmap(p)
    if (dir) {
      closeSync(out)
      rmSync(dir, { recursive: true, force: true })
    }
  }
}

const OPTIONS = {
  private: { type: 'boolean', help: 'MAP_PRIVATE pages too: copy-on-write keeps the child at string 1' },
} as const

export const forkDemo: Demo<typeof OPTIONS> = {
  summary:
    "the seed's fork example: shared anonymous and /dev/zero pages seen by parent and child (--private: copy-on-write)",
  options: OPTIONS,
  run: ({ values }, json) => run(values.private === true, json),
  live: true,
}
