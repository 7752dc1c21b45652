// Shared memory between Node processes: visibility, futex wake-ups, the
// Mutex, the Channel, dead peers, sealing and names.
import { existsSync, fstatSync, ftruncateSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import {
  Channel,
  ChannelError,
  MADV,
  Mutex,
  SharedMemory,
  forkWithMemory,
  futexWait,
  futexWaitAsync,
  futexWake,
  madviseAsync,
  mapAnonymous,
} from '../lib/index.js'
import { SEAL } from '../lib/constants.js'
import { VALUE } from '../lib/ipc/record.js'
import {
  CAPACITY,
  CONSUMER_DOORBELL,
  CONSUMER_STATE,
  KEY,
  PRODUCER_DOORBELL,
  PRODUCER_STATE,
  ringMemory,
} from '../lib/ipc/ring-layout.js'
import { RingWriter } from '../lib/ipc/ring.js'
import { native } from '../lib/native.js'
import { finished, mmanChild as child, repoRoot, runChild, tempDir, thrown } from './helpers.js'

const { dir, cleanup } = tempDir()
afterAll(cleanup)
const mman = pathToFileURL(join(repoRoot, 'dist/lib/index.js')).href
describe('SharedMemory', () => {
  it('is a sealed memfd: its size cannot change, even by a peer holding the fd', async () => {
    using memory = SharedMemory.create(8192)
    expect(native.getSeals(memory.fd) & (SEAL.SHRINK | SEAL.GROW | SEAL.SEAL)).toBe(SEAL.SHRINK | SEAL.GROW | SEAL.SEAL)
    expect(thrown(() => ftruncateSync(memory.fd, 4096)).code).toBe('EPERM')
    const peer = await finished(
      child(
        `
      import { ftruncateSync } from 'node:fs'
      const memory = m.inheritedMemory(0)
      try { ftruncateSync(memory.fd, 0) } catch (error) { console.log(error.code) }
    `,
        [memory],
      ),
    )
    expect(peer.stdout).toBe('EPERM\n')
    expect(memory.size).toBe(8192)
  })

  it("makes a child's writes visible to the parent and the parent's to the child", async () => {
    using memory = SharedMemory.create(4096)
    memory.int32()[0] = 41
    const result = await finished(
      child(
        `
      const memory = m.inheritedMemory(0)
      const ints = memory.int32()
      console.log(ints[0])
      ints[1] = ints[0] + 1
    `,
        [memory],
      ),
    )
    expect(result.stdout).toBe('41\n')
    expect(memory.int32()[1]).toBe(42)
  })

  it('close() while an async call runs on it says EBUSY and leaves it open; closing again once it settled works', async () => {
    const memory = SharedMemory.create(16 << 20)
    const fd = memory.fd
    const populating = madviseAsync(new Uint8Array(memory.buffer), MADV.POPULATE_WRITE!)
    expect(thrown(() => memory.close())).toMatchObject({ code: 'EBUSY', syscall: 'munmap' })
    expect(memory.closed).toBe(false)
    expect(fstatSync(fd).size).toBe(16 << 20)
    await populating
    memory.close()
    expect(memory.closed).toBe(true)
    expect(thrown(() => fstatSync(fd)).code).toBe('EBADF')
  })

  it('hands a named region to a child, which maps it unsealed as the parent did; memfds stay sealed', async () => {
    const name = `mman-test-inherit-${process.pid}`
    using named = SharedMemory.createNamed(name, 4096)
    using memfd = SharedMemory.create(4096)
    try {
      expect([named.sealed, memfd.sealed]).toEqual([false, true])
      named.int32()[0] = 5
      const result = await finished(
        child(
          `
        const named = m.inheritedMemory(0)
        const memfd = m.inheritedMemory(1)
        named.int32()[1] = named.int32()[0] + 1
        console.log(named.sealed, memfd.sealed)
      `,
          [named, memfd],
        ),
      )
      expect(result.stdout).toBe('false true\n')
      expect(named.int32()[1]).toBe(6)
    } finally {
      SharedMemory.unlink(name)
    }
  })

  it('creates, opens and unlinks named regions under /dev/shm with mode 0600', () => {
    const name = `mman-test-${process.pid}`
    using created = SharedMemory.createNamed(name, 4096)
    try {
      expect(statSync(`/dev/shm/${name}`).mode & 0o777).toBe(0o600)
      expect(thrown(() => SharedMemory.createNamed(name, 4096)).code).toBe('EEXIST')
      using opened = SharedMemory.openNamed(name)
      created.int32()[0] = 7
      expect(opened.int32()[0]).toBe(7)
    } finally {
      SharedMemory.unlink(name)
    }
    expect(existsSync(`/dev/shm/${name}`)).toBe(false)
    expect(thrown(() => SharedMemory.openNamed(name)).code).toBe('ENOENT')
  })

  it('refuses bad names, sizes and fds', () => {
    for (const name of ['', '.', '..', 'a/b', 'x\0y', 'n'.repeat(256)]) {
      expect(thrown(() => SharedMemory.createNamed(name, 4096)).code, JSON.stringify(name)).toBe(
        'ERR_INVALID_ARG_VALUE',
      )
    }
    expect(thrown(() => SharedMemory.createNamed(3 as never, 4096)).code).toBe('ERR_INVALID_ARG_TYPE')
    expect(thrown(() => SharedMemory.create(0)).code).toBe('ERR_OUT_OF_RANGE')
    expect(thrown(() => SharedMemory.create(-1)).code).toBe('ERR_OUT_OF_RANGE')
    expect(thrown(() => SharedMemory.attach(1_000_000)).code).toBe('EBADF')
    expect(thrown(() => SharedMemory.attach(-1)).code).toBe('ERR_OUT_OF_RANGE')
  })

  it('can be attached by fd in a worker thread', async () => {
    const { Worker } = await import('node:worker_threads')
    using memory = SharedMemory.create(4096)
    const worker = new Worker(
      `
      import('${mman}').then((m) => {
        const memory = m.SharedMemory.attach(require('node:worker_threads').workerData.fd)
        memory.int32()[0] = 99
        memory.close()
      })`,
      { eval: true, workerData: { fd: memory.fd } },
    )
    await new Promise((resolve, reject) => worker.on('exit', resolve).on('error', reject))
    expect(memory.int32()[0]).toBe(99)
  })
})

describe('forkWithMemory', () => {
  it("takes fork()'s forms of stdio: a preset string, three streams, three and 'ipc', or silent", async () => {
    const memory = SharedMemory.create(4096)
    memory.int32()[0] = 42
    const script = join(dir, 'print-word.mjs')
    writeFileSync(
      script,
      `import { inheritedMemory } from '${mman}'
console.log('word', inheritedMemory(0).int32()[0])`,
    )
    const forms = [
      { stdio: 'pipe' },
      { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
      { stdio: ['ignore', 'pipe', 'inherit'] },
      { silent: true },
    ] as const
    for (const form of forms) {
      const result = await finished(forkWithMemory(script, [], { memory: [memory], ...form } as never))
      expect({ form, code: result.code, stdout: result.stdout.trim() }).toEqual({ form, code: 0, stdout: 'word 42' })
    }
    memory.close()
  })
})

describe('futex', () => {
  it('says ERR_INVALID_STATE for a view of memory that was unmapped, as Mutex does', async () => {
    const memory = mapAnonymous(4096, { shared: true })
    const ints = new Int32Array(memory.buffer)
    memory.unmap()
    for (const call of [() => futexWait(ints, 0, 0, 0), () => futexWake(ints, 0)])
      expect(thrown(call).code).toBe('ERR_INVALID_STATE')
    await expect(futexWaitAsync(ints, 0, 0, 0)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' })
    expect(thrown(() => new Mutex(ints, 0)).code).toBe('ERR_INVALID_STATE')
  })

  it('wakes a waiter in another process', async () => {
    using memory = SharedMemory.create(4096)
    const ints = memory.int32()
    const proc = child(
      `
      const ints = m.inheritedMemory(0).int32()
      Atomics.store(ints, 1, 1)                   // ready
      console.log(m.futexWait(ints, 0, 0, 10000))
    `,
      [memory],
    )
    const done = finished(proc)
    while (Atomics.load(ints, 1) !== 1) await new Promise((r) => setTimeout(r, 5))
    let woken = 0
    for (let i = 0; i < 200 && woken === 0; i++) {
      await new Promise((r) => setTimeout(r, 5))
      Atomics.store(ints, 0, 1)
      woken = futexWake(ints, 0, 1)
    }
    expect(woken).toBe(1)
    expect((await done).stdout).toBe('ok\n')
  })

  it('answers not-equal and timed-out like Atomics.wait, and waits off the event loop', async () => {
    const ints = new Int32Array(mapAnonymous(4096, { shared: true }).buffer)
    ints[0] = 5
    expect(futexWait(ints, 0, 4)).toBe('not-equal')
    expect(futexWait(ints, 0, 5, 10)).toBe('timed-out')
    const waiting = futexWaitAsync(ints, 0, 5, 5000)
    let ticked = false
    setTimeout(() => {
      ticked = true
      ints[0] = 6
      futexWake(ints, 0)
    }, 20)
    expect(await waiting).toBe('ok')
    expect(ticked).toBe(true)
  })

  it('validates its arguments', () => {
    const ints = new Int32Array(mapAnonymous(4096, { shared: true }).buffer)
    expect(thrown(() => futexWait(new Int32Array(4), 0, 0)).code).toBe('ERR_INVALID_ARG_VALUE')
    expect(thrown(() => futexWait(new Uint32Array(4) as never, 0, 0)).code).toBe('ERR_INVALID_ARG_TYPE')
    expect(thrown(() => futexWait(ints, 1024, 0)).code).toBe('ERR_OUT_OF_RANGE')
    expect(thrown(() => futexWait(ints, 0, 0, -1)).code).toBe('ERR_INVALID_ARG_VALUE')
    expect(thrown(() => futexWake(ints, 0, -1)).code).toBe('ERR_OUT_OF_RANGE')
    expect(thrown(() => futexWait(ints, 0.5, 0)).code).toBe('ERR_OUT_OF_RANGE')
  })
})

describe('Mutex', () => {
  it('gives exactly 200000 when two processes each add 1 a hundred thousand times under it', async () => {
    using memory = SharedMemory.create(4096)
    const source = `
      const ints = m.inheritedMemory(0).int32()
      const mutex = new m.Mutex(ints, 0)
      for (let i = 0; i < 100000; i++) {
        mutex.lock()
        ints[2] = ints[2] + 1                      // a plain read-modify-write: only the lock makes it safe
        mutex.unlock()
      }
    `
    const results = await Promise.all([finished(child(source, [memory])), finished(child(source, [memory]))])
    expect(results.map((r) => r.code)).toEqual([0, 0])
    expect(memory.int32()[2]).toBe(200000)
    expect(memory.int32()[0]).toBe(0)
  })

  it('recovers a lock whose holder died, and says so', async () => {
    using memory = SharedMemory.create(4096)
    const ints = memory.int32()
    const holder = child(
      `
      const ints = m.inheritedMemory(0).int32()
      new m.Mutex(ints, 0).lock()
      Atomics.store(ints, 2, 1)
      setInterval(() => {}, 1000)
    `,
      [memory],
    )
    const done = finished(holder)
    while (Atomics.load(ints, 2) !== 1) await new Promise((r) => setTimeout(r, 5))
    const mutex = new Mutex(ints, 0)
    expect(mutex.holder).toBe(holder.pid)
    expect(mutex.tryLock()).toBe(false)
    holder.kill('SIGKILL')
    await done
    expect(await mutex.lockAsync()).toBe('recovered')
    expect(mutex.holder).toBe(process.pid)
    mutex.unlock()
    expect(mutex.lock()).toBe('acquired')
    expect(thrown(() => mutex.lock()).code).toBe('ERR_INVALID_STATE')
    mutex.unlock()
    expect(thrown(() => mutex.unlock()).code).toBe('ERR_INVALID_STATE')
  })
})

describe('Channel', () => {
  it('delivers 100000 messages in order with their checksums intact', async () => {
    const channel = Channel.create(1 << 16)
    const rx = channel.receiver()
    const proc = child(
      `
      const tx = m.Channel.attach(m.inheritedMemory(0)).sender()
      for (let i = 0; i < 100000; i++) {
        const length = 1 + (i * 7919) % 300
        const message = new Uint8Array(length + 8)
        const view = new DataView(message.buffer)
        let sum = 0
        for (let j = 8; j < message.length; j++) { message[j] = (i + j) & 255; sum = (sum + message[j]) | 0 }
        view.setUint32(0, i)
        view.setInt32(4, sum)
        tx.send(message)
      }
      tx.close()
    `,
      [channel.memory],
    )
    const done = finished(proc)
    let count = 0
    let bad = 0
    for (let message = await rx.receiveAsync(); message !== null; message = await rx.receiveAsync()) {
      const view = new DataView(message.buffer, message.byteOffset, message.length)
      let sum = 0
      for (let j = 8; j < message.length; j++) sum = (sum + message[j]!) | 0
      if (view.getUint32(0) !== count || view.getInt32(4) !== sum || message.length !== 9 + ((count * 7919) % 300))
        bad++
      count++
    }
    expect((await done).code).toBe(0)
    expect({ count, bad }).toEqual({ count: 100000, bad: 0 })
  })

  it('gives the receiver an error, not a hang, when the sender is killed mid-stream', async () => {
    const channel = Channel.create(4096)
    const rx = channel.receiver()
    const proc = child(
      `
      const tx = m.Channel.attach(m.inheritedMemory(0)).sender()
      for (let i = 0; ; i++) tx.send('message ' + i)
    `,
      [channel.memory],
    )
    const done = finished(proc)
    expect((await rx.receiveAsync(10000))?.toString()).toBe('message 0')
    proc.kill('SIGKILL')
    await done
    const started = Date.now()
    const error = await (async () => {
      try {
        for (;;) await rx.receiveAsync(10000)
      } catch (e) {
        return e as ChannelError
      }
    })()
    expect(error).toBeInstanceOf(ChannelError)
    expect(error.code).toBe('ERR_CHANNEL_PEER_DIED')
    expect(Date.now() - started).toBeLessThan(1000)
  })

  it('ends with null after the sender closes; send fails after the receiver closes', () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const rx = channel.receiver()
    tx.send('one', 2000)
    tx.send(new Uint8Array([1, 2, 3]), 2000)
    tx.close()
    expect(rx.receive(2000)?.toString()).toBe('one')
    expect([...rx.receive(2000)!]).toEqual([1, 2, 3])
    expect(rx.receive(2000)).toBeNull()
    const other = Channel.create(4096)
    const tx2 = other.sender()
    other.receiver().close()
    expect(thrown(() => tx2.send('x')).code).toBe('ERR_CHANNEL_CLOSED')
  })

  it('applies backpressure: a full ring makes send wait, and time out', () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    channel.receiver()
    const message = new Uint8Array(1000)
    for (let i = 0; i < 4; i++) tx.send(message, 2000)
    expect(thrown(() => tx.send(message, 50)).code).toBe('ERR_CHANNEL_TIMEOUT')
  })

  // Synchronous calls get timeouts here: a regression must fail, not hang the test worker.
  it('wraps around the ring many times with mixed sizes; receive() frees space at once', () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const rx = channel.receiver()
    for (let i = 0; i < 5000; i++) {
      const message = Buffer.alloc(1 + ((i * 37) % 2000), i & 255)
      tx.send(message, 2000)
      expect(rx.receive(2000)!.equals(message)).toBe(true)
    }
  })

  it('receiveView() hands out the message in place until the next receive call', () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const rx = channel.receiver()
    tx.send('first', 2000)
    tx.send(new Uint8Array(1500), 2000)
    const view = rx.receiveView(2000)!
    expect(Buffer.from(view).toString()).toBe('first')
    // Its space is still held: the ring (4096) cannot take two more 1500-byte messages yet.
    expect(
      thrown(() => {
        tx.send(new Uint8Array(1500), 2000)
        tx.send(new Uint8Array(1500), 50)
      }).code,
    ).toBe('ERR_CHANNEL_TIMEOUT')
    expect(rx.receiveView(2000)!.length).toBe(1500)
    expect(rx.receive(2000)!.length).toBe(1500)
  })

  it("values and strings are the receiver's own: later messages do not show through them", () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const rx = channel.receiver()
    tx.sendValue({ bytes: Buffer.from('first'), list: [1, 2] })
    tx.send('héllo wörld')
    const value = rx.receiveValue() as { bytes: Buffer; list: number[] }
    const text = rx.receiveString()
    for (let i = 0; i < 100; i++) {
      tx.sendValue({ bytes: Buffer.from(`overwritten ${i}`.repeat(8)) })
      rx.receiveValue()
    }
    expect(value.bytes.toString()).toBe('first')
    // Its memory is its own: not a slice of Buffer's shared pool, where other buffers' bytes lie.
    expect(value.bytes.buffer.byteLength).toBeLessThan(100)
    expect(value.list).toEqual([1, 2])
    expect(text).toBe('héllo wörld')
  })

  it('receiveValue() returns each message in the kind it was sent; the byte forms refuse a value and leave it for receiveValue()', async () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const rx = channel.receiver()
    tx.send(Buffer.from([1, 2, 3]))
    tx.send('text')
    tx.sendValue({ n: 1 })
    const bytes = rx.receiveValue()
    expect(Buffer.isBuffer(bytes) && [...bytes]).toEqual([1, 2, 3])
    expect(rx.receiveValue()).toBe('text')
    expect(rx.receiveValue()).toEqual({ n: 1 })
    tx.sendValue([42])
    for (const refuse of [() => rx.receive(), () => rx.receiveView(), () => rx.receiveString()]) {
      const error = thrown(refuse)
      expect(error).toBeInstanceOf(ChannelError)
      expect(error.code).toBe('ERR_CHANNEL_WRONG_KIND')
    }
    await expect(rx.receiveAsync()).rejects.toMatchObject({ code: 'ERR_CHANNEL_WRONG_KIND' })
    await expect(rx.receiveStringAsync()).rejects.toMatchObject({ code: 'ERR_CHANNEL_WRONG_KIND' })
    await expect(rx.receiveViewAsync()).rejects.toMatchObject({ code: 'ERR_CHANNEL_WRONG_KIND' })
    expect(await rx.receiveValueAsync()).toEqual([42])
    // Strings are bytes to the byte forms, and bytes decode as UTF-8.
    tx.send('héllo')
    tx.send(Buffer.from('wörld'))
    expect(rx.receive()!.toString()).toBe('héllo')
    expect(rx.receiveString()).toBe('wörld')
    expect(thrown(() => rx.receive(0)).code).toBe('ERR_CHANNEL_TIMEOUT')
  })

  it('a value record whose bytes are no value is ERR_CHANNEL_CORRUPT, and the channel goes on', () => {
    const channel = Channel.create(4096)
    const rx = channel.receiver()
    // What a sender of another program could write: a value record holding bytes the v8 deserializer refuses.
    const ring = ringMemory(channel.memory.buffer, 4096, Atomics.load(channel.memory.int32(), KEY))
    const writer = new RingWriter(ring)
    ring.bytes.set([0xff, 0x0f, 0x44], writer.reserve(3))
    writer.publish(VALUE, 3)
    writer.publishHead()
    expect(thrown(() => rx.receiveValue()).code).toBe('ERR_CHANNEL_CORRUPT')
    const tx = channel.sender()
    tx.sendValue('still works')
    expect(rx.receiveValue()).toBe('still works')
  })

  it('loan() lends the next slot to write in place; publish() sends it, whole or its first bytes', () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const rx = channel.receiver()
    const slot = tx.loan(5)
    expect(slot.length).toBe(5)
    slot.set([1, 2, 3, 4, 5])
    tx.publish()
    const part = tx.loan(100)
    part.set([9, 8, 7])
    tx.publish(3)
    expect([...rx.receiveView()!]).toEqual([1, 2, 3, 4, 5])
    expect([...rx.receive()!]).toEqual([9, 8, 7])
    // The zero-copy round trip: a view received, answered from a slot written in place.
    const view = (tx.loan(64).fill(6), tx.publish(), rx.receiveView()!)
    expect(view.length).toBe(64)
    expect(view.every((b) => b === 6)).toBe(true)
    // The loaned view is the ring itself: written after publish(), it changes what the receiver reads.
    const kept = tx.loan(4)
    kept.set([1, 1, 1, 1])
    tx.publish()
    kept[0] = 2
    expect([...rx.receive()!]).toEqual([2, 1, 1, 1])
    // A cancelled loan sends nothing, and sending goes on.
    tx.loan(10).fill(1)
    tx.cancelLoan()
    tx.send('after')
    expect(rx.receiveString()).toBe('after')
  })

  it('loan misuse is a coded error and leaves the ring sound', async () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const rx = channel.receiver()
    expect(thrown(() => tx.publish()).code).toBe('ERR_INVALID_STATE')
    const slot = tx.loan(8)
    expect(thrown(() => tx.loan(8)).code).toBe('ERR_INVALID_STATE')
    await expect(tx.loanAsync(8)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' })
    expect(thrown(() => tx.send('x')).code).toBe('ERR_INVALID_STATE')
    await expect(tx.sendValueAsync(1)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' })
    expect(thrown(() => tx.publish(9)).code).toBe('ERR_OUT_OF_RANGE')
    expect(thrown(() => tx.publish(-1)).code).toBe('ERR_OUT_OF_RANGE')
    expect(thrown(() => tx.publish(1.5)).code).toBe('ERR_OUT_OF_RANGE')
    slot.set([1, 2, 3, 4, 5, 6, 7, 8])
    tx.publish(8)
    expect(thrown(() => tx.publish()).code).toBe('ERR_INVALID_STATE')
    for (const bad of [-1, 0.5, channel.maxMessageBytes + 1, Infinity])
      expect(thrown(() => tx.loan(bad)).code).toBe('ERR_OUT_OF_RANGE')
    expect(thrown(() => tx.loan('8' as never)).code).toBe('ERR_INVALID_ARG_TYPE')
    expect(thrown(() => tx.loan(8, -1)).code).toBe('ERR_INVALID_ARG_VALUE')
    expect([...rx.receive()!]).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(tx.loan(0).length).toBe(0)
    tx.publish()
    expect(rx.receive()!.length).toBe(0)
    expect(tx.loan(channel.maxMessageBytes).length).toBe(channel.maxMessageBytes)
    tx.cancelLoan()
    tx.cancelLoan()
  })

  it('loan() waits for room as send() does, and times out; close() drops a loan', async () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const rx = channel.receiver()
    tx.send(new Uint8Array(2000))
    tx.send(new Uint8Array(1000))
    expect(thrown(() => tx.loan(2000, 20)).code).toBe('ERR_CHANNEL_TIMEOUT')
    await expect(tx.loanAsync(2000, 20)).rejects.toMatchObject({ code: 'ERR_CHANNEL_TIMEOUT' })
    const waiting = tx.loanAsync(2000, 5000)
    expect(rx.receive()!.length).toBe(2000)
    const slot = await waiting
    expect(slot.length).toBe(2000)
    tx.close()
    expect(thrown(() => tx.publish()).code).toBe('ERR_INVALID_STATE')
    expect(rx.receive()!.length).toBe(1000)
    expect(rx.receive()).toBeNull()
  })

  it('publish() after the memory was closed is ERR_CHANNEL_CLOSED; after the receiver closed too', () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    tx.loan(8)
    channel.memory.close()
    expect(thrown(() => tx.publish()).code).toBe('ERR_CHANNEL_CLOSED')
    const other = Channel.create(4096)
    const tx2 = other.sender()
    tx2.loan(8)
    other.receiver().close()
    expect(thrown(() => tx2.publish()).code).toBe('ERR_CHANNEL_CLOSED')
  })

  it('checks a timeout even when the call does not have to wait', async () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const rx = channel.receiver()
    for (const [bad, code] of [
      ['abc', 'ERR_INVALID_ARG_TYPE'],
      [-5, 'ERR_INVALID_ARG_VALUE'],
      [Number.NaN, 'ERR_INVALID_ARG_VALUE'],
    ]) {
      expect(thrown(() => tx.send('x', bad as never)).code).toBe(code)
      await expect(tx.sendAsync('x', bad as never)).rejects.toMatchObject({ code })
    }
    tx.send('x')
    expect(thrown(() => rx.receive(-1 as never)).code).toBe('ERR_INVALID_ARG_VALUE')
    expect(rx.receiveString(0)).toBe('x')
    using memory = SharedMemory.create(4096)
    const mutex = new Mutex(memory.int32(), 0)
    expect(thrown(() => mutex.lock('soon' as never)).code).toBe('ERR_INVALID_ARG_TYPE')
    expect(mutex.lock(0)).toBe('acquired')
  })

  it('validates: one sender and one receiver, message size, capacity, attach', () => {
    const channel = Channel.create(4096)
    channel.sender()
    expect(thrown(() => channel.sender()).code).toBe('ERR_INVALID_STATE')
    const rx = channel.receiver()
    expect(thrown(() => channel.receiver()).code).toBe('ERR_INVALID_STATE')
    expect(thrown(() => Channel.create(5000)).code).toBe('ERR_INVALID_ARG_VALUE')
    expect(thrown(() => Channel.create(1024)).code).toBe('ERR_OUT_OF_RANGE')
    expect(thrown(() => Channel.attach(SharedMemory.create(4096))).code).toBe('ERR_INVALID_ARG_VALUE')
    // A corrupt header (capacity larger than the region) is refused, not trusted.
    const corrupt = Channel.create(4096).memory
    corrupt.int32()[CAPACITY] = 1 << 20
    expect(thrown(() => Channel.attach(corrupt)).code).toBe('ERR_INVALID_ARG_VALUE')
    expect(thrown(() => rx.receive(-1)).code).toBe('ERR_INVALID_ARG_VALUE')
    // Half the ring less a record's 8-byte header: a record and a wrap marker always fit.
    const sized = Channel.create(4096)
    expect(sized.maxMessageBytes).toBe(2040)
    const tx = sized.sender()
    tx.send(new Uint8Array(2040))
    expect(thrown(() => tx.send(new Uint8Array(2041))).code).toBe('ERR_INVALID_ARG_VALUE')
    expect(thrown(() => tx.sendValue('x'.repeat(2040))).code).toBe('ERR_INVALID_ARG_VALUE')
    expect(thrown(() => tx.send(new Uint8Array(3000))).code).toBe('ERR_INVALID_ARG_VALUE')
    expect(thrown(() => tx.send(42 as never)).code).toBe('ERR_INVALID_ARG_TYPE')
  })
})

