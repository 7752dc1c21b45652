// Runs one fuzz campaign in this process: `node fuzz-child.mjs <seed> <runs>`.
// Every case calls one public function with random arguments; the property is
// that it returns, or throws an Error carrying a string `code` — never a crash
// (a crash ends this process with a signal, which the parent test reports with
// the seed that reproduces it).
import fc from 'fast-check'
import { closeSync, openSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as m from '../../dist/lib/index.js'

const [seed, runs] = process.argv.slice(2).map(Number)
const { PROT, MAP, MADV, MS, pageSize } = m

const file = join(tmpdir(), `mman-fuzz-${process.pid}.bin`)
writeFileSync(file, Buffer.alloc(3 * pageSize + 17, 7))
const fileFd = openSync(file, 'r+')
const closedFd = (() => {
  const fd = openSync(file, 'r')
  closeSync(fd)
  return fd
})()

// Live and dead memory for the calls that take memory. Large populated or
// locked mappings would only measure this machine's RAM, so lengths that get
// MAP_POPULATE / MAP_LOCKED are kept small; everything else is fair game.
const mappings = []
const newMappings = () => {
  for (const x of mappings.splice(0)) if (!x.unmapped) x.unmap()
  mappings.push(
    m.mapAnonymous(4 * pageSize),
    m.mapAnonymous(pageSize, { shared: true }),
    m.mapFile(fileFd, { mode: 'rw' }),
    m.mapFile(file, { mode: 'cow', offset: 5 }),
    m.map(8 * pageSize, PROT.NONE, MAP.PRIVATE | MAP.ANONYMOUS, -1),
  )
  const dead = m.mapAnonymous(pageSize)
  dead.unmap()
  mappings.push(dead)
}
newMappings()
// Futex and mutex words live apart from the pool, whose protection the fuzz changes.
const words = new Int32Array(m.mapAnonymous(pageSize, { shared: true }).buffer)

const number = fc.oneof(
  fc.integer({ min: -5, max: 70000 }),
  fc.constantFrom(
    -1,
    0,
    1,
    3,
    4095,
    4096,
    4097,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32,
    2 ** 32 + 1,
    2 ** 40,
    2 ** 53 - 1,
    2 ** 53,
    2 ** 60,
    -(2 ** 31),
  ),
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0.5, 1e-300, Number.MAX_VALUE),
)
const bigint = fc.oneof(fc.bigInt(), fc.constantFrom(0n, -1n, 2n ** 64n, 2n ** 63n, 0x7f0000000000n))
const flagBits = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  fc.constantFrom(...Object.values(MAP).filter((v) => typeof v === 'number')),
)
const foreign = fc.oneof(
  fc.constant(new ArrayBuffer(16)),
  fc.constant(new Uint8Array(8)),
  fc.constant(Buffer.alloc(4)),
  fc.constant(new SharedArrayBuffer(8)),
  fc.constant(new DataView(new ArrayBuffer(8))),
)
const memory = fc.oneof(
  fc.integer({ min: 0, max: 5 }).map((i) => mappings[i]),
  fc
    .tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: -2, max: 40000 }), fc.integer({ min: -2, max: 40000 }))
    .map(([i, a, b]) => {
      const x = mappings[i]
      if (x.unmapped) return new Uint8Array(0)
      const buf = x.buffer
      return new Uint8Array(
        buf,
        Math.max(0, Math.min(a, buf.byteLength)),
        Math.max(0, Math.min(b, buf.byteLength - Math.max(0, Math.min(a, buf.byteLength)))),
      )
    }),
)
const any = fc.oneof(
  number,
  bigint,
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  foreign,
  fc.object(),
  fc.array(number, { maxLength: 3 }),
)
const value = fc.oneof(number, any)
const fd = fc.oneof(fc.constantFrom(-1, fileFd, closedFd, 0, 1, 2, 1_000_000), number)
const small = (flags) => ((flags & (MAP.POPULATE | MAP.LOCKED)) !== 0 ? 64 * pageSize : Infinity)
const prot = fc.oneof(fc.integer({ min: 0, max: 7 }), number)
const advice = fc.oneof(fc.constantFrom(...Object.values(MADV).filter((v) => typeof v === 'number')), number)
const region = (i) => mappings[i]

