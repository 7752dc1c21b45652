// Every public function rejects bad arguments with Node's error kinds before
// any syscall, and a failing syscall surfaces as an error with code/errno/syscall.
import { constants as bufferConstants } from 'node:buffer'
import { closeSync, openSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import * as syscalls from '../lib/index.js'
import {
  ChannelReceiver,
  ChannelSender,
  MADV,
  MAP,
  MS,
  Mapping,
  Mutex,
  PROT,
  SharedMemory,
  forkWithMemory,
  inheritedMemory,
  mapAnonymous,
  mapFile,
  map,
  madvise,
  mincore,
  mlock,
  mmap,
  mprotect,
  mremap,
  msync,
  munmap,
  pageSize,
  parseMapsLine,
  vmasIn,
} from '../lib/index.js'
import { runChild, tempDir, thrown } from './helpers.js'

const { dir, cleanup } = tempDir()
const dirFd = openSync(dir, 'r')
afterAll(() => {
  closeSync(dirFd)
  cleanup()
})
const smallFile = join(dir, 'small.txt')
writeFileSync(smallFile, 'tiny')

const RW = PROT.READ | PROT.WRITE
const ANON = MAP.PRIVATE | MAP.ANONYMOUS
// Above RLIMIT_NOFILE, so never open, whatever the tests open meanwhile.
const closedFd = 1_000_000
const withFd = <T>(path: string, use: (fd: number) => T): T => {
  const fd = openSync(path, 'r')
  try {
    return use(fd)
  } finally {
    closeSync(fd)
  }
}

type Case = [
  label: string,
  call: () => unknown,
  kind: ErrorConstructor | TypeErrorConstructor | RangeErrorConstructor,
  code: string,
]

const anon = () => mmap(null, pageSize, RW, ANON, -1, 0)

const cases: Case[] = [
  // mmap: length
  ['mmap length 0', () => mmap(null, 0, RW, ANON, -1, 0), RangeError, 'ERR_OUT_OF_RANGE'],
  ['mmap length negative', () => mmap(null, -4096, RW, ANON, -1, 0), RangeError, 'ERR_OUT_OF_RANGE'],
  ['mmap length NaN', () => mmap(null, NaN, RW, ANON, -1, 0), RangeError, 'ERR_OUT_OF_RANGE'],
  ['mmap length fractional', () => mmap(null, 4096.5, RW, ANON, -1, 0), RangeError, 'ERR_OUT_OF_RANGE'],
  ['mmap length Infinity', () => mmap(null, Infinity, RW, ANON, -1, 0), RangeError, 'ERR_OUT_OF_RANGE'],
  ['mmap length huge', () => mmap(null, 2 ** 60, RW, ANON, -1, 0), RangeError, 'ERR_OUT_OF_RANGE'],
  ['mmap length huge bigint', () => mmap(null, 2n ** 70n, RW, ANON, -1, 0), RangeError, 'ERR_OUT_OF_RANGE'],
  [
    'mmap length above MAX_LENGTH',
    () => mmap(null, bufferConstants.MAX_LENGTH + 1, RW, ANON | MAP.NORESERVE, -1, 0),
    RangeError,
    'ERR_OUT_OF_RANGE',
  ],
  ['mmap length string', () => mmap(null, '4096' as never, RW, ANON, -1, 0), TypeError, 'ERR_INVALID_ARG_TYPE'],
  ['mmap length object', () => mmap(null, {} as never, RW, ANON, -1, 0), TypeError, 'ERR_INVALID_ARG_TYPE'],
  // mmap: prot and flags
  ['mmap prot unknown bits', () => mmap(null, 4096, 0x100, ANON, -1, 0), TypeError, 'ERR_INVALID_ARG_VALUE'],
  ['mmap prot negative', () => mmap(null, 4096, -1, ANON, -1, 0), RangeError, 'ERR_OUT_OF_RANGE'],
  ['mmap prot W^X', () => mmap(null, 4096, RW | PROT.EXEC, ANON, -1, 0), TypeError, 'ERR_INVALID_ARG_VALUE'],
  ['mmap flags unknown bits', () => mmap(null, 4096, RW, ANON | 0x200000, -1, 0), TypeError, 'ERR_INVALID_ARG_VALUE'],
  ['mmap flags string', () => mmap(null, 4096, RW, 'shared' as never, -1, 0), TypeError, 'ERR_INVALID_ARG_TYPE'],
  ['mmap flags neither shared nor private', () => mmap(null, 4096, RW, MAP.ANONYMOUS, -1, 0), Error, 'EINVAL'],
  // mmap: fd and offset
  ['mmap closed fd', () => mmap(null, 4, PROT.READ, MAP.PRIVATE, closedFd, 0), Error, 'EBADF'],
  ['mmap fd -1 without MAP.ANONYMOUS', () => mmap(null, 4, PROT.READ, MAP.PRIVATE, -1, 0), Error, 'EBADF'],
  ['mmap fd -2', () => mmap(null, 4096, RW, ANON, -2, 0), RangeError, 'ERR_OUT_OF_RANGE'],
  ['mmap fd fractional', () => mmap(null, 4096, RW, ANON, 1.5, 0), RangeError, 'ERR_OUT_OF_RANGE'],
  ['mmap offset negative', () => mmap(null, 4096, RW, ANON, -1, -1), RangeError, 'ERR_OUT_OF_RANGE'],
  ['mmap offset NaN', () => mmap(null, 4096, RW, ANON, -1, NaN), RangeError, 'ERR_OUT_OF_RANGE'],
  [
    'mmap past EOF',
    () => withFd(smallFile, (fd) => mmap(null, 8192, PROT.READ, MAP.PRIVATE, fd, 0)),
    RangeError,
    'ERR_OUT_OF_RANGE',
  ],
  // mmap: address and options
  ['mmap addr negative', () => mmap(-1n, 4096, RW, ANON, -1, 0), RangeError, 'ERR_OUT_OF_RANGE'],
  ['mmap addr string', () => mmap('0x1000' as never, 4096, RW, ANON, -1, 0), TypeError, 'ERR_INVALID_ARG_TYPE'],
  [
    'mmap MAP.FIXED outside mman',
    () => mmap(0x10000n, 4096, RW, ANON | MAP.FIXED, -1, 0),
    TypeError,
    'ERR_INVALID_ARG_VALUE',
  ],
  [
    'mmap options not an object',
    () => mmap(null, 4096, RW, ANON, -1, 0, 5 as never),
    TypeError,
    'ERR_INVALID_ARG_TYPE',
  ],
  [
    'mmap allowWriteExec not boolean',
    () => mmap(null, 4096, RW, ANON, -1, 0, { allowWriteExec: 1 as never }),
    TypeError,
    'ERR_INVALID_ARG_TYPE',
  ],
  // calls taking memory
  ['munmap foreign ArrayBuffer', () => munmap(new ArrayBuffer(4096)), TypeError, 'ERR_INVALID_ARG_VALUE'],
  ['munmap Buffer from the pool', () => munmap(Buffer.alloc(10)), TypeError, 'ERR_INVALID_ARG_VALUE'],
  ['munmap number', () => munmap(4096 as never), TypeError, 'ERR_INVALID_ARG_TYPE'],
  ['munmap null', () => munmap(null as never), TypeError, 'ERR_INVALID_ARG_TYPE'],
  [
    'munmap a SharedArrayBuffer mman did not map',
    () => munmap(new SharedArrayBuffer(8) as never),
    TypeError,
    'ERR_INVALID_ARG_VALUE',
  ],
  ['munmap part of a buffer', () => munmap(new Uint8Array(anon(), 1, 10)), TypeError, 'ERR_INVALID_ARG_VALUE'],
  ['mprotect foreign view', () => mprotect(new Uint8Array(8), PROT.READ), TypeError, 'ERR_INVALID_ARG_VALUE'],
  ['mprotect unknown bits', () => mprotect(anon(), 0x1000), TypeError, 'ERR_INVALID_ARG_VALUE'],
  ['madvise unknown advice', () => madvise(anon(), 9999), TypeError, 'ERR_INVALID_ARG_VALUE'],
  ['madvise advice NaN', () => madvise(anon(), NaN), RangeError, 'ERR_OUT_OF_RANGE'],
  [
    'madvise foreign DataView',
    () => madvise(new DataView(new ArrayBuffer(8)), MADV.DONTNEED),
    TypeError,
    'ERR_INVALID_ARG_VALUE',
  ],
  ['msync unknown flags', () => msync(anon(), 0x100), TypeError, 'ERR_INVALID_ARG_VALUE'],
  ['msync SYNC|ASYNC', () => msync(anon(), MS.SYNC | MS.ASYNC), TypeError, 'ERR_INVALID_ARG_VALUE'],
  ['mincore string', () => mincore('buf' as never), TypeError, 'ERR_INVALID_ARG_TYPE'],
  ['mlock unknown flags', () => mlock(anon(), 0x80), TypeError, 'ERR_INVALID_ARG_VALUE'],
  ['mremap length 0', () => mremap(anon(), 0), RangeError, 'ERR_OUT_OF_RANGE'],
  ['mremap length Infinity', () => mremap(anon(), Infinity), RangeError, 'ERR_OUT_OF_RANGE'],
  // object layer
  ['mapFile missing path', () => mapFile(join(dir, 'missing')), Error, 'ENOENT'],
  ['mapFile bad mode', () => mapFile(smallFile, { mode: 'w' as never }), TypeError, 'ERR_INVALID_ARG_VALUE'],
  ['mapFile past EOF', () => mapFile(smallFile, { length: 100 }), RangeError, 'ERR_OUT_OF_RANGE'],
  ['mapFile offset at EOF', () => mapFile(smallFile, { offset: 4 }), RangeError, 'ERR_OUT_OF_RANGE'],
  [
    'mapFile empty file',
    () => mapFile((writeFileSync(join(dir, 'empty'), ''), join(dir, 'empty'))),
    TypeError,
    'ERR_INVALID_ARG_VALUE',
  ],
  ['mapFile closed fd', () => mapFile(closedFd), Error, 'EBADF'],
  ['mapFile fd fractional', () => mapFile(2.5), RangeError, 'ERR_OUT_OF_RANGE'],
  ['mapFile options array', () => mapFile(smallFile, [] as never), TypeError, 'ERR_INVALID_ARG_TYPE'],
  ['mapFile rw on a directory', () => mapFile(dir, { mode: 'rw' }), Error, 'EISDIR'],
  ['mapFile a directory', () => mapFile(dir), Error, 'ENODEV'],
  ['mapFile a directory by fd', () => mapFile(dirFd, { length: 4096 }), Error, 'ENODEV'],
  ...(['msync', 'mprotect', 'addressOf', 'mincore', 'madvise'] as const).map((name): Case => [
    `${name} on a DataView of an unmapped mapping`,
    () => {
      const mapping = mapAnonymous(4096)
      const view = new DataView(mapping.buffer)
      mapping.unmap()
      ;(syscalls[name] as (buf: DataView, value: number) => unknown)(view, PROT.READ)
    },
    Error,
    'ERR_INVALID_STATE',
  ]),
  // Found by the fuzzer: describing a bad argument must not call into it.
  [
    'mapFile mode with a poisoned toString',
    () => mapFile(smallFile, { mode: { toString: false } as never }),
    TypeError,
    'ERR_INVALID_ARG_VALUE',
  ],
  [
    'mmap length a Proxy whose traps throw',
    () =>
      mmap(
        null,
        new Proxy(
          {},
          {
            getPrototypeOf() {
              throw new Error('trap')
            },
            get() {
              throw new Error('trap')
            },
          },
        ) as never,
        RW,
        ANON,
        -1,
        0,
      ),
    TypeError,
    'ERR_INVALID_ARG_TYPE',
  ],
  [
    'mmap flags a Symbol',
    () => mmap(null, 4096, RW, Symbol('flags') as never, -1, 0),
    TypeError,
    'ERR_INVALID_ARG_TYPE',
  ],
  ['mapFile advice unknown', () => mapFile(smallFile, { advice: 777 }), TypeError, 'ERR_INVALID_ARG_VALUE'],
  ['mapAnonymous length 0', () => mapAnonymous(0), RangeError, 'ERR_OUT_OF_RANGE'],
  [
    'mapAnonymous shared not boolean',
    () => mapAnonymous(4096, { shared: 'yes' as never }),
    TypeError,
    'ERR_INVALID_ARG_TYPE',
  ],
  [
    'mapAnonymous hugePages bad',
    () => mapAnonymous(4096, { hugePages: 'always' as never }),
    TypeError,
    'ERR_INVALID_ARG_VALUE',
  ],
  ['map W^X', () => map(4096, RW | PROT.EXEC, ANON, -1), TypeError, 'ERR_INVALID_ARG_VALUE'],
  ['map closed fd', () => map(4096, PROT.READ, MAP.SHARED, closedFd), Error, 'EBADF'],
  ['Mapping.bytes negative', () => mapAnonymous(4096).bytes(-1), RangeError, 'ERR_OUT_OF_RANGE'],
  ['Mapping.window too long', () => mapAnonymous(4096).window(0, 4097), RangeError, 'ERR_OUT_OF_RANGE'],
  ['Mapping.protect W^X', () => mapAnonymous(4096).protect(RW | PROT.EXEC), TypeError, 'ERR_INVALID_ARG_VALUE'],
  [
    'Mapping.advise range string',
    () => mapAnonymous(4096).advise(MADV.NORMAL, { offset: '1' as never }),
    TypeError,
    'ERR_INVALID_ARG_TYPE',
  ],
  ['Mapping.remap NaN', () => mapAnonymous(4096).remap(NaN), RangeError, 'ERR_OUT_OF_RANGE'],
  [
    'Mapping.sync async not boolean',
    () => mapAnonymous(4096).sync({ async: 1 as never }),
    TypeError,
    'ERR_INVALID_ARG_TYPE',
  ],
  [
    'Mapping.lock onFault not boolean',
    () => mapAnonymous(4096).lock({ onFault: 'y' as never }),
    TypeError,
    'ERR_INVALID_ARG_TYPE',
  ],
  ['mapFile mode null', () => mapFile(smallFile, { mode: null as never }), TypeError, 'ERR_INVALID_ARG_VALUE'],
  // objects only the library makes
  ['new Mapping({})', () => new Mapping({} as never), TypeError, 'ERR_ILLEGAL_CONSTRUCTOR'],
  ['new Mapping(null)', () => new Mapping(null as never), TypeError, 'ERR_ILLEGAL_CONSTRUCTOR'],
  [
    'new ChannelSender()',
    () => new ChannelSender(SharedMemory.create(8192), {} as never, 'sender'),
    TypeError,
    'ERR_ILLEGAL_CONSTRUCTOR',
  ],
  [
    'new ChannelReceiver()',
    () => new (ChannelReceiver as unknown as new () => unknown)(),
    TypeError,
    'ERR_ILLEGAL_CONSTRUCTOR',
  ],
  // introspection
  ['parseMapsLine number', () => parseMapsLine(5 as never), TypeError, 'ERR_INVALID_ARG_TYPE'],
  ['vmasIn strings', () => vmasIn('a' as never, 'b' as never), TypeError, 'ERR_INVALID_ARG_TYPE'],
  ['vmasIn negative start', () => vmasIn(-1n, 10n), RangeError, 'ERR_OUT_OF_RANGE'],
  ['vmasIn list not an array', () => vmasIn(0n, 10n, {} as never), TypeError, 'ERR_INVALID_ARG_TYPE'],
  ['vmasIn list of numbers', () => vmasIn(0n, 10n, [1] as never), TypeError, 'ERR_INVALID_ARG_VALUE'],
  // shared memory
  [
    'SharedMemory.int32 length too long',
    () => SharedMemory.create(4096).int32(0, 1025),
    RangeError,
    'ERR_OUT_OF_RANGE',
  ],
  [
    'SharedMemory.int32 length string',
    () => SharedMemory.create(4096).int32(0, '2' as never),
    TypeError,
    'ERR_INVALID_ARG_TYPE',
  ],
  [
    'SharedMemory.fd once closed',
    () => {
      const memory = SharedMemory.create(4096)
      memory.close()
      return memory.fd
    },
    Error,
    'ERR_INVALID_STATE',
  ],
  ['inheritedMemory index string', () => inheritedMemory('0' as never), TypeError, 'ERR_INVALID_ARG_TYPE'],
  ['inheritedMemory index negative', () => inheritedMemory(-1), RangeError, 'ERR_OUT_OF_RANGE'],
  ['forkWithMemory args not an array', () => forkWithMemory('x.js', 5 as never), TypeError, 'ERR_INVALID_ARG_TYPE'],
  ['forkWithMemory options null', () => forkWithMemory('x.js', [], null as never), TypeError, 'ERR_INVALID_ARG_TYPE'],
  [
    'forkWithMemory memory not an array',
    () => forkWithMemory('x.js', [], { memory: 3 as never }),
    TypeError,
    'ERR_INVALID_ARG_TYPE',
  ],
  [
    'forkWithMemory memory of fds',
    () => forkWithMemory('x.js', [], { memory: [3] as never }),
    TypeError,
    'ERR_INVALID_ARG_TYPE',
  ],
  [
    'forkWithMemory memory closed',
    () => {
      const memory = SharedMemory.create(4096)
      memory.close()
      return forkWithMemory('x.js', [], { memory: [memory] })
    },
    Error,
    'ERR_INVALID_STATE',
  ],
  [
    'forkWithMemory stdio an unknown preset',
    () => forkWithMemory('x.js', [], { stdio: 'bogus' as never }),
    TypeError,
    'ERR_INVALID_ARG_VALUE',
  ],
  [
    'forkWithMemory stdio of four without ipc',
    () => forkWithMemory('x.js', [], { stdio: ['inherit', 'inherit', 'inherit', 'pipe'] as never }),
    TypeError,
    'ERR_INVALID_ARG_VALUE',
  ],
  [
    'forkWithMemory stdio of two',
    () => forkWithMemory('x.js', [], { stdio: ['inherit', 'inherit'] as never }),
    TypeError,
    'ERR_INVALID_ARG_VALUE',
  ],
  [
    'Mutex on memory mman did not map',
    () => new Mutex(new Int32Array(new SharedArrayBuffer(8))),
    TypeError,
    'ERR_INVALID_ARG_VALUE',
  ],
  ['Mutex on a plain Int32Array', () => new Mutex(new Int32Array(8)), TypeError, 'ERR_INVALID_ARG_VALUE'],
]

describe('bad inputs', () => {
  it.each(cases)('%s', (_label, call, kind, code) => {
    const error = thrown(call)
    expect(error).toBeInstanceOf(kind)
    expect(error.code).toBe(code)
    if (code.startsWith('E') && !code.startsWith('ERR_')) {
      expect(error.errno).toBeLessThan(0)
      expect(typeof error.syscall).toBe('string')
    }
  })
})

describe('files that cannot be mapped', () => {
  // Opening a FIFO for reading waits for a writer: done blocking, it would hang the whole process.
  it.each(['r', 'rw'])('refuses a FIFO (mode %s) with ENODEV at once, without waiting for a writer', (mode) => {
    const fifo = join(dir, `fifo-${mode}`)
    const child = runChild(`
      import { execFileSync } from 'node:child_process'
      import { mapFile } from 'mman'
      execFileSync('mkfifo', [${JSON.stringify(fifo)}])
      try { mapFile(${JSON.stringify(fifo)}, { mode: '${mode}' }) } catch (e) { console.log(e.code, e.syscall, e.message) }
    `)
    expect(child.signal).toBeNull()
    expect(child.stdout).toBe('ENODEV mmap ENODEV: no such device, mmap (a fifo cannot be mapped)\n')
  })

  it('says an empty file is empty', () => {
    const empty = join(dir, 'empty-message')
    writeFileSync(empty, '')
    expect(thrown(() => mapFile(empty)).message).toMatch(/is an empty file/)
  })
})