describe('Channel wake-ups', () => {
  it('a receiver waiting off the event loop counts itself asleep, and a send rings its doorbell', async () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const rx = channel.receiver()
    const ctl = channel.memory.int32(0, 64)
    const waiting = rx.receiveStringAsync(10_000)
    expect(Atomics.load(ctl, CONSUMER_STATE)).toBe(1)
    const doorbell = Atomics.load(ctl, CONSUMER_DOORBELL)
    tx.send('ding')
    expect(Atomics.load(ctl, CONSUMER_DOORBELL)).toBe(doorbell + 1)
    expect(await waiting).toBe('ding')
    expect(Atomics.load(ctl, CONSUMER_STATE)).toBe(0)
    // A busy channel rings nothing.
    tx.send('dong')
    expect(rx.receiveString()).toBe('dong')
    expect(Atomics.load(ctl, CONSUMER_DOORBELL)).toBe(doorbell + 1)
  })

  it('a sender waiting for room counts itself asleep, and a receive that frees room rings its doorbell', async () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const rx = channel.receiver()
    const ctl = channel.memory.int32(0, 64)
    tx.send(new Uint8Array(2000))
    tx.send(new Uint8Array(1000))
    const waiting = tx.sendAsync(new Uint8Array(2000), 10_000)
    expect(Atomics.load(ctl, PRODUCER_STATE)).toBe(1)
    const doorbell = Atomics.load(ctl, PRODUCER_DOORBELL)
    expect(rx.receive()!.length).toBe(2000)
    expect(Atomics.load(ctl, PRODUCER_DOORBELL)).toBe(doorbell + 1)
    await waiting
    expect(Atomics.load(ctl, PRODUCER_STATE)).toBe(0)
  })

  it("closing an end rings the other end's doorbell, so a sleeper sees it at once", async () => {
    const channel = Channel.create(4096)
    const tx = channel.sender()
    const rx = channel.receiver()
    const waiting = rx.receiveAsync(10_000)
    tx.close()
    expect(await waiting).toBeNull()
  })
})