// [name, arguments, call]. Mapping methods take a mapping index first.
const calls = [
  [
    'mmap',
    fc.tuple(
      fc.oneof(bigint, number, fc.constant(null)),
      number,
      prot,
      flagBits,
      fd,
      number,
      fc.oneof(fc.constant(undefined), fc.record({ allowWriteExec: fc.boolean(), allowBeyondEOF: fc.boolean() }), any),
    ),
    ([addr, length, p, flags, f, offset, policy]) => {
      if (Number(length) > small(flags)) return
      const buf = m.mmap(addr, length, p, flags, f, offset, policy)
      m.munmap(buf)
    },
  ],
  ['munmap', fc.oneof(memory, any, foreign), (x) => m.munmap(x)],
  [
    'mprotect',
    fc.tuple(fc.oneof(memory, foreign, any), prot, fc.oneof(fc.constant(undefined), any)),
    ([x, p, o]) => {
      // Never take access away from memory this process itself reads (the channel's rings are not in the pool).
      m.mprotect(x, p | PROT.READ | (p & PROT.EXEC ? 0 : PROT.WRITE), o)
    },
  ],
  ['madvise', fc.tuple(fc.oneof(memory, foreign, any), advice), ([x, a]) => m.madvise(x, a)],
  [
    'msync',
    fc.tuple(
      fc.oneof(memory, any),
      fc.oneof(fc.constantFrom(MS.SYNC, MS.ASYNC, MS.INVALIDATE, MS.SYNC | MS.INVALIDATE), number),
    ),
    ([x, f]) => m.msync(x, f),
  ],
  ['mincore', fc.oneof(memory, any), (x) => m.mincore(x)],
  [
    'mlock',
    fc.tuple(fc.oneof(memory, any), fc.oneof(fc.constant(0), number)),
    ([x, f]) => {
      m.mlock(x, f)
      m.munlock(x)
    },
  ],
  [
    'mremap',
    fc.tuple(fc.integer({ min: 0, max: 5 }), fc.oneof(fc.integer({ min: 1, max: 64 * 4096 }), number)),
    ([i, n]) => {
      m.mremap(region(i).buffer, n)
      newMappings()
    },
  ],
  ['addressOf', fc.oneof(memory, any), (x) => m.addressOf(x)],
  ['fstat', fd, (f) => m.fstat(f)],
  [
    'memfdCreate',
    fc.tuple(fc.oneof(fc.string(), any), fc.oneof(fc.integer({ min: 0, max: 15 }), number)),
    ([n, f]) => closeSync(m.memfdCreate(n, f)),
  ],
  ['sbrk', fc.oneof(fc.constant(0), fc.integer({ min: -65536, max: 65536 }), number, bigint, any), (n) => m.sbrk(n)],
  ['brk', fc.oneof(bigint, any, number), (a) => m.brk(a)],
  [
    'mapFile',
    fc.tuple(
      fc.oneof(fc.constant(file), fd, fc.string(), any),
      fc.oneof(
        fc.constant(undefined),
        fc.record(
          {
            mode: fc.oneof(fc.constantFrom('r', 'rw', 'cow'), any),
            offset: number,
            length: number,
            advice,
            allowBeyondEOF: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
        any,
      ),
    ),
    ([f, o]) => m.mapFile(f, o).unmap(),
  ],
  [
    'mapAnonymous',
    fc.tuple(
      number,
      fc.oneof(
        fc.constant(undefined),
        fc.record(
          {
            shared: fc.boolean(),
            hugePages: fc.oneof(fc.boolean(), fc.constant('hugetlb'), any),
            noReserve: fc.boolean(),
          },
          { requiredKeys: [] },
        ),
        any,
      ),
    ),
    ([n, o]) => m.mapAnonymous(n, o).unmap(),
  ],
  [
    'map',
    fc.tuple(number, prot, flagBits, fd, number, fc.oneof(bigint, fc.constant(null), any)),
    ([n, p, flags, f, off, hint]) => {
      if (Number(n) > small(flags)) return
      m.map(n, p, flags, f, off, hint).unmap()
    },
  ],
  [
    'Mapping',
    fc.tuple(
      fc.integer({ min: 0, max: 5 }),
      fc.constantFrom(
        'bytes',
        'window',
        'advise',
        'sync',
        'residency',
        'lock',
        'remap',
        'vmas',
        'stats',
        'populate',
        'protect',
      ),
      value,
      value,
    ),
    ([i, method, a, b]) => {
      const x = region(i)
      if (method === 'protect') x.protect((typeof a === 'number' ? a : 0) | PROT.READ | PROT.WRITE, b)
      else if (method === 'populate') x.populate(b)
      else if (method === 'remap') {
        x.remap(a, b)
        newMappings()
      } else x[method](a, b)
    },
  ],
  [
    'futex',
    fc.tuple(
      fc.oneof(fc.constant(words), fc.constant(new Int32Array(4)), any),
      value,
      value,
      fc.oneof(fc.constantFrom(0, 1, 2), number),
    ),
    ([ints, index, expected, timeout]) => {
      // A wait with no timeout on an unchanging word would (correctly) block forever.
      m.futexWait(ints, index, expected, Number.isFinite(timeout) && timeout >= 0 ? Math.min(timeout, 2) : 1)
      m.futexWake(ints, index, 1)
    },
  ],
  [
    'SharedMemory',
    fc.tuple(value, fc.oneof(fc.string(), any)),
    ([size, name]) => m.SharedMemory.create(size, name).close(),
  ],
  [
    'Channel',
    fc.tuple(
      fc.oneof(fc.constantFrom(4096, 8192), value),
      fc.oneof(fc.string(), foreign, any),
      fc.oneof(
        fc.constant(undefined),
        fc.record({ peer: fc.oneof(number, any), timeoutMs: value }, { requiredKeys: [] }),
        any,
      ),
      fc.integer({ min: 0, max: 3 }),
    ),
    ([capacity, message, options, how]) => {
      const channel = m.Channel.create(capacity)
      try {
        const tx = channel.sender(options)
        const rx = channel.receiver(options)
        if (how === 0) tx.send(message, 10)
        else if (how === 1) tx.sendValue(message, 10)
        else tx.send(typeof message === 'string' ? message : String(message?.length ?? 0), 10)
        if (how === 1) rx.receiveValue(10)
        else if (how === 2) rx.receiveString(10)
        else rx.receive(10)
      } finally {
        channel.memory.close()
      }
    },
  ],
  [
    'Mutex',
    fc.tuple(fc.oneof(fc.constant(words), any), value, fc.oneof(fc.constant(undefined), value)),
    ([ints, index, timeout]) => {
      const mutex = new m.Mutex(ints, index)
      if (mutex.tryLock()) mutex.unlock()
      mutex.lock(timeout)
      mutex.unlock()
    },
  ],
  [
    'SharedMemory named and attached',
    fc.tuple(
      fc.oneof(fc.string(), any),
      fc.oneof(
        fc.constant(undefined),
        fc.record(
          { allowForeign: fc.oneof(fc.boolean(), any), allowUnsealed: fc.oneof(fc.boolean(), any) },
          { requiredKeys: [] },
        ),
        any,
      ),
      fd,
    ),
    ([name, options, f]) => {
      try {
        m.SharedMemory.openNamed(name, options).close()
      } catch (error) {
        if (typeof error?.code !== 'string') throw error
      }
      m.SharedMemory.attach(f, options).close()
    },
  ],
  [
    'SharedMemory.sharedBuffer',
    value,
    (size) => {
      const memory = m.SharedMemory.create(size)
      try {
        if (m.SharedMemory.sharedBuffersSupported) new Uint8Array(memory.sharedBuffer)[0] = 1
      } finally {
        memory.close()
      }
    },
  ],
  [
    'vmaAt',
    fc.tuple(
      fc.oneof(bigint, number, any),
      fc.oneof(fc.constant(undefined), fc.constant(m.maps()), fc.array(any, { maxLength: 2 }), any),
    ),
    ([address, vmas]) => m.vmaAt(address, vmas),
  ],
  [
    'smaps parsing',
    fc.tuple(fc.oneof(fc.string(), any), fc.oneof(fc.array(fc.string(), { maxLength: 4 }), any)),
    ([text, codes]) => {
      m.parseSmaps(text)
      m.vmFlags(codes)
    },
  ],
]

const documented = (error) => error instanceof Error && typeof error.code === 'string' && error.code.length > 0

let cases = 0
const failures = []
// What happened, per function: how many calls returned, and how many threw each code.
const outcomes = {}
const tally = (name, what) => {
  outcomes[name] ??= {}
  outcomes[name][what] = (outcomes[name][what] ?? 0) + 1
}
for (const [name, args, call] of calls) {
  const result = fc.check(
    fc.property(args, (a) => {
      cases++
      try {
        call(a)
        tally(name, 'returned')
        return true
      } catch (error) {
        if (documented(error)) {
          tally(name, error.code)
          return true
        }
        throw new Error(`${name} threw an undocumented error: ${error?.stack ?? error}`, { cause: error })
      }
    }),
    { seed, numRuns: Math.ceil(runs / calls.length) },
  )
  if (result.failed) failures.push(`${name}: ${fc.defaultReportMessage(result)}`)
}
for (const x of mappings) if (!x.unmapped) x.unmap()
closeSync(fileFd)
console.log(JSON.stringify({ seed, cases, failures, outcomes }))
