// Shared memory is untrusted input, and a peer can die, stall or be
// descheduled at any moment: every such peer gives a coded error or a bounded
// wait, never a hang, a phantom message or a crash.
import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, chmodSync, closeSync, openSync, readFile, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Channel, ChannelError, Mutex, SharedMemory, futexWaitAsync, futexWake, memfdCreate } from '../lib/index.js'
import { CONSUMER_ID, HEAD, PRODUCER_ID, TAIL } from '../lib/ipc/ring-layout.js'
import { finished, mmanChild as child, runChild, tempDir, thrown } from './helpers.js'

const { dir, cleanup } = tempDir()
afterAll(cleanup)

const hasPython = spawnSync('python3', ['-c', 'import mmap']).status === 0
const headerOf = (channel: Channel) => ({
  ctl: channel.memory.int32(0, 64),
  ids: new BigInt64Array(channel.memory.buffer, 0, 32),
})
const code = (fn: () => unknown) => (thrown(fn) as { code?: string }).code

/** A child that takes the Mutex at word 0 of `memory` and holds it until killed; resolves once it holds it. */
async function lockHolder(memory: SharedMemory) {
  const holder = child(
    `
    const ints = m.inheritedMemory(0).int32()
    new m.Mutex(ints, 0).lock()
    process.send('locked')
    setInterval(() => {}, 1000)
  `,
    [memory],
  )
  await new Promise((resolve) => holder.once('message', resolve))
  return holder
}