// Two channels between two processes, the peer waiting off the event loop and blocking by turns,
// with small rings, every kind of message and loans: many sleeps and wake-ups
// each way, through each futexWaitAsync engine.
const STRESS_PEER = `
import { Channel, inheritedMemory } from '${mman}'
const rx = Channel.attach(inheritedMemory(0)).receiver({ timeoutMs: 20_000 })
const tx = Channel.attach(inheritedMemory(1)).sender({ timeoutMs: 20_000 })
const pause = new Int32Array(new SharedArrayBuffer(4))
for (let i = 0; ; i++) {
  // Now and then stop for a millisecond, so that the parent's sends fill the ring and sleep.
  if (i % 97 === 0) Atomics.wait(pause, 0, 0, 1)
  const message = i % 2 ? await rx.receiveValueAsync() : rx.receiveValue()
  if (message === null) break
  if (typeof message === 'string') tx.send(message)
  else if (Buffer.isBuffer(message)) {
    const slot = i % 3 ? tx.loan(message.length) : await tx.loanAsync(message.length + 16)
    slot.set(message)
    tx.publish(message.length)
  } else await tx.sendValueAsync(message)
}
tx.close()
`

const STRESS = `
import { writeFileSync } from 'node:fs'
import { Channel, forkWithMemory } from 'mman'
const peerPath = process.argv[1]
writeFileSync(peerPath, ${JSON.stringify(STRESS_PEER)})
const toPeer = Channel.create(4096)
const fromPeer = Channel.create(4096)
const peer = forkWithMemory(peerPath, [], { memory: [toPeer.memory, fromPeer.memory], stdio: ['ignore', 'inherit', 'inherit'], execArgv: [] })
const tx = toPeer.sender({ timeoutMs: 20_000, peer })
const rx = fromPeer.receiver({ timeoutMs: 20_000, peer })
const COUNT = 6000
const message = (i) => i % 3 === 0 ? 'text ' + i + ' ' + 'é'.repeat(i % 200)
  : i % 3 === 1 ? Buffer.alloc(1 + (i * 7919) % 1500, i & 255)
  : { i, list: [i, String(i)], at: new Date(i) }
const sending = (async () => {
  for (let i = 0; i < COUNT; i++) {
    // Now and then stop for a millisecond, so that the peer's receives sleep.
    if (i % 89 === 0) await new Promise((resolve) => setTimeout(resolve, 1))
    // Never a blocking send here: this thread must go on receiving what the peer sends back.
    const m = message(i)
    if (typeof m === 'string' || Buffer.isBuffer(m)) await tx.sendAsync(m)
    else await tx.sendValueAsync(m)
  }
  tx.close()
})()
let received = 0
let wrong = 0
for (let got = await rx.receiveValueAsync(); got !== null; got = await rx.receiveValueAsync()) {
  if (JSON.stringify(got) !== JSON.stringify(message(received))) wrong++
  received++
}
await sending
await new Promise((resolve) => peer.on('exit', resolve))
console.log(JSON.stringify({ received, wrong, peer: peer.exitCode }))
`

describe.each([
  ['the default engine', {}],
  ['the waiter thread', { MMAN_NO_IO_URING: '1' }],
])('a channel pair under stress, waiting through %s', (_engine, env) => {
  it('carries 6000 messages of every kind each way, in order, through hundreds of sleeps', () => {
    const result = runChild(STRESS, [join(dir, `stress-peer-${Object.keys(env).length}.mjs`)], env)
    expect(result.stderr).toBe('')
    expect(JSON.parse(result.stdout)).toEqual({ received: 6000, wrong: 0, peer: 0 })
  })
})
