// Seed 001 "create some executable memory, write some machine code there and
// have it be runnable": write x86-64 code into a page, flip it from
// PROT_READ|PROT_WRITE to PROT_READ|PROT_EXEC (W^X), and call it through koffi.
import { arch } from 'node:process'
import { UsageError, type Args } from '../args.js'
import type { Demo, DemoOutput } from './types.js'
import { hex } from './types.js'
import { PROT, mapAnonymous, pageSize } from 'mman'

// int add(int a, int b) { return a + b; }   System V: a in edi, b in esi, result in eax.
const ADD_X64 = [0x8d, 0x04, 0x37, 0xc3] // lea eax, [rdi + rsi] ; ret

interface Koffi {
  load(path: string | null): unknown
  proto(signature: string): unknown
  decode(value: unknown, type: string): unknown
  call(pointer: unknown, type: unknown, ...args: unknown[]): unknown
}

async function loadKoffi(): Promise<Koffi | undefined> {
  try {
    return ((await import('koffi')) as { default: Koffi }).default
  } catch {
    return undefined
  }
}

const INT32 = /^[+-]?\d+$/

/** The operands, each a C int (the machine code adds 32-bit registers). */
function operands(texts: string[]): number[] {
  const bad = texts.find((text) => !INT32.test(text) || Number(text) !== (Number(text) | 0))
  if (bad !== undefined) throw new UsageError(`'${bad}' is not an integer from -2147483648 to 2147483647`)
  return texts.map(Number)
}

async function run(args: Args): Promise<DemoOutput> {
  const [a = 2, b = 40] = operands(args.operands)
  if (arch !== 'x64') {
    return {
      text: [`The jit demo carries x86-64 machine code; this machine is ${arch}, so it does not run here.`],
      data: { arch, ran: false },
    }
  }
  const koffi = await loadKoffi()
  if (koffi === undefined) {
    return {
      text: ['The jit demo calls the code through koffi, which is not installed: npm i koffi'],
      data: { arch, ran: false, koffi: 'not installed: npm i koffi' },
    }
  }
  const mapping = mapAnonymous(pageSize)
  mapping.bytes().set(ADD_X64)
  const text = [
    `Wrote ${ADD_X64.length} bytes of x86-64 (lea eax, [rdi+rsi]; ret) into a read-write page at ${hex(mapping.address)}.`,
  ]
  let refused = ''
  try {
    mapping.protect(PROT.READ | PROT.WRITE | PROT.EXEC)
  } catch (error) {
    refused = (error as { code: string }).code
    text.push(
      `mprotect(PROT_READ|PROT_WRITE|PROT_EXEC): refused (${refused}): W^X, a page is never writable and executable at once.`,
    )
  }
  mapping.protect(PROT.READ | PROT.EXEC)
  text.push(`mprotect(PROT_READ|PROT_EXEC): ${mapping.vmas()[0]?.perms ?? '?'} in /proc/self/maps.`)
  // koffi takes a pointer as a C value: decode one from the address's bytes
  // (from a Buffer: koffi 2.16 mis-decodes a BigUint64Array and the call crashes).
  const slot = Buffer.alloc(8)
  slot.writeBigUInt64LE(mapping.address)
  const pointer = koffi.decode(slot, 'void *')
  // koffi 2.16 crashes in call() until some library has been loaded (measured): load the program itself.
  koffi.load(null)
  const result = koffi.call(pointer, koffi.proto('int jit_add(int a, int b)'), a, b) as number
  text.push(`Called it through koffi: add(${a}, ${b}) = ${result}`)
  mapping.unmap()
  return { text, data: { arch, ran: true, a, b, result, writeExecRefused: refused } }
}

export const jit: Demo = {
  summary:
    'machine code written to a page, flipped to PROT_READ|PROT_EXEC, called through koffi (adds A + B, default 2 + 40)',
  operands: { names: '[A B]', min: 0, max: 2, numbers: [0, 1] },
  run,
}