describe('an untrusted ring', () => {
  /** Runs `source` in a third process that maps the channel's memory as `ctl` (the header) and `words` (the ring). */
  async function thirdProcess(channel: Channel, source: string) {
    const scribbler = await finished(
      child(
        `
      const memory = m.inheritedMemory(0)
      const ctl = memory.int32(0, 64)
      const words = memory.int32(256)
      ${source}
    `,
        [channel.memory],
      ),
    )
    expect(scribbler.stderr).toBe('')
    expect(scribbler.code).toBe(0)
  }

  /** What the receiver gets until it stops: messages as strings, then the error's code (or 'end'). */
  function drain(rx: ReturnType<Channel['receiver']>): string[] {
    const got: string[] = []
    for (let i = 0; i < 100; i++) {
      try {
        const message = rx.receiveString(100)
        if (message === null) return [...got, 'end']
        got.push(message)
      } catch (error) {
        return [...got, (error as ChannelError).code]
      }
    }
    return got
  }

  it('a third process moving HEAD 40 bytes on gives ERR_CHANNEL_CORRUPT, not empty messages nobody sent', async () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const rx = channel.receiver()
    tx.send('real')
    await thirdProcess(channel, `Atomics.add(ctl, ${HEAD}, 40)`)
    expect(drain(rx)).toEqual(['real', 'ERR_CHANNEL_CORRUPT'])
  })

  it('a third process moving HEAD one record on after the ring wrapped gives ERR_CHANNEL_CORRUPT, not the old message again', async () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const rx = channel.receiver()
    const payment = (i: number) => `payment #${String(i).padStart(3, '0')}: pay 100 EUR to alice, ref ${'x'.repeat(60)}`
    const record = 8 + ((Buffer.byteLength(payment(0)) + 7) & ~7)
    const count = Math.ceil(4096 / record) + 3
    for (let i = 0; i < count; i++) {
      tx.send(payment(i))
      expect(rx.receiveString()).toBe(payment(i))
    }
    // The record where the receiver looks next is the one written a lap ago, word for word.
    const at = Atomics.load(headerOf(channel).ctl, TAIL) & 4095
    expect(Buffer.from(channel.memory.buffer, 256 + at + 8, 12).toString()).toMatch(/^payment #0/)
    await thirdProcess(channel, `Atomics.add(ctl, ${HEAD}, ${record})`)
    expect(drain(rx)).toEqual(['ERR_CHANNEL_CORRUPT'])
  })

  it('a third process changing a length within range, or the kind, gives ERR_CHANNEL_CORRUPT, not a cut or a stretched message', async () => {
    for (const change of ['words[1] -= 8', 'words[1] += 4', 'words[1] ^= 3 << 29']) {
      const channel = Channel.create(4096)
      const tx = channel.sender()
      const rx = channel.receiver()
      tx.send('0123456789abcdef')
      await thirdProcess(channel, change)
      expect(drain(rx), change).toEqual(['ERR_CHANNEL_CORRUPT'])
      tx.close()
    }
  })

  it.runIf(hasPython)(
    'random words a Python peer writes over header and ring: only messages that were sent come out, then a coded error or the end',
    () => {
      const rounds = 30
      const channels = Array.from({ length: rounds }, () => Channel.create(4096))
      const sent = (i: number) => `message ${i} ${'z'.repeat(i * 13)}`
      const ends = channels.map((channel) => {
        const tx = channel.sender()
        const rx = channel.receiver()
        for (let i = 0; i < 6; i++) tx.send(sent(i))
        for (let i = 0; i < 2; i++) expect(rx.receiveString()).toBe(sent(i))
        return { tx, rx }
      })
      const python = spawnSync(
        'python3',
        [
          '-c',
          `
import mmap, random, struct
for i in range(${rounds}):
    memory = mmap.mmap(3 + i, 256 + 4096)
    rng = random.Random(${Date.now()} + i)
    for _ in range(rng.randint(1, 12)):
        word = rng.randrange(40) if rng.random() < 0.3 else 64 + rng.randrange(160)
        struct.pack_into('<i', memory, 4 * word, rng.randrange(-2**31, 2**31))
    memory.close()
`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe', ...channels.map((c) => c.memory.fd)], encoding: 'utf8' },
      )
      expect(python.stderr).toBe('')
      expect(python.status).toBe(0)
      const outcomes = new Map<string, number>()
      for (const { tx, rx } of ends) {
        let next = 2
        for (;;) {
          let message: Uint8Array | null
          try {
            message = rx.receiveView(0)
          } catch (error) {
            const { code } = error as ChannelError
            expect([
              'ERR_CHANNEL_CORRUPT',
              'ERR_CHANNEL_TIMEOUT',
              'ERR_CHANNEL_PEER_DIED',
              'ERR_CHANNEL_CLOSED',
            ]).toContain(code)
            outcomes.set(code, (outcomes.get(code) ?? 0) + 1)
            break
          }
          if (message === null) {
            outcomes.set('end', (outcomes.get('end') ?? 0) + 1)
            break
          }
          // A word written into a message's bytes changes them (the peer may write bytes); a message nobody sent never comes.
          expect(next).toBeLessThan(6)
          expect(message.length).toBe(Buffer.byteLength(sent(next++)))
        }
        try {
          tx.send('after', 0)
        } catch (error) {
          expect(['ERR_CHANNEL_CORRUPT', 'ERR_CHANNEL_TIMEOUT', 'ERR_CHANNEL_CLOSED']).toContain(
            (error as ChannelError).code,
          )
        }
      }
      expect(outcomes.get('ERR_CHANNEL_CORRUPT')).toBeGreaterThan(0)
      for (const channel of channels) channel.memory.close()
    },
  )

  it('a scribbled or misaligned position is ERR_CHANNEL_CORRUPT when an end is taken, and leaves the end untaken', () => {
    const channel = Channel.create(4096)
    const { ctl, ids } = headerOf(channel)
    ctl[TAIL] = 8 // ahead of HEAD (0)
    expect(code(() => channel.sender())).toBe('ERR_CHANNEL_CORRUPT')
    expect(ids[PRODUCER_ID]).toBe(0n)
    ctl[HEAD] = 2
    ctl[TAIL] = 2 // both inside a record: a length word would land on message bytes
    expect(code(() => channel.sender())).toBe('ERR_CHANNEL_CORRUPT')
    expect(code(() => channel.receiver())).toBe('ERR_CHANNEL_CORRUPT')
    expect([ids[PRODUCER_ID], ids[CONSUMER_ID]]).toEqual([0n, 0n])
    ctl[HEAD] = 0
    ctl[TAIL] = 0
    channel.sender().send('after repair')
    expect(channel.receiver().receiveString()).toBe('after repair')
  })

  it('a TAIL moved ahead of HEAD makes the sender say ERR_CHANNEL_CORRUPT instead of overwriting unread messages', () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    channel.receiver()
    const big = new Uint8Array(channel.maxMessageBytes)
    tx.send(big)
    tx.send(big)
    Atomics.store(headerOf(channel).ctl, TAIL, 1 << 20)
    expect(code(() => tx.send(big, 100))).toBe('ERR_CHANNEL_CORRUPT')
  })

  it('random scribbles over the header and the ring: every receive returns a bounded message, null, or a coded error', () => {
    for (let round = 0; round < 200; round++) {
      const channel = Channel.create(4096)
      const tx = channel.sender()
      const rx = channel.receiver()
      for (let i = 0; i < 5; i++) tx.send(new Uint8Array(100 + i))
      const words = channel.memory.int32()
      for (let i = 0; i < 4; i++) {
        const index = Math.random() < 0.5 ? [HEAD, TAIL][i % 2]! : 64 + Math.floor(Math.random() * 1024)
        words[index] = Math.floor(Math.random() * 2 ** 32) - 2 ** 31
      }
      for (let i = 0; i < 10; i++) {
        try {
          const message = rx.receiveView(0)
          if (message === null) break
          expect(message.length).toBeLessThanOrEqual(channel.maxMessageBytes)
        } catch (error) {
          expect(['ERR_CHANNEL_CORRUPT', 'ERR_CHANNEL_TIMEOUT']).toContain((error as ChannelError).code)
          break
        }
      }
      channel.memory.close()
    }
  })
})

