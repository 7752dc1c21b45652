// What must crash does crash, and only the child process that did it.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runChild, tempDir } from './helpers.js'

const { dir, cleanup } = tempDir()
afterAll(cleanup)

describe('memory access the protection forbids', () => {
  it('touching a PROT_NONE page ends the process with SIGSEGV', () => {
    const child = runChild(`
      import { mmap, PROT, MAP } from 'mman'
      const guard = new Uint8Array(mmap(null, 4096, PROT.NONE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0))
      console.log('mapped')
      guard[0] = 1
      console.log('survived')
    `)
    expect(child.stdout).toBe('mapped\n')
    expect(child.signal).toBe('SIGSEGV')
  })

  it('writing through a read-only file mapping ends the process with SIGSEGV', () => {
    const path = join(dir, 'ro.txt')
    writeFileSync(path, 'read only')
    const child = runChild(
      `
      import { mapFile } from 'mman'
      const bytes = mapFile(process.argv[1]).bytes()
      console.log(Buffer.from(bytes).toString())
      bytes[0] = 0x52
      console.log('survived')
    `,
      [path],
    )
    expect(child.stdout).toBe('read only\n')
    expect(child.signal).toBe('SIGSEGV')
  })

  it('reading a page past end-of-file after the file shrank ends the process with SIGBUS', () => {
    const path = join(dir, 'shrinks.bin')
    writeFileSync(path, Buffer.alloc(3 * 4096, 1))
    const child = runChild(
      `
      import { truncateSync } from 'node:fs'
      import { mapFile } from 'mman'
      const bytes = mapFile(process.argv[1]).bytes()
      console.log(bytes[2 * 4096])
      truncateSync(process.argv[1], 4096)
      console.log(bytes[0])
      console.log(bytes[2 * 4096])
      console.log('survived')
    `,
      [path],
    )
    expect(child.stdout).toBe('1\n1\n')
    expect(child.signal).toBe('SIGBUS')
  })
})
