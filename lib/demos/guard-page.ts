// Seed 001 "PROT_NONE: basically requesting a page fault when accessed":
// touching a guard page ends the process with SIGSEGV. Shown in a child.
import { runModule } from './child.js'
import type { Demo, DemoOutput } from './types.js'

const TOUCH = `
import { mapAnonymous, PROT, pageSize } from 'mman'
const mapping = mapAnonymous(2 * pageSize)
mapping.protect(PROT.NONE, { offset: pageSize })
const bytes = mapping.bytes()
bytes[0] = 1
console.log('wrote the first page; now touching the PROT_NONE page at 0x' + (mapping.address + BigInt(pageSize)).toString(16))
bytes[pageSize] = 1
console.log('still alive (this line never prints)')
`

function run(): DemoOutput {
  const child = runModule(TOUCH)
  const data = { signal: child.signal, status: child.status, childSaid: child.stdout.trim().split('\n') }
  return {
    text: [
      ...data.childSaid.map((line) => `child: ${line}`),
      child.signal === 'SIGSEGV'
        ? 'The child was killed by SIGSEGV: a PROT_NONE page is a guard, not memory (electric fence, stack guards).'
        : `Unexpected: the child ended with ${child.signal ?? `status ${child.status}`}.`,
    ],
    data,
  }
}

export const guardPage: Demo = { summary: 'touching a PROT_NONE page ends a child process with SIGSEGV', run }