describe('dead peers', () => {
  it("a SIGKILLed child: the parent's blocking receive() says ERR_CHANNEL_PEER_DIED (a zombie is dead)", async () => {
    const channel = Channel.create(4096)
    const rx = channel.receiver()
    const sender = child(
      `
      const tx = m.Channel.attach(m.inheritedMemory(0)).sender()
      tx.send('hello')
      setInterval(() => {}, 1000)
    `,
      [channel.memory],
    )
    expect(rx.receive()!.toString()).toBe('hello')
    sender.kill('SIGKILL')
    // receive() blocks the event loop, so the killed child stays an unreaped zombie meanwhile.
    expect(code(() => rx.receive())).toBe('ERR_CHANNEL_PEER_DIED')
    await finished(sender)
  })

  it("a SIGKILLed receiver: the parent's send() into a full ring says ERR_CHANNEL_PEER_DIED", async () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const receiver = child(
      `
      m.Channel.attach(m.inheritedMemory(0)).receiver()
      process.send('claimed')
      setInterval(() => {}, 1000)
    `,
      [channel.memory],
    )
    await new Promise((resolve) => receiver.once('message', resolve))
    const big = new Uint8Array(channel.maxMessageBytes)
    tx.send(big)
    tx.send(big)
    receiver.kill('SIGKILL')
    expect(code(() => tx.send(big))).toBe('ERR_CHANNEL_PEER_DIED')
    await finished(receiver)
  })

  it('a peer whose thread id now names another thread (a reused id) counts as dead', () => {
    const channel = Channel.create(4096)
    const rx = channel.receiver()
    // The sender "was" this very process's main thread, but one started at another time.
    const forged = (BigInt(12345) << 32n) | BigInt(process.pid)
    Atomics.store(headerOf(channel).ids, PRODUCER_ID, forged)
    expect(code(() => rx.receive())).toBe('ERR_CHANNEL_PEER_DIED')
  })

  it('a sender that dies before taking its end: with { peer }, receive() says ERR_CHANNEL_PEER_DIED; without, the timeout bounds it', async () => {
    const channel = Channel.create(4096)
    const doomed = child('process.exit(3)', [channel.memory])
    const rx = channel.receiver({ peer: doomed })
    await finished(doomed)
    expect(code(() => rx.receive())).toBe('ERR_CHANNEL_PEER_DIED')
    const other = Channel.create(4096)
    const orphan = child('process.exit(3)', [other.memory])
    await finished(orphan)
    expect(code(() => other.receiver().receive(150))).toBe('ERR_CHANNEL_TIMEOUT')
  })

  it("Mutex.lock() recovers from a SIGKILLed holder, even while the parent's event loop is blocked", async () => {
    using memory = SharedMemory.create(4096)
    const ints = memory.int32()
    const holder = await lockHolder(memory)
    holder.kill('SIGKILL')
    expect(new Mutex(ints, 0).lock()).toBe('recovered')
    await finished(holder)
  })
})

