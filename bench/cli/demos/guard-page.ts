// Seed 001 "PROT_NONE: basically requesting a page fault when accessed":
// touching a guard page ends the process with SIGSEGV. Shown in a child (guard-page-child).
import { runChildModule } from './child.js'
import type { Demo, DemoOutput } from './types.js'

function run(): DemoOutput {
  const child = runChildModule('guard-page-child')
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