describe('forged lock words', () => {
  it('0x40000000 (waiters bit, holder 0) is recovered at once', () => {
    using memory = SharedMemory.create(4096)
    const ints = memory.int32()
    ints[0] = 0x40000000
    expect(new Mutex(ints, 0).lock()).toBe('recovered')
  })

  it('the pid of a live unrelated process, without its start time, is recovered', () => {
    using memory = SharedMemory.create(4096)
    const ints = memory.int32()
    ints[0] = 1 // init: alive, but not a holder of this lock
    expect(new Mutex(ints, 0).lock()).toBe('recovered')
  })

  it('a live holder that never unlocks: lock(timeout) says ERR_MUTEX_TIMEOUT', async () => {
    using memory = SharedMemory.create(4096)
    const ints = memory.int32()
    const holder = await lockHolder(memory)
    expect(code(() => new Mutex(ints, 0).lock(150))).toBe('ERR_MUTEX_TIMEOUT')
    await expect(new Mutex(ints, 0).lockAsync(150)).rejects.toMatchObject({ code: 'ERR_MUTEX_TIMEOUT' })
    holder.kill('SIGKILL')
    await finished(holder)
  })
})

describe('async waits and the thread pool', () => {
  it('pending futexWaitAsync calls do not hold libuv pool threads: fs work finishes while they wait', async () => {
    using memory = SharedMemory.create(4096)
    const ints = memory.int32()
    const waits = Array.from({ length: 16 }, (_, i) => futexWaitAsync(ints, i, 0, 30_000))
    const path = join(dir, 'pool.txt')
    writeFileSync(path, 'x')
    // With the default 4 pool threads, 16 waits on the pool would hold all four until they time out.
    const read = await Promise.race([
      new Promise<string>((resolve, reject) =>
        readFile(path, 'utf8', (error, text) => (error ? reject(error) : resolve(text))),
      ),
      Promise.all(waits).then(() => 'the waits ended first'),
    ])
    expect(read).toBe('x')
    for (let i = 0; i < 16; i++) {
      Atomics.store(ints, i, 1)
      futexWake(ints, i)
    }
    expect(await Promise.all(waits)).toEqual(Array(16).fill('ok'))
  })

  it('a wake issued before the waiter thread looks is not lost', async () => {
    using memory = SharedMemory.create(4096)
    const ints = memory.int32()
    for (let round = 0; round < 200; round++) {
      ints[0] = 0
      const waiting = futexWaitAsync(ints, 0, 0, 30_000)
      Atomics.store(ints, 0, 1)
      futexWake(ints, 0)
      expect(await waiting).toBe('ok')
    }
  })

  it('unmapping memory with a wait pending rejects the wait with ERR_INVALID_STATE instead of saying EBUSY', async () => {
    const memory = SharedMemory.create(4096)
    const waiting = futexWaitAsync(memory.int32(), 0, 0, 30_000)
    memory.close()
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' })
  })
})

describe('named regions', () => {
  const name = `mman-robust-${process.pid}`
  const path = `/dev/shm/${name}`
  afterAll(() => rmSync(path, { force: true }))

  it('are not followed through a planted symlink', () => {
    const victim = join(dir, 'victim.txt')
    writeFileSync(victim, 'precious')
    symlinkSync(victim, path)
    expect(code(() => SharedMemory.openNamed(name))).toBe('ELOOP')
    expect(code(() => SharedMemory.createNamed(name, 4096))).toBe('EEXIST')
    rmSync(path)
  })

  it('are refused when others may write them or another user owns them, unless allowForeign', () => {
    writeFileSync(path, Buffer.alloc(4096))
    chmodSync(path, 0o666)
    expect(code(() => SharedMemory.openNamed(name))).toBe('ERR_INVALID_ARG_VALUE')
    SharedMemory.openNamed(name, { allowForeign: true }).close()
    chmodSync(path, 0o600)
    if (process.getuid?.() === 0) {
      chownSync(path, 65534, 65534)
      expect(code(() => SharedMemory.openNamed(name))).toBe('ERR_INVALID_ARG_VALUE')
    }
    rmSync(path)
  })

  it('reserve their space at creation: too big for /dev/shm is ENOSPC, not SIGBUS later', () => {
    const free = Number(
      execFileSync('df', ['--output=avail', '-B1', '/dev/shm'], { encoding: 'utf8' }).trim().split('\n')[1],
    )
    expect(code(() => SharedMemory.createNamed(name, free + 2 ** 30))).toBe('ENOSPC')
    expect(() => SharedMemory.openNamed(name)).toThrow()
  })

  it('attach() refuses an fd that is not sealed against shrinking, unless allowUnsealed', () => {
    const fd = memfdCreate('unsealed')
    writeFileSync(fd, Buffer.alloc(4096))
    expect(code(() => SharedMemory.attach(fd))).toBe('ERR_INVALID_ARG_VALUE')
    SharedMemory.attach(fd, { allowUnsealed: true }).close()
    closeSync(fd)
    const file = openSync(join(dir, 'plain'), 'w+')
    writeFileSync(file, Buffer.alloc(4096))
    expect(code(() => SharedMemory.attach(file))).toBe('ERR_INVALID_ARG_VALUE')
    closeSync(file)
  })
})

describe('after SharedMemory.close()', () => {
  it('channel ends and mutexes throw coded errors, not TypeErrors', () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const rx = channel.receiver()
    const memory = SharedMemory.create(4096)
    const mutex = new Mutex(memory.int32(), 0)
    channel.memory.close()
    memory.close()
    expect(code(() => tx.send('x'))).toBe('ERR_CHANNEL_CLOSED')
    expect(code(() => rx.receive())).toBe('ERR_CHANNEL_CLOSED')
    expect(code(() => channel.sender())).toBe('ERR_INVALID_STATE')
    expect(code(() => mutex.lock())).toBe('ERR_INVALID_STATE')
    expect(code(() => mutex.unlock())).toBe('ERR_INVALID_STATE')
    expect(code(() => mutex.holder)).toBe('ERR_INVALID_STATE')
    tx.close()
    rx.close()
  })
})

// Pending calls wait in futexWaitAsync, through either engine: each in a fresh process.
const PENDING_WHEN_CLOSED = `
import { Channel } from 'mman'
const codes = {}
const count = (code) => (codes[code] = (codes[code] ?? 0) + 1)
for (let round = 0; round < 60; round++) {
  const empty = Channel.create(4096)
  const full = Channel.create(4096)
  const rx = empty.receiver()
  const tx = full.sender()
  full.receiver()
  tx.send(new Uint8Array(2000))
  tx.send(new Uint8Array(1000))
  const pending = [rx.receiveAsync(), rx.receiveValueAsync(60000), tx.sendAsync(new Uint8Array(2000)), tx.sendValueAsync('x'.repeat(1500))]
  const loaner = Channel.create(4096)
  const lender = loaner.sender()
  lender.send(new Uint8Array(2000))
  lender.send(new Uint8Array(1000))
  pending.push(lender.loanAsync(2000, 60000))
  const settled = Promise.all(pending.map((p) => p.then(() => 'settled', (e) => e.code)))
  // Close at different moments: at once, after the waits started, after a sleep.
  if (round % 3 === 1) await new Promise((resolve) => setImmediate(resolve))
  if (round % 3 === 2) await new Promise((resolve) => setTimeout(resolve, 2))
  empty.memory.close()
  full.memory.close()
  loaner.memory.close()
  for (const code of await settled) count(code)
}
console.log(JSON.stringify(codes))
`

describe.each([
  ['the default engine', {}],
  ['the waiter thread', { MMAN_NO_IO_URING: '1' }],
])('calls waiting when the memory is closed, through %s', (_engine, env) => {
  it('reject with ERR_CHANNEL_CLOSED, whenever the close comes', () => {
    const result = runChild(PENDING_WHEN_CLOSED, [], env)
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual({ ERR_CHANNEL_CLOSED: 300 })
  })
})

describe('identities in the header', () => {
  it('claiming an end writes thread id and start time in one word', () => {
    const channel = Channel.create(4096)
    channel.sender()
    const id = Atomics.load(headerOf(channel).ids, PRODUCER_ID)
    expect(Number(BigInt.asUintN(32, id))).toBe(process.pid)
    expect(id >> 32n).toBeGreaterThan(0n)
    expect(Atomics.load(headerOf(channel).ids, CONSUMER_ID)).toBe(0n)
  })

  it('bad end options throw before the end is claimed: it can still be taken', () => {
    const channel = Channel.create(4096)
    expect(code(() => channel.sender({ timeoutMs: -1 }))).toBe('ERR_INVALID_ARG_VALUE')
    expect(code(() => channel.receiver({ peer: 'me' as never }))).toBe('ERR_INVALID_ARG_TYPE')
    expect(Atomics.load(headerOf(channel).ids, PRODUCER_ID)).toBe(0n)
    const tx = channel.sender({ timeoutMs: 10 })
    const rx = channel.receiver()
    tx.send('still usable')
    expect(rx.receiveString()).toBe('still usable')
  })
})
